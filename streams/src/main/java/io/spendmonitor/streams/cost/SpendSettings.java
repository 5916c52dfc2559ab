package io.spendmonitor.streams.cost;

import java.time.Duration;

/**
 * The thresholds of the cost model and the alerts (DESIGN.md defaults), all configurable.
 *
 * @param windowSize            tumbling window length (1 minute)
 * @param grace                 how late an event may be and still count (5 minutes)
 * @param horizonMinutes        trailing horizon of the break-even (60)
 * @param breakEvenEvaluations  N consecutive evaluations to fire or resolve a break-even alert (5)
 * @param breakEvenMargin       fire when ratio > 1 + margin (0.10); resolve when ratio < 1
 * @param idleUtilization       a window is idle below this utilization (0.30)
 * @param idleFireWindows       consecutive idle windows to fire IDLE_CAPACITY (15)
 * @param idleResolveWindows    consecutive windows at or above the threshold to resolve it (5)
 * @param budgetWarnFraction    first budget alert (0.80)
 * @param forecastMinElapsed    the forecast alert needs this fraction of the period gone (0.10)
 * @param spikeFactor           SPEND_SPIKE: a window's API cost at least this many times the baseline (5)
 * @param spikeMinUsd           SPEND_SPIKE: the three spike windows together cost at least this ($0.05)
 */
public record SpendSettings(Duration windowSize, Duration grace, int horizonMinutes, int breakEvenEvaluations,
                            double breakEvenMargin, double idleUtilization, int idleFireWindows, int idleResolveWindows,
                            double budgetWarnFraction, double forecastMinElapsed, double spikeFactor,
                            java.math.BigDecimal spikeMinUsd) {

    public static final double DEFAULT_SPIKE_FACTOR = 5;
    public static final java.math.BigDecimal DEFAULT_SPIKE_MIN_USD = new java.math.BigDecimal("0.05");

    public static SpendSettings defaults() {
        return new SpendSettings(Duration.ofMinutes(1), Duration.ofMinutes(5), 60, 5, 0.10, 0.30, 15, 5, 0.80, 0.10);
    }

    /** The settings with the default SPEND_SPIKE thresholds. */
    public SpendSettings(Duration windowSize, Duration grace, int horizonMinutes, int breakEvenEvaluations,
                         double breakEvenMargin, double idleUtilization, int idleFireWindows, int idleResolveWindows,
                         double budgetWarnFraction, double forecastMinElapsed) {
        this(windowSize, grace, horizonMinutes, breakEvenEvaluations, breakEvenMargin, idleUtilization, idleFireWindows,
                idleResolveWindows, budgetWarnFraction, forecastMinElapsed, DEFAULT_SPIKE_FACTOR, DEFAULT_SPIKE_MIN_USD);
    }

    public SpendSettings {
        if (windowSize.toMillis() <= 0 || windowSize.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("window size must be a positive whole number of seconds");
        }
        if (3_600_000L % windowSize.toMillis() != 0) {
            // windows must tile hours (and so days and months) exactly: a budget period never splits a window
            throw new IllegalArgumentException("window size must divide one hour evenly (e.g. PT5S, PT1M, PT5M), got " + windowSize);
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace cannot be negative");
        }
        if (horizonMinutes < 1 || breakEvenEvaluations < 1 || idleFireWindows < 1 || idleResolveWindows < 1) {
            throw new IllegalArgumentException("horizon and alert counts must be at least 1");
        }
        if (breakEvenMargin < 0 || idleUtilization < 0 || idleUtilization > 1 || budgetWarnFraction <= 0
                || budgetWarnFraction >= 1 || forecastMinElapsed < 0 || forecastMinElapsed >= 1) {
            throw new IllegalArgumentException("margins and fractions out of range");
        }
        if (!(spikeFactor > 1) || Double.isInfinite(spikeFactor) || spikeMinUsd == null || spikeMinUsd.signum() < 0) {
            throw new IllegalArgumentException("the spend spike factor must be above 1 and its minimum in USD not negative");
        }
    }

    public long windowSizeMs() {
        return windowSize.toMillis();
    }

    /** The break-even horizon in ms (a count of minutes, whatever the window size). */
    public long horizonMs() {
        return horizonMinutes * 60_000L;
    }

    public long graceMs() {
        return grace.toMillis();
    }
}
