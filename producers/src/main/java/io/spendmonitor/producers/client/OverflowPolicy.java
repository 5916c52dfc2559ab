package io.spendmonitor.producers.client;

/** What {@link SpendPublisher#publish} does with an event it cannot hand to Kafka within the maximum blocking time. */
public enum OverflowPolicy {
    /** Drop it: count it ({@code spend_publisher_dropped_total}), log (rate-limited), complete the stage exceptionally. */
    DROP,
    /** Drop and count it as {@link #DROP} does, and throw {@link EventDroppedException} to the caller. */
    THROW
}
