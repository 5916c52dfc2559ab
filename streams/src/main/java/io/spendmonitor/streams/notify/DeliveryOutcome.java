package io.spendmonitor.streams.notify;

import java.time.Duration;

/**
 * How one delivery attempt went. {@code detail} is for logs and never holds a secret.
 * {@code retryAfter} is the wait the endpoint asked for (HTTP {@code Retry-After}), or null.
 */
public record DeliveryOutcome(Kind kind, String detail, Duration retryAfter) {

    public enum Kind {
        /** The channel accepted the transition (HTTP 2xx). */
        SENT,
        /** Worth another try later: HTTP 429 or 5xx, a timeout, a connection failure. */
        RETRYABLE,
        /** Retrying cannot help (another 4xx: bad URL, revoked token, invalid payload). */
        PERMANENT
    }

    public static DeliveryOutcome sent() {
        return new DeliveryOutcome(Kind.SENT, "sent", null);
    }

    public static DeliveryOutcome retryable(String detail) {
        return new DeliveryOutcome(Kind.RETRYABLE, detail, null);
    }

    public static DeliveryOutcome retryable(String detail, Duration retryAfter) {
        return new DeliveryOutcome(Kind.RETRYABLE, detail, retryAfter);
    }

    public static DeliveryOutcome permanent(String detail) {
        return new DeliveryOutcome(Kind.PERMANENT, detail, null);
    }
}
