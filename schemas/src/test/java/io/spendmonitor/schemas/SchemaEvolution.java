package io.spendmonitor.schemas;

import io.spendmonitor.cluster.KafkaCluster;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** What the schema-evolution tests share: an older schema, a record an old producer writes, the raw records of a topic. */
final class SchemaEvolution {
    private SchemaEvolution() {
    }

    /** {@code schema} without {@code fields}: what a producer built before they were added writes. */
    static Schema without(Schema schema, Set<String> fields) {
        List<Schema.Field> kept = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            if (!fields.contains(f.name())) {
                kept.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, kept);
    }

    /**
     * A generic record of the older schema with {@code template}'s values: timestamps as epoch millis;
     * decimals left null (a generic writer would need the decimal conversion; they are optional).
     */
    static GenericRecord oldRecord(Schema old, SpecificRecord template) {
        GenericRecord record = new GenericData.Record(old);
        Schema current = template.getSchema();
        for (Schema.Field field : old.getFields()) {
            Object value = template.get(current.getField(field.name()).pos());
            if (value instanceof java.time.Instant instant) {
                value = instant.toEpochMilli();
            } else if (value instanceof java.math.BigDecimal) {
                value = null;
            }
            record.put(field.name(), value);
        }
        return record;
    }

    /** The first {@code count} record values of {@code topic}, as written. */
    static List<byte[]> readRaw(KafkaCluster cluster, String topic, int count) {
        List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                return values.size() >= count;
            });
        }
        return values;
    }
}
