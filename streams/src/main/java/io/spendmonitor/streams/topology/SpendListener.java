package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;

/**
 * What the topology tells the outside (metrics) as it goes. Called on stream threads; must be
 * cheap and must not throw. Every method has a no-op default.
 */
public interface SpendListener {
    SpendListener NONE = new SpendListener() {
    };

    /** An event went to the dead-letter topic (or, for {@code unpriced}, was counted and flagged). */
    default void rejected(String reason, String topic) {
    }

    /** One input record was processed (counted or rejected); for benchmarks and progress. */
    default void processed() {
    }

    /** A duplicate event_id was dropped. */
    default void duplicate(String team) {
    }

    /** A team's minute window became final and was emitted. */
    default void windowFinalized(String team, TeamWindow window, long windowSizeMs) {
    }

    /** A team was evaluated at the end of a window; {@code state} holds the latest results. */
    default void evaluated(String team, TeamState state, long windowEndMs) {
    }

    /** A team's state was dropped after a long inactivity. */
    default void evicted(String team) {
    }

    default void alert(AlertTransition transition) {
    }

    /** A team's evaluation failed; its state was left as it was before (see the evaluate node). */
    default void evaluationFailed(String team) {
    }

    /** A price-catalog entry was refused (it cannot be evaluated) and skipped. */
    default void catalogEntryRejected(String key, String reason) {
    }
}
