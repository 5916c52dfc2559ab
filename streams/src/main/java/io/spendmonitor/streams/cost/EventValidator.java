package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The checks an event must pass before it is counted. A failed check names the dead-letter
 * reason: {@code missing-team}, {@code bad-name} (longer than 200 characters, control characters
 * undecodable bytes or markup characters in a team, application, provider, model or deployment name),
 * {@code negative-tokens}, {@code absurd-tokens} (more than 10 million in one call: no model
 * serves that, and it keeps every cost far inside exact arithmetic), {@code inconsistent-tokens},
 * {@code absurd-timestamp}, {@code missing-field}, {@code bad-utilization}, {@code bad-interval},
 * {@code negative-price}.
 */
public final class EventValidator {
    /** More tokens than this in one call is garbage (the largest context windows hold a few million). */
    public static final long MAX_TOKENS_PER_CALL = 10_000_000L;
    public static final int MAX_NAME_LENGTH = 200;
    /** No GPU rents for more than this an hour; above it the sample is garbage. */
    public static final java.math.BigDecimal MAX_GPU_USD_PER_HOUR = java.math.BigDecimal.valueOf(10_000);

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
        if (badName(u.getTeam()) || badName(u.getApplication()) || badName(u.getProvider()) || badName(u.getModel())
                || (u.getDeployment() != null && badName(u.getDeployment())) || u.getEventId().length() > MAX_NAME_LENGTH) {
            return Optional.of("bad-name");
        }
        if (u.getTimestamp() == null || absurd(u.getTimestamp().toEpochMilli(), nowMillis)) {
            return Optional.of("absurd-timestamp");
        }
        if (u.getInputTokens() < 0 || u.getCachedInputTokens() < 0 || u.getCacheWriteInputTokens() < 0
                || u.getOutputTokens() < 0) {
            return Optional.of("negative-tokens");
        }
        if (u.getInputTokens() > MAX_TOKENS_PER_CALL || u.getOutputTokens() > MAX_TOKENS_PER_CALL) {
            return Optional.of("absurd-tokens");
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
        if (badName(g.getTeam()) || badName(g.getGpuModel()) || badName(g.getNode()) || badName(g.getGpuId())
                || (g.getDeployment() != null && badName(g.getDeployment())) || (g.getModel() != null && badName(g.getModel()))) {
            return Optional.of("bad-name");
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
        if (g.getUsdPerHour() != null && g.getUsdPerHour().compareTo(MAX_GPU_USD_PER_HOUR) > 0) {
            return Optional.of("absurd-price");
        }
        return Optional.empty();
    }

    /**
     * Names end up in metric labels, JSON, web pages and Slack messages: bounded, printable text,
     * no markup or quoting characters ({@code < > " ' ` \}).
     */
    static boolean badName(String s) {
        if (s == null || s.length() > MAX_NAME_LENGTH) {
            return true;
        }
        // a loop, not a regular expression: this runs on several fields of every event
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) // control characters (Unicode category Cc)
                    || c == '\uFFFD'                    // what a decoder leaves of invalid UTF-8
                    || c == '<' || c == '>' || c == '"' || c == '\'' || c == '`' || c == '\\') {
                return true;
            }
        }
        return false;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
