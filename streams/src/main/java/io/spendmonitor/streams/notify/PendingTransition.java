package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One consumed transition on its way to its channels. It is done when every channel it goes to
 * has finished with it (sent, refused, given up, or skipped as a duplicate): only then may its
 * offset be committed. Cancelled (its partition moved away, or the notifier stopped before it was
 * delivered) means: stay uncommitted, whoever reads the partition next delivers it, except on the
 * channels that had already finished with it.
 */
final class PendingTransition {
    private final SpendAlert alert;
    private final List<String> targets;
    private final long consumedAtNanos;
    private final Set<String> finished = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean settled = new AtomicBoolean();
    private final Consumer<PendingTransition> onSettled;
    private volatile boolean cancelled;

    PendingTransition(SpendAlert alert, List<String> targets, long consumedAtNanos, Consumer<PendingTransition> onSettled) {
        this.alert = alert;
        this.targets = List.copyOf(targets);
        this.consumedAtNanos = consumedAtNanos;
        this.onSettled = onSettled;
        if (targets.isEmpty()) {
            settled.set(true);
        }
    }

    SpendAlert alert() {
        return alert;
    }

    /** The channels it goes to. */
    List<String> targets() {
        return targets;
    }

    long consumedAtNanos() {
        return consumedAtNanos;
    }

    /** Every channel has finished with it; its offset may be committed. */
    boolean isDone() {
        return finished.size() == targets.size();
    }

    boolean finishedOn(String channel) {
        return finished.contains(channel);
    }

    boolean isCancelled() {
        return cancelled;
    }

    /** {@code channel} has finished with it. */
    void channelFinished(String channel) {
        if (finished.add(channel) && isDone()) {
            settle();
        }
    }

    /** Stop working on it: channels skip it, an attempt in flight still completes. */
    void cancel() {
        cancelled = true;
        settle();
    }

    private void settle() {
        if (settled.compareAndSet(false, true)) {
            onSettled.accept(this);
        }
    }
}
