package io.spendmonitor.producers.jsonl;

import io.spendmonitor.schemas.TopicSpec;

/**
 * Makes sure a topic exists before the first event is sent to it, so that a missing topic is one
 * clear error instead of a producer blocking for {@code max.block.ms} on every record.
 */
@FunctionalInterface
public interface TopicCheck {
    /** Returns when {@code topic} exists (or was created); throws {@link MissingTopicException} when it does not. */
    void ensureExists(Destination destination, TopicSpec<?, ?> topic);

    /** Checks nothing (the producer's own errors report a missing topic). */
    static TopicCheck none() {
        return (destination, topic) -> {
        };
    }
}
