package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** The cost of one GPU sample: interval_seconds / 3600 * usd_per_hour, split into busy and idle by utilization. */
public final class GpuSamplePricing {
    private static final BigDecimal SECONDS_PER_HOUR = BigDecimal.valueOf(3600);

    private GpuSamplePricing() {
    }

    /** In femto-USD, rounded half-even (the interval is a measured double, so this cannot be exact). */
    public static long costFemto(double intervalSeconds, BigDecimal usdPerHour) {
        BigDecimal usd = BigDecimal.valueOf(intervalSeconds).multiply(usdPerHour)
                .divide(SECONDS_PER_HOUR, 15, RoundingMode.HALF_EVEN);
        return Money.femto(usd);
    }

    /** The busy part of {@code costFemto}: weighted by utilization (0..1), rounded half-even. */
    public static long busyFemto(long costFemto, double utilization) {
        return BigDecimal.valueOf(costFemto).multiply(BigDecimal.valueOf(utilization))
                .setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    }
}
