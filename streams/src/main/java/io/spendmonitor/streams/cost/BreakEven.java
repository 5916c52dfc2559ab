package io.spendmonitor.streams.cost;

import java.math.BigDecimal;

/**
 * One break-even evaluation of a team against a self-host profile over the trailing horizon.
 * API mode: actual = API spend on the profile's api_equivalent, counterfactual = self-hosting it;
 * ratio above 1 means self-hosting would be cheaper. Self-hosted mode: actual = GPU cost of the
 * deployments serving the profile's model, counterfactual = their tokens at API prices; ratio
 * above 1 means self-hosting is dearer. {@code ratio} is null when the counterfactual is zero
 * (GPUs running but serving nothing): infinitely dearer.
 */
public record BreakEven(String profile, String gpuModel, Mode mode, String apiModel, int minutes, int replicas,
                        int gpus, BigDecimal actualUsd, BigDecimal counterfactualUsd, Double ratio,
                        BigDecimal savingsUsdPerHour, Throughput throughput) {
    public enum Mode { API, SELF_HOSTED }

    public BreakEven(String profile, String gpuModel, Mode mode, String apiModel, int minutes, int replicas,
                     int gpus, BigDecimal actualUsd, BigDecimal counterfactualUsd, Double ratio, BigDecimal savingsUsdPerHour) {
        this(profile, gpuModel, mode, apiModel, minutes, replicas, gpus, actualUsd, counterfactualUsd, ratio, savingsUsdPerHour, null);
    }

    /** Which throughput sized the replicas: the profile's declared one, or the one measured from vLLM's counters. */
    public enum Source { DECLARED, MEASURED }

    /**
     * The throughput behind the replica count (API mode) and what was measured.
     *
     * @param declaredTokensPerSecondPerReplica the profile's tokens_per_second_per_replica
     * @param measuredTokensPerBusyGpuSecond    tokens the team's deployments of the profile's model on its GPU served
     *                                          per busy GPU-second over the horizon (windows busy enough only), or null
     * @param measuredTokensPerSecondPerReplica that times gpus_per_replica: one replica flat out, or null
     * @param evidenceSeconds                   length of the horizon's windows that count as evidence
     * @param requiredSeconds                   evidence needed before the measured value is used
     * @param deployments                       the deployments measured
     * @param prefixCacheHitRate                vLLM prefix-cache hits / queries (tokens) of those deployments, or null
     * @param byDeployment                      each measured deployment's own tokens per busy GPU-second over the
     *                                          evidence windows (absent: no window busy enough)
     */
    public record Throughput(double declaredTokensPerSecondPerReplica, BigDecimal measuredTokensPerBusyGpuSecond,
                             BigDecimal measuredTokensPerSecondPerReplica, long evidenceSeconds, long requiredSeconds,
                             Source used, java.util.List<String> deployments, Double prefixCacheHitRate,
                             java.util.Map<String, BigDecimal> byDeployment) {
    }

    /** Whether the ratio is above {@code threshold} (a null ratio is infinitely above). */
    public boolean ratioAbove(double threshold) {
        return ratio == null || ratio > threshold;
    }

    public boolean ratioBelow(double threshold) {
        return ratio != null && ratio < threshold;
    }
}
