package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import io.spendmonitor.schemas.rules.RejectReason;
import io.spendmonitor.schemas.rules.Violation;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The checks an event must pass before it is counted: the topology's face of {@link EventRules},
 * the same rules the client library, JSON lines and HTTP ingest apply. A failed check names the
 * dead-letter reason, a {@link RejectReason#wire()} string ({@code missing-team}, {@code bad-name},
 * {@code negative-tokens}, {@code absurd-tokens}, {@code inconsistent-tokens}, {@code absurd-timestamp},
 * {@code future-timestamp}, {@code missing-field}, {@code bad-utilization}, {@code bad-interval},
 * {@code negative-price}, {@code absurd-price}, ...).
 */
public final class EventValidator {
    /** More tokens than this in one call is garbage (the largest context windows hold a few million). */
    public static final long MAX_TOKENS_PER_CALL = EventRules.MAX_TOKENS_PER_CALL;
    public static final int MAX_NAME_LENGTH = EventRules.MAX_NAME_LENGTH;
    /** No GPU rents for more than this an hour; above it the sample is garbage. */
    public static final BigDecimal MAX_GPU_USD_PER_HOUR = EventRules.MAX_GPU_USD_PER_HOUR;

    private final EventRules rules;

    public EventValidator(Instant min, Duration maxAhead) {
        this.rules = new EventRules(min, maxAhead);
    }

    /** A timestamp before the configured minimum or further ahead of {@code nowMillis} than allowed. */
    public boolean absurd(long timestampMillis, long nowMillis) {
        return rules.beforeMinimum(timestampMillis) || rules.tooFarAhead(timestampMillis, nowMillis);
    }

    public Optional<String> check(TokenUsage u, long nowMillis) {
        return rules.check(u, nowMillis).map(EventValidator::wire);
    }

    public Optional<String> check(GpuUtilization g, long nowMillis) {
        return rules.check(g, nowMillis).map(EventValidator::wire);
    }

    /** See {@link EventRules#nameProblem}. */
    static boolean badName(String s) {
        return EventRules.badName(s);
    }

    private static String wire(Violation v) {
        return v.reason().wire();
    }
}
