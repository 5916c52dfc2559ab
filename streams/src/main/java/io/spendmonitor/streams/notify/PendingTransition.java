package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One consumed transition on its way to its channels. It is done when every channel it goes to
 * has finished with it (sent, refused, given up, or skipped as a duplicate): only then may its
 * offset be committed. Cancelled (its partition moved away, or the notifier stopped before it was
 * delivered) means: stay uncommitted, whoever reads the partition next delivers it.
 */
final class PendingTransition {
    private final SpendAlert alert;
    private final long consumedAtNanos;
    private final AtomicInteger remaining;
    private final AtomicBoolean settled = new AtomicBoolean();
    private final Consumer<PendingTransition> onSettled;
    private volatile boolean cancelled;

    PendingTransition(SpendAlert alert, int channels, long consumedAtNanos, Consumer<PendingTransition> onSettled) {
        this.alert = alert;
        this.consumedAtNanos = consumedAtNanos;
        this.remaining = new AtomicInteger(channels);
        this.onSettled = onSettled;
        if (channels == 0) {
            settled.set(true);
        }
    }

    SpendAlert alert() {
        return alert;
    }

    long consumedAtNanos() {
        return consumedAtNanos;
    }

    /** Every channel has finished with it; its offset may be committed. */
    boolean isDone() {
        return remaining.get() == 0;
    }

    boolean isCancelled() {
        return cancelled;
    }

    /** One channel has finished with it. */
    void channelFinished() {
        if (remaining.decrementAndGet() == 0) {
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
