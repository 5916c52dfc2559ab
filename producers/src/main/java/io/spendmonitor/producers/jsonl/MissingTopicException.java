package io.spendmonitor.producers.jsonl;

/** The topic an event should go to does not exist (brokers usually do not create topics on first use). */
public class MissingTopicException extends RuntimeException {
    private final String topic;

    public MissingTopicException(String topic) {
        super("topic '" + topic + "' does not exist");
        this.topic = topic;
    }

    public String topic() {
        return topic;
    }
}
