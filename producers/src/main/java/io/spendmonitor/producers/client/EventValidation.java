package io.spendmonitor.producers.client;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.Decimals;
import io.spendmonitor.schemas.rules.EventRules;
import io.spendmonitor.schemas.rules.Violation;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Fills the defaults the client library promises (a random event_id, timestamp now, no attributes, no labels)
 * and checks the event with {@link EventRules}, the rules the topology applies, so that an event
 * the topology would dead-letter fails at once instead. An invalid event is the caller's bug: an
 * {@link IllegalArgumentException} names the field and the reason, e.g.
 * {@code token_usage: team contains '<' (no markup or quoting characters in names) [bad-name]}.
 * The caller's object is never modified: a completed copy is returned where something was filled.
 */
final class EventValidation {
    /** The topology's default time bounds (spend.timestamp.min, spend.timestamp.max-ahead), against the publisher's clock. */
    private static final EventRules RULES = EventRules.defaults();

    private EventValidation() {
    }

    static TokenUsage prepare(TokenUsage event, Clock clock) {
        if (event == null) {
            throw new IllegalArgumentException("token_usage event is null");
        }
        boolean needsEventId = event.getEventId() == null || event.getEventId().isBlank();
        boolean complete = !needsEventId && event.getTimestamp() != null && event.getAttributes() != null
                && event.getLabels() != null;
        // the all-fields constructor copies without the builder's own checks: the rules below report instead
        TokenUsage candidate = complete ? event : new TokenUsage(
                needsEventId ? UUID.randomUUID().toString() : event.getEventId(),
                event.getTimestamp() == null ? clock.instant() : event.getTimestamp(),
                event.getTeam(), event.getApplication(), event.getProvider(), event.getModel(), event.getDeployment(),
                event.getInputTokens(), event.getCachedInputTokens(), event.getCacheWriteInputTokens(), event.getOutputTokens(),
                event.getServiceTier(), event.getLatencyMs(), event.getReportedCostUsd(),
                event.getAttributes() == null ? Map.of() : event.getAttributes(),
                event.getLabels() == null ? Map.of() : event.getLabels(), event.getPromptHash());
        require("token_usage", RULES.check(candidate, clock.millis()));
        BigDecimal cost = atMoneyScale(candidate.getReportedCostUsd());
        if (cost != candidate.getReportedCostUsd()) {
            if (candidate == event) {
                candidate = TokenUsage.newBuilder(event).build();
            }
            candidate.setReportedCostUsd(cost);
        }
        return candidate;
    }

    static GpuUtilization prepare(GpuUtilization event, Clock clock) {
        if (event == null) {
            throw new IllegalArgumentException("gpu_utilization event is null");
        }
        GpuUtilization candidate = event.getTimestamp() != null ? event : new GpuUtilization(clock.instant(),
                event.getNode(), event.getGpuId(), event.getGpuModel(), event.getTeam(), event.getDeployment(), event.getModel(),
                event.getUtilization(), event.getMemoryUsedBytes(), event.getMemoryTotalBytes(), event.getPowerWatts(),
                event.getIntervalSeconds(), event.getUsdPerHour(), event.getPromptTokens(), event.getGenerationTokens(),
                event.getPrefixCacheQueries(), event.getPrefixCacheHits());
        require("gpu_utilization", RULES.check(candidate, clock.millis()));
        BigDecimal usdPerHour = atMoneyScale(candidate.getUsdPerHour());
        if (usdPerHour != candidate.getUsdPerHour()) {
            if (candidate == event) {
                candidate = GpuUtilization.newBuilder(event).build();
            }
            candidate.setUsdPerHour(usdPerHour);
        }
        return candidate;
    }

    /** The Avro decimal needs scale 9 exactly; the rules have already refused finer amounts and bombs. */
    private static BigDecimal atMoneyScale(BigDecimal value) {
        if (value == null || value.scale() == EventRules.MONEY_SCALE) {
            return value;
        }
        return Decimals.atScale(value, EventRules.MONEY_SCALE)
                .orElseThrow(() -> new IllegalArgumentException("not a nano-dollar amount: " + Decimals.preview(value)));
    }

    private static void require(String type, Optional<Violation> violation) {
        violation.ifPresent(v -> {
            throw new IllegalArgumentException(type + ": " + v.message() + " [" + v.reason().wire() + "]");
        });
    }
}
