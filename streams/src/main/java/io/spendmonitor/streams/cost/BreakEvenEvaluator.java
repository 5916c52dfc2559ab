package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** DESIGN.md's break-even formulas, over the minute summaries of a trailing horizon. */
public final class BreakEvenEvaluator {
    private static final BigDecimal MS_PER_HOUR = BigDecimal.valueOf(3_600_000);
    private static final BigDecimal MS_PER_MINUTE = BigDecimal.valueOf(60_000);

    private BreakEvenEvaluator() {
    }

    /**
     * @param horizon   the finalized windows of the horizon that had data (empty windows are implied)
     * @param horizonMs the horizon's length: min(60 minutes, time since the team's first window);
     *                  {@code hours} of DESIGN.md is this / 3,600,000
     * @param windowMs  the window length: peak_tps is the largest tokens-per-window / window seconds
     */
    public static List<BreakEven> evaluate(List<MinuteSummary> horizon, long horizonMs, long windowMs, SelfHostProfileSpec profile,
                                           Optional<BigDecimal> gpuUsdPerHour, Optional<ApiPrice> apiPrice) {
        return evaluate(horizon, horizonMs, windowMs, profile, gpuUsdPerHour, apiPrice, CapacitySettings.defaults());
    }

    /**
     * As above; API mode sizes the replicas with the measured throughput ({@link #throughput}) once
     * the horizon holds {@code capacity}'s evidence, else with the profile's declared one.
     */
    public static List<BreakEven> evaluate(List<MinuteSummary> horizon, long horizonMs, long windowMs, SelfHostProfileSpec profile,
                                           Optional<BigDecimal> gpuUsdPerHour, Optional<ApiPrice> apiPrice,
                                           CapacitySettings capacity) {
        List<BreakEven> results = new ArrayList<>();
        if (horizonMs <= 0) {
            return results;
        }
        BreakEven.Throughput throughput = throughput(horizon, windowMs, profile, capacity);
        apiMode(horizon, horizonMs, windowMs, profile, gpuUsdPerHour, throughput).ifPresent(results::add);
        selfHostedMode(horizon, horizonMs, profile, apiPrice).ifPresent(results::add);
        return results.stream().map(b -> withThroughput(b, throughput)).toList();
    }

    /**
     * As above, from the horizon's running sums: the same results as the scan over
     * {@code horizon.minutes()}, with a few look-ups per profile instead of one per minute.
     */
    public static List<BreakEven> evaluate(Horizon horizon, long horizonMs, long windowMs, SelfHostProfileSpec profile,
                                           Optional<BigDecimal> gpuUsdPerHour, Optional<ApiPrice> apiPrice,
                                           CapacitySettings capacity) {
        List<BreakEven> results = new ArrayList<>();
        if (horizonMs <= 0) {
            return results;
        }
        // minutes without measured data add nothing to the measurement: only those with some are read
        BreakEven.Throughput throughput = throughput(horizon.measuredMinutes(), windowMs, profile, capacity);
        Horizon.ApiTotals api = horizon.api(profile.apiEquivalent());
        apiMode(api.called(), api.costFemto(), api.peakTokensPerWindow(), horizonMs, windowMs, profile, gpuUsdPerHour, throughput)
                .ifPresent(results::add);
        Horizon.SelfHostTotals self = horizon.selfHosted(profile.model(), profile.gpuModel());
        selfHostedMode(self.runs(), self.gpuCostFemto(), self.tokens(), horizonMs, profile, apiPrice).ifPresent(results::add);
        return results.stream().map(b -> withThroughput(b, throughput)).toList();
    }

    private static BreakEven withThroughput(BreakEven b, BreakEven.Throughput t) {
        return new BreakEven(b.profile(), b.gpuModel(), b.mode(), b.apiModel(), b.minutes(), b.replicas(), b.gpus(), b.actualUsd(),
                b.counterfactualUsd(), b.ratio(), b.savingsUsdPerHour(), t);
    }

    /**
     * Measured throughput of the profile's model on the profile's GPU, from the horizon's windows
     * in which the team's deployments of it carried vLLM token counts and were at least
     * {@code minUtilization} busy: measured tokens / their busy GPU-seconds (tokens per busy
     * GPU-second), times gpus_per_replica for one replica. Used once those windows add up to
     * {@code minEvidence}.
     */
    public static BreakEven.Throughput throughput(Iterable<MinuteSummary> horizon, long windowMs, SelfHostProfileSpec profile,
                                                  CapacitySettings capacity) {
        long tokens = 0;
        double busySeconds = 0;
        long evidenceWindows = 0;
        long prefixQueries = 0;
        long prefixHits = 0;
        java.util.TreeSet<String> deployments = new java.util.TreeSet<>();
        java.util.Map<String, long[]> tokensBy = new java.util.TreeMap<>();
        java.util.Map<String, double[]> busyBy = new java.util.TreeMap<>();
        for (MinuteSummary minute : horizon) {
            boolean evidence = false;
            for (var entry : minute.measured().entrySet()) {
                MinuteSummary.MeasuredMinute m = entry.getValue();
                if (!profile.model().equals(m.model()) || !profile.gpuModel().equals(m.gpuModel()) || m.gpuSeconds() <= 0) {
                    continue;
                }
                deployments.add(entry.getKey());
                prefixQueries = saturated(prefixQueries, m.prefixQueries());
                prefixHits = saturated(prefixHits, m.prefixHits());
                if (m.utilization() >= capacity.minUtilization()) {
                    evidence = true;
                    tokens = saturated(tokens, m.tokens());
                    busySeconds += m.busyGpuSeconds();
                    long[] t = tokensBy.computeIfAbsent(entry.getKey(), k -> new long[1]);
                    t[0] = saturated(t[0], m.tokens());
                    busyBy.computeIfAbsent(entry.getKey(), k -> new double[1])[0] += m.busyGpuSeconds();
                }
            }
            if (evidence) {
                evidenceWindows++;
            }
        }
        BigDecimal perGpuSecond = busySeconds > 0 && tokens > 0
                ? new BigDecimal(tokens).divide(BigDecimal.valueOf(busySeconds), MathContext.DECIMAL64) : null;
        BigDecimal perReplica = perGpuSecond == null ? null : perGpuSecond.multiply(BigDecimal.valueOf(profile.gpusPerReplica()));
        long evidenceSeconds = evidenceWindows * windowMs / 1000;
        long requiredSeconds = capacity.minEvidence().toSeconds();
        BreakEven.Source used = perReplica != null && evidenceSeconds >= requiredSeconds ? BreakEven.Source.MEASURED
                : BreakEven.Source.DECLARED;
        Double hitRate = prefixQueries > 0 ? (double) prefixHits / prefixQueries : null;
        java.util.Map<String, BigDecimal> byDeployment = new java.util.TreeMap<>();
        tokensBy.forEach((deployment, t) -> {
            double busy = busyBy.get(deployment)[0];
            if (busy > 0) {
                byDeployment.put(deployment, new BigDecimal(t[0]).divide(BigDecimal.valueOf(busy), MathContext.DECIMAL64));
            }
        });
        return new BreakEven.Throughput(profile.tokensPerSecondPerReplica(), perGpuSecond, perReplica, evidenceSeconds,
                requiredSeconds, used, List.copyOf(deployments), hitRate, java.util.Collections.unmodifiableMap(byDeployment));
    }

    private static long saturated(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /** With 1-minute windows: {@code minutes} of horizon (the DESIGN.md form, used by tests). */
    public static List<BreakEven> evaluate(List<MinuteSummary> horizon, int minutes, SelfHostProfileSpec profile,
                                           Optional<BigDecimal> gpuUsdPerHour, Optional<ApiPrice> apiPrice) {
        return evaluate(horizon, minutes * 60_000L, 60_000L, profile, gpuUsdPerHour, apiPrice);
    }

    /**
     * counterfactual = (replicas * gpus_per_replica * gpu_usd_per_hour + overhead_usd_per_hour) * hours,
     * replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization))),
     * peak_tps = the largest tokens-per-window / window seconds of the calls to the api_equivalent in the horizon.
     */
    static Optional<BreakEven> apiMode(List<MinuteSummary> horizon, long horizonMs, long windowMs, SelfHostProfileSpec profile,
                                       Optional<BigDecimal> gpuUsdPerHour) {
        return apiMode(horizon, horizonMs, windowMs, profile, gpuUsdPerHour, null);
    }

    static Optional<BreakEven> apiMode(List<MinuteSummary> horizon, long horizonMs, long windowMs, SelfHostProfileSpec profile,
                                       Optional<BigDecimal> gpuUsdPerHour, BreakEven.Throughput throughput) {
        String apiModel = profile.apiEquivalent();
        FemtoSum actualFemto = new FemtoSum(); // a long until it would wrap: no allocation per minute
        long peakTokensPerWindow = 0;
        boolean called = false;
        for (MinuteSummary minute : horizon) {
            MinuteSummary.ApiMinute m = minute.apiModels().get(apiModel);
            if (m != null) {
                called = true;
                actualFemto.add(m.costFemto());
                peakTokensPerWindow = Math.max(peakTokensPerWindow, Math.addExact(m.input(), m.output()));
            }
        }
        return apiMode(called, actualFemto.value(), peakTokensPerWindow, horizonMs, windowMs, profile, gpuUsdPerHour, throughput);
    }

    private static Optional<BreakEven> apiMode(boolean called, BigInteger actualFemto, long peakTokensPerWindow, long horizonMs,
                                               long windowMs, SelfHostProfileSpec profile, Optional<BigDecimal> gpuUsdPerHour,
                                               BreakEven.Throughput throughput) {
        if (!called || gpuUsdPerHour.isEmpty()) {
            return Optional.empty();
        }
        int replicas = throughput != null && throughput.used() == BreakEven.Source.MEASURED
                ? replicas(peakTokensPerWindow, windowMs, profile, measuredCapacityPerMinute(profile, throughput))
                : replicas(peakTokensPerWindow, windowMs, profile);
        int gpus = Math.multiplyExact(replicas, profile.gpusPerReplica());
        BigDecimal hourly = gpuUsdPerHour.get().multiply(BigDecimal.valueOf(gpus)).add(profile.overheadUsdPerHour());
        BigDecimal counterfactual = hourly.multiply(BigDecimal.valueOf(horizonMs)).divide(MS_PER_HOUR, 15, RoundingMode.HALF_EVEN);
        BigDecimal actual = Money.usd(actualFemto);
        return Optional.of(result(profile, BreakEven.Mode.API, horizonMs, replicas, gpus, actual, counterfactual));
    }

    /** With 1-minute windows. */
    public static int replicas(long peakTokensPerMinute, SelfHostProfileSpec profile) {
        return replicas(peakTokensPerMinute, 60_000L, profile);
    }

    /** replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization))). */
    public static int replicas(long peakTokensPerWindow, long windowMs, SelfHostProfileSpec profile) {
        return replicas(peakTokensPerWindow, windowMs, profile, profile.capacityPerMinute());
    }

    /** Tokens a minute one replica serves at the target utilization, at the measured throughput. */
    static BigDecimal measuredCapacityPerMinute(SelfHostProfileSpec profile, BreakEven.Throughput throughput) {
        return throughput.measuredTokensPerSecondPerReplica().multiply(BigDecimal.valueOf(profile.targetUtilization()))
                .multiply(BigDecimal.valueOf(60));
    }

    /** The same, with {@code capacityPerMinute} tokens a minute per replica at the target utilization. */
    static int replicas(long peakTokensPerWindow, long windowMs, SelfHostProfileSpec profile, BigDecimal capacityPerMinute) {
        // peak_tps / (tps * target) = peak_tokens_per_window / (tps * target * 60 * windowMs / 60,000)
        BigDecimal capacityPerWindow = capacityPerMinute.multiply(BigDecimal.valueOf(windowMs))
                .divide(MS_PER_MINUTE, 15, RoundingMode.HALF_EVEN);
        if (capacityPerWindow.signum() <= 0) {
            throw new IllegalArgumentException("profile " + profile.name() + " has no throughput");
        }
        int needed = new BigDecimal(peakTokensPerWindow).divide(capacityPerWindow, 0, RoundingMode.CEILING).intValueExact();
        return Math.max(profile.minReplicas(), needed);
    }

    /**
     * actual = GPU cost of the deployments serving the profile's model; counterfactual = the tokens
     * they served priced at the api_equivalent's prices (the API call formula).
     */
    static Optional<BreakEven> selfHostedMode(List<MinuteSummary> horizon, long horizonMs, SelfHostProfileSpec profile,
                                              Optional<ApiPrice> apiPrice) {
        FemtoSum actualFemto = new FemtoSum();
        TokenCounts tokens = TokenCounts.ZERO;
        boolean runs = false;
        for (MinuteSummary minute : horizon) {
            MinuteSummary.SelfHostMinute m = minute.selfHosted().get(profile.model());
            // the profile describes serving on its GPU model: compare deployments on that GPU (or of unknown GPU)
            if (m != null && (m.gpuModels().isEmpty() || m.gpuModels().contains(profile.gpuModel()))) {
                runs = true;
                actualFemto.add(m.gpuCostFemto());
                tokens = tokens.plus(m.tokens());
            }
        }
        return selfHostedMode(runs, actualFemto.value(), tokens, horizonMs, profile, apiPrice);
    }

    private static Optional<BreakEven> selfHostedMode(boolean runs, BigInteger actualFemto, TokenCounts tokens, long horizonMs,
                                                      SelfHostProfileSpec profile, Optional<ApiPrice> apiPrice) {
        if (!runs || apiPrice.isEmpty()) {
            return Optional.empty();
        }
        BigDecimal actual = Money.usd(actualFemto);
        BigDecimal counterfactual = Money.usd(apiPrice.get().costFemtoExact(tokens));
        return Optional.of(result(profile, BreakEven.Mode.SELF_HOSTED, horizonMs, 0, 0, actual, counterfactual));
    }

    private static BreakEven result(SelfHostProfileSpec profile, BreakEven.Mode mode, long horizonMs, int replicas, int gpus,
                                    BigDecimal actual, BigDecimal counterfactual) {
        Double ratio = counterfactual.signum() == 0 ? null
                : actual.divide(counterfactual, MathContext.DECIMAL64).doubleValue();
        // savings_usd_per_hour = (actual - counterfactual) / hours = (actual - counterfactual) * 3,600,000 / horizon ms
        BigDecimal savings = actual.subtract(counterfactual).multiply(MS_PER_HOUR)
                .divide(BigDecimal.valueOf(horizonMs), 9, RoundingMode.HALF_EVEN);
        int minutes = (int) (horizonMs / 60_000L);
        return new BreakEven(profile.name(), profile.gpuModel(), mode, profile.apiEquivalent(), minutes, replicas, gpus,
                Money.usdNanos(actual), Money.usdNanos(counterfactual), ratio, savings);
    }
}
