package io.spendmonitor.streams.cost;

import java.time.Duration;

/**
 * When break-even trusts a deployment's measured throughput (vLLM token counters over its busy
 * GPU time) instead of the profile's declared {@code tokens_per_second_per_replica}.
 *
 * @param minEvidence    measured time the horizon must hold (30 minutes): windows in which the
 *                       measured GPU samples of the profile's model on its GPU were busy enough
 * @param minUtilization a window counts as evidence when its measured GPU time was at least this busy (0.20):
 *                       a nearly idle GPU says little about what it serves flat out
 */
public record CapacitySettings(Duration minEvidence, double minUtilization) {
    public static final String DEFAULT_MIN_EVIDENCE = "PT30M";
    public static final String DEFAULT_MIN_UTILIZATION = "0.20";

    public CapacitySettings {
        if (minEvidence == null || minEvidence.isNegative() || minEvidence.isZero()) {
            throw new IllegalArgumentException("the measured-capacity evidence must be a positive duration");
        }
        if (!(minUtilization > 0 && minUtilization <= 1)) {
            throw new IllegalArgumentException("the measured-capacity utilization must be in (0, 1], got " + minUtilization);
        }
    }

    public static CapacitySettings defaults() {
        return new CapacitySettings(Duration.parse(DEFAULT_MIN_EVIDENCE), Double.parseDouble(DEFAULT_MIN_UTILIZATION));
    }
}
