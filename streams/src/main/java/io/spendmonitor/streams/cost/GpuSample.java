package io.spendmonitor.streams.cost;

import java.math.BigDecimal;

/**
 * One GPU-utilization sample as the cost model sees it, after admission.
 *
 * @param usdPerHourOverride the sample's own price (it beats the catalog), or null
 * @param measuredTokens     prompt + generation tokens the deployment's vLLM counters say it served
 *                           over the interval (on one of its samples, 0 on the others), or null: not measured
 * @param prefixQueries      vLLM prefix-cache queries over the interval (tokens), or null
 * @param prefixHits         of those, hits, or null
 */
public record GpuSample(String team, long timestampMs, String deployment, String model, String gpuModel,
                        double intervalSeconds, double utilization, BigDecimal usdPerHourOverride,
                        Long measuredTokens, Long prefixQueries, Long prefixHits) {

    public GpuSample(String team, long timestampMs, String deployment, String model, String gpuModel,
                     double intervalSeconds, double utilization, BigDecimal usdPerHourOverride) {
        this(team, timestampMs, deployment, model, gpuModel, intervalSeconds, utilization, usdPerHourOverride, null, null, null);
    }
}
