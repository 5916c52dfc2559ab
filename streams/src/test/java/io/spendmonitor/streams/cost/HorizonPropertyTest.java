package io.spendmonitor.streams.cost;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Horizon}'s running sums, kept as minutes enter and leave, equal a full rescan of the
 * minutes in it, and break-even from the sums equals break-even from the scan, bit for bit
 * (BigDecimal scales included), failures included.
 */
class HorizonPropertyTest {
    private static final long WINDOW_MS = 60_000;
    private static final long HORIZON_MS = 60 * WINDOW_MS;
    private static final String[] API_MODELS = {"openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-3-haiku"};
    private static final String[] OPEN_MODELS = {"llama", "qwen", "mistral"};
    private static final String[] GPUS = {"H100-80GB", "A100-80GB", "L4"};
    private static final CapacitySettings CAPACITY = new CapacitySettings(Duration.ofMinutes(3), 0.3);

    /**
     * @param advance windows the clock moves on (0: a second minute at the same end is not added)
     * @param add     whether the team had data in the window ending at the new time
     * @param seed    the minute's content
     * @param wide    how wide its numbers are: 0 small, 1 sums past a long, 2 a minute whose input + output overflows
     */
    record Step(int advance, boolean add, long seed, int wide) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.frequency(net.jqwik.api.Tuple.of(12, 1), net.jqwik.api.Tuple.of(3, 2), net.jqwik.api.Tuple.of(2, 0),
                        net.jqwik.api.Tuple.of(1, 45), net.jqwik.api.Tuple.of(1, 70)),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(5, true), net.jqwik.api.Tuple.of(1, false)),
                Arbitraries.longs(),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(40, 0), net.jqwik.api.Tuple.of(4, 1), net.jqwik.api.Tuple.of(1, 2)))
                .as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 150)
    void runningSumsEqualARescanAndBreakEvenIsBitIdentical(@ForAll("steps") List<Step> steps) {
        Horizon horizon = new Horizon();
        long now = 0;
        long firstStart = -1;
        for (Step step : steps) {
            if (step.advance() == 0 && now > 0) {
                continue;
            }
            now += Math.max(1, step.advance()) * WINDOW_MS;
            if (step.add()) {
                horizon.addLast(minute(now, new Random(step.seed()), step.wide()));
                if (firstStart < 0) {
                    firstStart = now - WINDOW_MS;
                }
            }
            horizon.evictUpTo(now - HORIZON_MS);
            if (firstStart < 0) {
                continue;
            }
            List<MinuteSummary> scan = horizon.minutes();
            long end = now;
            assertThat(scan).allMatch(m -> m.windowEndMs() > end - HORIZON_MS && m.windowEndMs() <= end);
            assertSumsEqualRescan(horizon, scan);
            long horizonMs = Math.min(HORIZON_MS, now - firstStart);
            for (SelfHostProfileSpec profile : profiles()) {
                Optional<BigDecimal> gpuPrice = profile.gpuModel().equals("L4") ? Optional.empty() : Optional.of(new BigDecimal("2.75"));
                Optional<ApiPrice> apiPrice = profile.model().equals("mistral") ? Optional.empty()
                        : Optional.of(ApiPrice.perMillionTokens("0.15", "0.075", null, "0.60"));
                Object fromScan = outcome(() -> BreakEvenEvaluator.evaluate(scan, horizonMs, WINDOW_MS, profile, gpuPrice, apiPrice, CAPACITY));
                Object fromSums = outcome(() -> BreakEvenEvaluator.evaluate(horizon, horizonMs, WINDOW_MS, profile, gpuPrice, apiPrice, CAPACITY));
                assertThat(fromSums).as("profile %s at %d", profile, now).isEqualTo(fromScan);
            }
        }
    }

    /** The sums, against the same sums worked out from the minutes directly. */
    private static void assertSumsEqualRescan(Horizon horizon, List<MinuteSummary> scan) {
        BigInteger api = BigInteger.ZERO;
        BigInteger gpu = BigInteger.ZERO;
        for (MinuteSummary m : scan) {
            api = api.add(m.apiCostFemto());
            gpu = gpu.add(m.gpuCostFemto());
        }
        assertThat(horizon.apiCostFemto()).isEqualTo(api);
        assertThat(horizon.gpuCostFemto()).isEqualTo(gpu);
        assertThat(horizon.measuredMinutes()).containsExactlyElementsOf(scan.stream().filter(m -> !m.measured().isEmpty()).toList());
        for (String model : API_MODELS) {
            boolean called = false;
            BigInteger cost = BigInteger.ZERO;
            BigInteger peak = BigInteger.ZERO;
            for (MinuteSummary m : scan) {
                MinuteSummary.ApiMinute a = m.apiModels().get(model);
                if (a != null) {
                    called = true;
                    cost = cost.add(a.costFemto());
                    peak = peak.max(BigInteger.valueOf(a.input()).add(BigInteger.valueOf(a.output())));
                }
            }
            Object expected = peak.bitLength() < 64 ? new Horizon.ApiTotals(called, cost, peak.longValueExact()) : ArithmeticException.class;
            assertThat(outcome(() -> horizon.api(model))).as(model).isEqualTo(expected);
        }
    }

    /** The result, or the class of what was thrown (the scan's failures must stay failures). */
    private static Object outcome(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    private static List<SelfHostProfileSpec> profiles() {
        List<SelfHostProfileSpec> profiles = new ArrayList<>();
        int i = 0;
        for (String model : OPEN_MODELS) {
            for (String gpu : GPUS) {
                String api = API_MODELS[i++ % API_MODELS.length];
                int slash = api.indexOf('/');
                profiles.add(new SelfHostProfileSpec(model, gpu, 1 + i % 2, 1500, 0.6, i % 2, new BigDecimal("0.40"),
                        api.substring(0, slash), api.substring(slash + 1)));
            }
        }
        // an API model no minute has
        profiles.add(new SelfHostProfileSpec("llama", "H100-80GB", 1, 1500, 0.6, 1, BigDecimal.ZERO, "google", "gemini"));
        return profiles;
    }

    private static MinuteSummary minute(long windowEnd, Random r, int wide) {
        Map<String, MinuteSummary.ApiMinute> api = new TreeMap<>();
        for (String model : API_MODELS) {
            if (r.nextInt(3) > 0) {
                long input = wide == 2 && r.nextBoolean() ? Long.MAX_VALUE / 2 + 1 + r.nextInt(1000) : r.nextInt(200_000);
                long output = wide == 2 ? Long.MAX_VALUE / 2 + 1 : r.nextInt(50_000);
                BigInteger cost = wide >= 1 ? BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.valueOf(r.nextInt(1 << 20)))
                        : BigInteger.valueOf(r.nextLong() >>> 20);
                api.put(model, new MinuteSummary.ApiMinute(input, 0, 0, output, cost));
            }
        }
        Map<String, MinuteSummary.SelfHostMinute> selfHosted = new TreeMap<>();
        Map<String, MinuteSummary.MeasuredMinute> measured = new TreeMap<>();
        for (String model : OPEN_MODELS) {
            if (r.nextInt(3) == 0) {
                continue;
            }
            List<String> gpus = new ArrayList<>();
            int n = r.nextInt(4); // 0: deployments of unknown GPU
            for (int i = 0; i < n; i++) {
                gpus.add(GPUS[r.nextInt(GPUS.length)]); // sometimes the same twice
            }
            long input = wide >= 1 ? Long.MAX_VALUE / 3 : r.nextInt(300_000);
            long cached = input / 4;
            long cacheWrite = input / 8;
            long output = r.nextInt(100_000);
            BigInteger gpuCost = wide >= 1 ? BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(3))
                    : BigInteger.valueOf(r.nextLong() >>> 24);
            selfHosted.put(model, new MinuteSummary.SelfHostMinute(input, cached, cacheWrite, output, gpuCost, gpus));
            if (r.nextInt(3) == 0) {
                double gpuSeconds = 60 * (1 + r.nextInt(4));
                measured.put("dep-" + model + "-" + r.nextInt(2), new MinuteSummary.MeasuredMinute(model, GPUS[r.nextInt(2)],
                        r.nextInt(500_000), gpuSeconds * r.nextDouble(), gpuSeconds, r.nextInt(1000), r.nextInt(500)));
            }
        }
        BigInteger apiCost = api.values().stream().map(MinuteSummary.ApiMinute::costFemto).reduce(BigInteger.ZERO, BigInteger::add);
        BigInteger gpuCost = selfHosted.values().stream().map(MinuteSummary.SelfHostMinute::gpuCostFemto).reduce(BigInteger.ZERO, BigInteger::add);
        return new MinuteSummary(windowEnd, Map.copyOf(api), Map.copyOf(selfHosted), apiCost, gpuCost, Map.copyOf(measured));
    }

    @Example
    void sumsFollowMinutesInAndOut() {
        Horizon h = new Horizon();
        // minute 1: gpt-4o-mini 1,000 in + 500 out, $0.001 = 1e12 femto; llama on H100 $0.50 = 5e14 femto, 100 in / 10 out
        h.addLast(new MinuteSummary(60_000, Map.of("openai/gpt-4o-mini",
                new MinuteSummary.ApiMinute(1_000, 0, 0, 500, 1_000_000_000_000L)),
                Map.of("llama", new MinuteSummary.SelfHostMinute(100, 0, 0, 10, BigInteger.valueOf(500_000_000_000_000L),
                        List.of("H100-80GB")))));
        // minute 2: gpt-4o-mini 200 in + 100 out, $0.0002 = 2e11 femto; llama of unknown GPU $0.25 = 2.5e14 femto, 40 in / 4 out
        h.addLast(new MinuteSummary(120_000, Map.of("openai/gpt-4o-mini",
                new MinuteSummary.ApiMinute(200, 0, 0, 100, 200_000_000_000L)),
                Map.of("llama", new MinuteSummary.SelfHostMinute(40, 0, 0, 4, BigInteger.valueOf(250_000_000_000_000L), List.of()))));

        // both: cost 1e12 + 2e11 = 1.2e12, peak max(1,500, 300) = 1,500
        assertThat(h.api("openai/gpt-4o-mini")).isEqualTo(new Horizon.ApiTotals(true, BigInteger.valueOf(1_200_000_000_000L), 1_500));
        // llama on H100: both minutes (the second is of unknown GPU): 7.5e14 femto, 140 in / 14 out
        assertThat(h.selfHosted("llama", "H100-80GB")).isEqualTo(new Horizon.SelfHostTotals(true,
                BigInteger.valueOf(750_000_000_000_000L), new TokenCounts(140, 0, 0, 14)));
        // on A100 only the unknown-GPU minute counts: 2.5e14 femto, 40 in / 4 out
        assertThat(h.selfHosted("llama", "A100-80GB")).isEqualTo(new Horizon.SelfHostTotals(true,
                BigInteger.valueOf(250_000_000_000_000L), new TokenCounts(40, 0, 0, 4)));
        assertThat(h.apiCostFemto()).isEqualTo(BigInteger.valueOf(1_200_000_000_000L));
        assertThat(h.gpuCostFemto()).isEqualTo(BigInteger.valueOf(750_000_000_000_000L));

        h.evictUpTo(60_000); // minute 1 leaves: what is left is minute 2's alone
        assertThat(h.size()).isEqualTo(1);
        assertThat(h.api("openai/gpt-4o-mini")).isEqualTo(new Horizon.ApiTotals(true, BigInteger.valueOf(200_000_000_000L), 300));
        assertThat(h.selfHosted("llama", "H100-80GB")).isEqualTo(new Horizon.SelfHostTotals(true,
                BigInteger.valueOf(250_000_000_000_000L), new TokenCounts(40, 0, 0, 4)));

        h.evictUpTo(120_000); // and then nothing
        assertThat(h.api("openai/gpt-4o-mini")).isEqualTo(new Horizon.ApiTotals(false, BigInteger.ZERO, 0));
        assertThat(h.selfHosted("llama", "H100-80GB")).isEqualTo(new Horizon.SelfHostTotals(false, BigInteger.ZERO, TokenCounts.ZERO));
        assertThat(h.apiCostFemto()).isZero();
    }
}
