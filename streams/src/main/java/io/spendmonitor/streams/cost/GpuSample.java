package io.spendmonitor.streams.cost;

import java.math.BigDecimal;

/**
 * One GPU-utilization sample as the cost model sees it, after admission.
 *
 * @param usdPerHourOverride the sample's own price (it beats the catalog), or null
 */
public record GpuSample(String team, long timestampMs, String deployment, String model, String gpuModel,
                        double intervalSeconds, double utilization, BigDecimal usdPerHourOverride) {
}
