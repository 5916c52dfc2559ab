package io.spendmonitor.streams.query;

import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.topology.SpendListener;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The last transitions this instance emitted, newest first, for /api/alerts. Bounded. */
public final class RecentAlerts implements SpendListener {
    private final int capacity;
    private final Deque<AlertTransition> recent = new ArrayDeque<>();

    public RecentAlerts(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized void alert(AlertTransition transition) {
        recent.addFirst(transition);
        while (recent.size() > capacity) {
            recent.removeLast();
        }
    }

    public synchronized List<AlertTransition> list() {
        return new ArrayList<>(recent);
    }
}
