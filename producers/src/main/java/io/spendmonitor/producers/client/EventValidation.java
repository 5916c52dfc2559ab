package io.spendmonitor.producers.client;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Checks an event before it is sent and fills the defaults the client library promises (a random
 * event_id, timestamp now). An invalid event is the caller's bug: it fails at once with an
 * {@link IllegalArgumentException} saying which field is wrong, instead of reaching the dead-letter topic.
 * The caller's object is never modified: a completed copy is returned where something was filled.
 */
final class EventValidation {
    /** Avro decimal(18, 9): nano-dollars, below one billion dollars. */
    private static final int MONEY_SCALE = 9;
    private static final BigDecimal MONEY_LIMIT = BigDecimal.TEN.pow(18 - MONEY_SCALE);

    private EventValidation() {
    }

    static TokenUsage prepare(TokenUsage event, Clock clock) {
        if (event == null) {
            throw new IllegalArgumentException("token_usage event is null");
        }
        requireText(event.getTeam(), "token_usage", "team");
        requireText(event.getApplication(), "token_usage", "application");
        requireText(event.getProvider(), "token_usage", "provider");
        requireText(event.getModel(), "token_usage", "model");
        long input = event.getInputTokens();
        long cached = event.getCachedInputTokens();
        long cacheWrite = event.getCacheWriteInputTokens();
        long output = event.getOutputTokens();
        if (input < 0 || cached < 0 || cacheWrite < 0 || output < 0) {
            throw new IllegalArgumentException("token_usage token counts must not be negative: " + counts(event));
        }
        if (cached > input - cacheWrite) {
            throw new IllegalArgumentException("token_usage cached_input_tokens + cache_write_input_tokens must not exceed "
                    + "input_tokens, which counts ALL input tokens, cache reads and writes included: " + counts(event));
        }
        if (event.getLatencyMs() != null && event.getLatencyMs() < 0) {
            throw new IllegalArgumentException("token_usage latency_ms must not be negative: " + event.getLatencyMs());
        }
        BigDecimal reportedCost = money(event.getReportedCostUsd(), "token_usage", "reported_cost_usd");
        Map<String, String> attributes = event.getAttributes();
        if (attributes != null) {
            attributes.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("token_usage attributes must not hold null keys or values: " + attributes);
                }
            });
        }
        boolean needsEventId = event.getEventId() == null || event.getEventId().isBlank();
        boolean complete = !needsEventId && event.getTimestamp() != null && attributes != null
                && reportedCost == event.getReportedCostUsd();
        if (complete) {
            return event;
        }
        TokenUsage copy = TokenUsage.newBuilder(event)
                .setEventId(needsEventId ? UUID.randomUUID().toString() : event.getEventId())
                .setTimestamp(event.getTimestamp() == null ? now(clock) : event.getTimestamp())
                .setAttributes(attributes == null ? Map.of() : attributes)
                .build();
        copy.setReportedCostUsd(reportedCost);
        return copy;
    }

    static GpuUtilization prepare(GpuUtilization event, Clock clock) {
        if (event == null) {
            throw new IllegalArgumentException("gpu_utilization event is null");
        }
        requireText(event.getTeam(), "gpu_utilization", "team");
        requireText(event.getNode(), "gpu_utilization", "node");
        requireText(event.getGpuId(), "gpu_utilization", "gpu_id");
        requireText(event.getGpuModel(), "gpu_utilization", "gpu_model");
        double utilization = event.getUtilization();
        if (!(utilization >= 0 && utilization <= 1)) {
            throw new IllegalArgumentException("gpu_utilization utilization must be a fraction in 0..1, got " + utilization);
        }
        if (event.getMemoryUsedBytes() < 0 || event.getMemoryTotalBytes() < 0) {
            throw new IllegalArgumentException("gpu_utilization memory must not be negative: used "
                    + event.getMemoryUsedBytes() + ", total " + event.getMemoryTotalBytes());
        }
        Double power = event.getPowerWatts();
        if (power != null && !(power >= 0 && Double.isFinite(power))) {
            throw new IllegalArgumentException("gpu_utilization power_watts must be a non-negative number, got " + power);
        }
        double interval = event.getIntervalSeconds();
        if (!(interval > 0 && Double.isFinite(interval))) {
            throw new IllegalArgumentException("gpu_utilization interval_seconds must be positive, got " + interval);
        }
        BigDecimal usdPerHour = money(event.getUsdPerHour(), "gpu_utilization", "usd_per_hour");
        if (event.getTimestamp() != null && usdPerHour == event.getUsdPerHour()) {
            return event;
        }
        GpuUtilization copy = GpuUtilization.newBuilder(event)
                .setTimestamp(event.getTimestamp() == null ? now(clock) : event.getTimestamp())
                .build();
        copy.setUsdPerHour(usdPerHour);
        return copy;
    }

    /** {@code value} at the schema's scale of 9; rejects more decimals (no silent rounding of money), negatives and overflow. */
    static BigDecimal money(BigDecimal value, String type, String field) {
        if (value == null) {
            return null;
        }
        if (value.signum() < 0) {
            throw new IllegalArgumentException(type + " " + field + " must not be negative, got " + value.toPlainString());
        }
        if (value.compareTo(MONEY_LIMIT) >= 0) {
            throw new IllegalArgumentException(type + " " + field + " must be below " + MONEY_LIMIT.toPlainString() + ", got " + value.toPlainString());
        }
        if (value.scale() == MONEY_SCALE) {
            return value;
        }
        try {
            return value.setScale(MONEY_SCALE);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(type + " " + field + " has more than " + MONEY_SCALE
                    + " decimals (nano-dollars): " + value.toPlainString());
        }
    }

    private static Instant now(Clock clock) {
        return clock.instant();
    }

    private static void requireText(String value, String type, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(type + " " + field + " must not be empty");
        }
    }

    private static String counts(TokenUsage e) {
        return "input_tokens=" + e.getInputTokens() + ", cached_input_tokens=" + e.getCachedInputTokens()
                + ", cache_write_input_tokens=" + e.getCacheWriteInputTokens() + ", output_tokens=" + e.getOutputTokens();
    }
}
