package io.spendmonitor.producers.client;

/** Why the publisher dropped an event instead of blocking its caller; the {@code reason} tag of the drop counter. */
public enum DropReason {
    /** The producer's buffer ({@code buffer.memory}) stayed full for the maximum blocking time: Kafka is slower than the caller. */
    BUFFER_FULL("buffer-full"),
    /** The topic's partitions were not known within the maximum blocking time: the brokers are unreachable or the topic is missing. */
    METADATA_TIMEOUT("metadata-timeout"),
    /**
     * The publisher is not ready yet (schema not registered, or topic metadata not fetched) and its queue
     * of events waiting for readiness is full.
     */
    NOT_READY("not-ready"),
    /** The publisher was closed before the event could be sent. */
    CLOSED("closed");

    private final String tag;

    DropReason(String tag) {
        this.tag = tag;
    }

    /** The metric tag value. */
    public String tag() {
        return tag;
    }
}
