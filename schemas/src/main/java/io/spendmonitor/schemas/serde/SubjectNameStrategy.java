package io.spendmonitor.schemas.serde;

import org.apache.avro.Schema;

import java.util.Locale;

/** How a subject name is derived, as Confluent's strategies of the same names do. */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (the default). */
    TOPIC {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + (isKey ? "-key" : "-value");
        }
    },
    /** The record's full name: one lineage per record type, across topics. */
    RECORD {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return schema.getFullName();
        }
    },
    /** {@code <topic>-<record full name>}: several record types in one topic. */
    TOPIC_RECORD {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + "-" + schema.getFullName();
        }
    };

    public abstract String subject(String topic, boolean isKey, Schema schema);

    /** Accepts our names and Confluent's class names ({@code io.confluent...TopicNameStrategy}). */
    public static SubjectNameStrategy parse(String value) {
        if (value == null || value.isBlank()) {
            return TOPIC;
        }
        String simple = value.substring(value.lastIndexOf('.') + 1).trim().toLowerCase(Locale.ROOT);
        return switch (simple) {
            case "topicnamestrategy", "topic" -> TOPIC;
            case "recordnamestrategy", "record" -> RECORD;
            case "topicrecordnamestrategy", "topic_record", "topic-record" -> TOPIC_RECORD;
            default -> throw new IllegalArgumentException("unknown subject name strategy '" + value
                    + "': use TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy");
        };
    }
}
