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
                        BigDecimal savingsUsdPerHour) {
    public enum Mode { API, SELF_HOSTED }

    /** Whether the ratio is above {@code threshold} (a null ratio is infinitely above). */
    public boolean ratioAbove(double threshold) {
        return ratio == null || ratio > threshold;
    }

    public boolean ratioBelow(double threshold) {
        return ratio != null && ratio < threshold;
    }
}
