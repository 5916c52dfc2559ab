package io.spendmonitor.streams.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The notifier's meters: {@code spend_notifications_total{channel, result=sent|failed|retried|duplicate}}
 * (every channel's series exist from the start, at 0), the gauge {@code spend_notifications_pending}
 * (transitions consumed but not yet delivered to every channel they go to), and
 * {@code spend_notifier_rejected_total{reason}} (records of the alerts topic that could not be read
 * and were skipped).
 */
final class NotifierMetrics implements AutoCloseable {
    static final String NOTIFICATIONS = "spend.notifications";
    static final String PENDING = "spend.notifications.pending";
    static final String REJECTED = "spend.notifier.rejected";

    enum Result {
        /** Accepted by the channel. */
        SENT,
        /** Not delivered: a permanent refusal, or retries given up. */
        FAILED,
        /** An attempt failed and another one is scheduled. */
        RETRIED,
        /** Already delivered to this channel by this process: not sent again. */
        DUPLICATE;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new HashMap<>();
    private final Gauge pending;

    NotifierMetrics(MeterRegistry registry, Collection<String> channels, AtomicInteger pendingTransitions) {
        this.registry = registry;
        for (String channel : channels) {
            for (Result result : Result.values()) {
                counters.put(channel + "/" + result.label(), Counter.builder(NOTIFICATIONS)
                        .description("Alert transitions handed to a channel, by outcome")
                        .tag("channel", channel).tag("result", result.label())
                        .register(registry));
            }
        }
        pending = Gauge.builder(PENDING, pendingTransitions, AtomicInteger::get)
                .description("Alert transitions consumed but not yet delivered to all their channels")
                .register(registry);
    }

    void count(String channel, Result result) {
        Counter counter = counters.get(channel + "/" + result.label());
        if (counter != null) {
            counter.increment();
        }
    }

    void rejected(String reason) {
        registry.counter(REJECTED, "reason", reason).increment();
    }

    /** Removes the gauge (it reads this notifier's state); counters keep their totals. */
    @Override
    public void close() {
        registry.remove(pending);
    }
}
