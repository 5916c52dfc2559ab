package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.util.Map;

/** One alert changing state (FIRING or RESOLVED) at the end of an evaluated window. Money in USD. */
public record AlertTransition(String team, AlertType type, String subject, String state, long windowEndMs,
                              Double ratio, BigDecimal actualUsd, BigDecimal counterfactualUsd,
                              BigDecimal savingsUsdPerHour, BigDecimal idleUsdPerHour, BigDecimal budgetUsd,
                              BigDecimal spendUsd, String summary, Map<String, String> details) {
    public static final String FIRING = "FIRING";
    public static final String RESOLVED = "RESOLVED";

    /** Stable id of this transition: delivery's idempotency key. */
    public String alertId() {
        return team + "|" + type + "|" + subject + "|" + state + "|" + windowEndMs;
    }
}
