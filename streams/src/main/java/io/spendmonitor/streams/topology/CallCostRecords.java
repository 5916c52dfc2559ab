package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.CallCost;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.PriceCatalog;

import java.math.BigDecimal;
import java.time.Instant;

/** The {@code spend.call-costs} record of a priced call: its own fields, the price entry used, the exact cost. */
final class CallCostRecords {
    /** Femto-dollars: the topology's money unit, so the decimal is exact. */
    static final int COST_SCALE = 15;
    static final String CONFIG = "spend.call-costs.enabled";

    private CallCostRecords() {
    }

    static CallCost of(TokenUsage u, PriceCatalog.Version price, long costFemto) {
        return CallCost.newBuilder()
                .setEventId(u.getEventId())
                .setTimestamp(u.getTimestamp())
                .setTeam(u.getTeam())
                .setApplication(u.getApplication())
                .setProvider(u.getProvider())
                .setModel(u.getModel())
                .setDeployment(u.getDeployment())
                .setInputTokens(u.getInputTokens())
                .setCachedInputTokens(u.getCachedInputTokens())
                .setCacheWriteInputTokens(u.getCacheWriteInputTokens())
                .setOutputTokens(u.getOutputTokens())
                .setServiceTier(u.getServiceTier())
                .setLatencyMs(u.getLatencyMs())
                .setReportedCostUsd(u.getReportedCostUsd())
                .setAttributes(u.getAttributes())
                .setLabels(u.getLabels() == null ? java.util.Map.of() : u.getLabels())
                .setPriceSubject(price.subject())
                .setPriceEffectiveFrom(Instant.ofEpochMilli(price.effectiveFromMillis()))
                .setCostUsd(BigDecimal.valueOf(costFemto, COST_SCALE))
                .build();
    }

    static boolean enabled(java.util.Map<String, Object> config) {
        Object value = config.get(CONFIG);
        return value != null && Boolean.parseBoolean(value.toString().strip());
    }
}
