package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;

import java.util.List;

/** Several listeners as one; a listener that throws does not stop the others or the topology. */
public final class SpendListeners implements SpendListener {
    private final List<SpendListener> listeners;

    private SpendListeners(List<SpendListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    public static SpendListener of(SpendListener... listeners) {
        return new SpendListeners(List.of(listeners));
    }

    private void each(java.util.function.Consumer<SpendListener> call) {
        for (SpendListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SpendListeners.class).warn("listener {} failed", l, e);
            }
        }
    }

    @Override
    public void rejected(String reason, String topic) {
        each(l -> l.rejected(reason, topic));
    }

    @Override
    public void processed() {
        for (SpendListener l : listeners) {
            l.processed();
        }
    }

    @Override
    public void duplicate(String team) {
        each(l -> l.duplicate(team));
    }

    @Override
    public void windowFinalized(String team, TeamWindow window, long windowSizeMs) {
        each(l -> l.windowFinalized(team, window, windowSizeMs));
    }

    @Override
    public void evaluated(String team, TeamState state, long windowEndMs) {
        each(l -> l.evaluated(team, state, windowEndMs));
    }

    @Override
    public void evicted(String team) {
        each(l -> l.evicted(team));
    }

    @Override
    public void alert(AlertTransition transition) {
        each(l -> l.alert(transition));
    }

    @Override
    public void evaluationFailed(String team) {
        each(l -> l.evaluationFailed(team));
    }

    @Override
    public void catalogEntryRejected(String key, String reason) {
        each(l -> l.catalogEntryRejected(key, reason));
    }
}
