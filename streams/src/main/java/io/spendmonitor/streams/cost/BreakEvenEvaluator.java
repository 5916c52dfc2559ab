package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** DESIGN.md's break-even formulas, over the minute summaries of a trailing horizon. */
public final class BreakEvenEvaluator {
    private static final BigDecimal SIXTY = BigDecimal.valueOf(60);

    private BreakEvenEvaluator() {
    }

    /**
     * @param horizon  the finalized minutes of the horizon that had data (empty minutes are implied)
     * @param minutes  the horizon's length in minutes: min(60, minutes since the team's first window)
     */
    public static List<BreakEven> evaluate(List<MinuteSummary> horizon, int minutes, SelfHostProfileSpec profile,
                                           Optional<BigDecimal> gpuUsdPerHour, Optional<ApiPrice> apiPrice) {
        List<BreakEven> results = new ArrayList<>();
        if (minutes <= 0) {
            return results;
        }
        apiMode(horizon, minutes, profile, gpuUsdPerHour).ifPresent(results::add);
        selfHostedMode(horizon, minutes, profile, apiPrice).ifPresent(results::add);
        return results;
    }

    /**
     * counterfactual = (replicas * gpus_per_replica * gpu_usd_per_hour + overhead_usd_per_hour) * hours,
     * replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization))),
     * peak_tps = the largest tokens-per-minute / 60 of the calls to the api_equivalent in the horizon.
     */
    static Optional<BreakEven> apiMode(List<MinuteSummary> horizon, int minutes, SelfHostProfileSpec profile,
                                       Optional<BigDecimal> gpuUsdPerHour) {
        String apiModel = profile.apiEquivalent();
        long actualFemto = 0;
        long peakTokensPerMinute = 0;
        boolean called = false;
        for (MinuteSummary minute : horizon) {
            MinuteSummary.ApiMinute m = minute.apiModels().get(apiModel);
            if (m != null) {
                called = true;
                actualFemto += m.costFemto();
                peakTokensPerMinute = Math.max(peakTokensPerMinute, m.input() + m.output());
            }
        }
        if (!called || gpuUsdPerHour.isEmpty()) {
            return Optional.empty();
        }
        int replicas = replicas(peakTokensPerMinute, profile);
        int gpus = replicas * profile.gpusPerReplica();
        BigDecimal hourly = gpuUsdPerHour.get().multiply(BigDecimal.valueOf(gpus)).add(profile.overheadUsdPerHour());
        BigDecimal counterfactual = hourly.multiply(BigDecimal.valueOf(minutes)).divide(SIXTY, 15, RoundingMode.HALF_EVEN);
        BigDecimal actual = Money.usd(actualFemto);
        return Optional.of(result(profile, BreakEven.Mode.API, minutes, replicas, gpus, actual, counterfactual));
    }

    /** replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization))). */
    public static int replicas(long peakTokensPerMinute, SelfHostProfileSpec profile) {
        BigDecimal capacityPerMinute = profile.capacityPerMinute();
        if (capacityPerMinute.signum() <= 0) {
            throw new IllegalArgumentException("profile " + profile.name() + " has no throughput");
        }
        // peak_tps / (tps * target) = peak_tokens_per_minute / (tps * target * 60)
        int needed = new BigDecimal(peakTokensPerMinute).divide(capacityPerMinute, 0, RoundingMode.CEILING).intValueExact();
        return Math.max(profile.minReplicas(), needed);
    }

    /**
     * actual = GPU cost of the deployments serving the profile's model; counterfactual = the tokens
     * they served priced at the api_equivalent's prices (the API call formula).
     */
    static Optional<BreakEven> selfHostedMode(List<MinuteSummary> horizon, int minutes, SelfHostProfileSpec profile,
                                              Optional<ApiPrice> apiPrice) {
        long actualFemto = 0;
        TokenCounts tokens = TokenCounts.ZERO;
        boolean runs = false;
        for (MinuteSummary minute : horizon) {
            MinuteSummary.SelfHostMinute m = minute.selfHosted().get(profile.model());
            // the profile describes serving on its GPU model: compare deployments on that GPU (or of unknown GPU)
            if (m != null && (m.gpuModels().isEmpty() || m.gpuModels().contains(profile.gpuModel()))) {
                runs = true;
                actualFemto += m.gpuCostFemto();
                tokens = tokens.plus(m.tokens());
            }
        }
        if (!runs || apiPrice.isEmpty()) {
            return Optional.empty();
        }
        BigDecimal actual = Money.usd(actualFemto);
        BigDecimal counterfactual = Money.usd(apiPrice.get().costFemto(tokens));
        return Optional.of(result(profile, BreakEven.Mode.SELF_HOSTED, minutes, 0, 0, actual, counterfactual));
    }

    private static BreakEven result(SelfHostProfileSpec profile, BreakEven.Mode mode, int minutes, int replicas, int gpus,
                                    BigDecimal actual, BigDecimal counterfactual) {
        Double ratio = counterfactual.signum() == 0 ? null
                : actual.divide(counterfactual, MathContext.DECIMAL64).doubleValue();
        // savings_usd_per_hour = (actual - counterfactual) / hours = (actual - counterfactual) * 60 / minutes
        BigDecimal savings = actual.subtract(counterfactual).multiply(SIXTY)
                .divide(BigDecimal.valueOf(minutes), 9, RoundingMode.HALF_EVEN);
        return new BreakEven(profile.name(), profile.gpuModel(), mode, profile.apiEquivalent(), minutes, replicas, gpus,
                Money.usdNanos(actual), Money.usdNanos(counterfactual), ratio, savings);
    }
}
