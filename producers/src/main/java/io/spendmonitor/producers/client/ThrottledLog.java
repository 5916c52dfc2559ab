package io.spendmonitor.producers.client;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A warning that is logged at most once per period, with the number of occurrences since the last
 * line: a publisher dropping 50,000 events a second must not drown its service's log.
 */
final class ThrottledLog {
    private final Logger log;
    private final long periodNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextLogAt;
    private final AtomicLong suppressed = new AtomicLong();

    ThrottledLog(Logger log, Duration period, LongSupplier nanoTime) {
        this.log = log;
        this.periodNanos = period.toNanos();
        this.nanoTime = nanoTime;
        this.nextLogAt = new AtomicLong(nanoTime.getAsLong());
    }

    /** Logs {@code message} (a format with {@code args}) unless a line went out within the period. */
    void warn(String message, Object... args) {
        long now = nanoTime.getAsLong();
        long due = nextLogAt.get();
        if (now - due < 0 || !nextLogAt.compareAndSet(due, now + periodNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        if (log.isWarnEnabled()) {
            String suffix = skipped == 0 ? "" : " (" + skipped + " more like it since the last line)";
            log.warn(message + suffix, args);
        }
    }
}
