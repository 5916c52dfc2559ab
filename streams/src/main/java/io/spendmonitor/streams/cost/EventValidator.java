package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The checks an event must pass before it is counted. A failed check names the dead-letter
 * reason: {@code missing-team}, {@code negative-tokens}, {@code inconsistent-tokens},
 * {@code absurd-timestamp}, {@code missing-field}, {@code bad-utilization}, {@code bad-interval}.
 */
public final class EventValidator {
    private final long minMillis;
    private final Duration maxAhead;

    public EventValidator(Instant min, Duration maxAhead) {
        this.minMillis = min.toEpochMilli();
        this.maxAhead = maxAhead;
    }

    /** A timestamp before the configured minimum or further ahead of {@code nowMillis} than allowed. */
    public boolean absurd(long timestampMillis, long nowMillis) {
        return timestampMillis < minMillis || timestampMillis > nowMillis + maxAhead.toMillis();
    }

    public Optional<String> check(TokenUsage u, long nowMillis) {
        if (blank(u.getTeam())) {
            return Optional.of("missing-team");
        }
        if (blank(u.getEventId()) || blank(u.getProvider()) || blank(u.getModel())) {
            return Optional.of("missing-field");
        }
        if (u.getTimestamp() == null || absurd(u.getTimestamp().toEpochMilli(), nowMillis)) {
            return Optional.of("absurd-timestamp");
        }
        if (u.getInputTokens() < 0 || u.getCachedInputTokens() < 0 || u.getCacheWriteInputTokens() < 0
                || u.getOutputTokens() < 0) {
            return Optional.of("negative-tokens");
        }
        if (u.getCachedInputTokens() + u.getCacheWriteInputTokens() > u.getInputTokens()) {
            return Optional.of("inconsistent-tokens");
        }
        return Optional.empty();
    }

    public Optional<String> check(GpuUtilization g, long nowMillis) {
        if (blank(g.getTeam())) {
            return Optional.of("missing-team");
        }
        if (blank(g.getGpuModel()) || blank(g.getNode())) {
            return Optional.of("missing-field");
        }
        if (g.getTimestamp() == null || absurd(g.getTimestamp().toEpochMilli(), nowMillis)) {
            return Optional.of("absurd-timestamp");
        }
        if (!(g.getUtilization() >= 0 && g.getUtilization() <= 1)) {
            return Optional.of("bad-utilization");
        }
        // more than a day in one sample is a broken collector, not a measurement
        if (!(g.getIntervalSeconds() > 0 && g.getIntervalSeconds() <= 86_400)) {
            return Optional.of("bad-interval");
        }
        if (g.getUsdPerHour() != null && g.getUsdPerHour().signum() < 0) {
            return Optional.of("negative-price");
        }
        return Optional.empty();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
