package io.spendmonitor.streams.notify;

import java.time.Duration;

/**
 * When a channel tries again: exponential backoff from {@code initialBackoff}, doubling, capped at
 * {@code maxBackoff} (a {@code Retry-After} the endpoint sends is honoured up to that cap). A
 * transition is given up on a channel after {@code maxAttempts} attempts, or when the next attempt
 * would come more than {@code maxAge} after the notifier consumed it, whichever comes first; it is
 * then counted as failed and the channel moves on. No jitter: one notifier per partition talks
 * to each endpoint, so there is no herd to spread.
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, int maxAttempts, Duration maxAge) {

    public static final RetryPolicy DEFAULT =
            new RetryPolicy(Duration.ofMillis(500), Duration.ofSeconds(30), 20, Duration.ofMinutes(15));

    public RetryPolicy {
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("the initial backoff must be positive, got " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("the maximum backoff (" + maxBackoff + ") must be at least the initial one ("
                    + initialBackoff + ")");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("at least one attempt is needed, got " + maxAttempts);
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("the maximum age must be positive, got " + maxAge);
        }
    }

    /** The wait after the {@code failedAttempts}-th failed attempt (1-based): initial, 2x, 4x, ... up to the cap. */
    public Duration backoff(int failedAttempts) {
        int doublings = Math.min(Math.max(failedAttempts - 1, 0), 30);
        long millis = initialBackoff.toMillis() << doublings;
        return millis <= 0 || millis >= maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis(millis);
    }

    /** The wait before the next attempt, taking the endpoint's {@code Retry-After} (nullable) into account. */
    public Duration delay(int failedAttempts, Duration retryAfter) {
        Duration backoff = backoff(failedAttempts);
        if (retryAfter != null && retryAfter.compareTo(backoff) > 0) {
            return retryAfter.compareTo(maxBackoff) > 0 ? maxBackoff : retryAfter;
        }
        return backoff;
    }

    /** Whether to stop after {@code attempts} failed attempts when the next one would be {@code ageAtNextAttempt} old. */
    public boolean givesUp(int attempts, Duration ageAtNextAttempt) {
        return attempts >= maxAttempts || ageAtNextAttempt.compareTo(maxAge) > 0;
    }
}
