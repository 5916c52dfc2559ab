package io.spendmonitor.schemas.rules;

import com.sun.management.ThreadMXBean;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EventRules over arbitrary events (nulls in required fields, extreme longs, NaN, decimals with
 * any scale from Integer.MIN_VALUE to MAX_VALUE): the answer is always a Violation or nothing,
 * work and memory stay within a bound of the event's size, and what passes is sound: token sums
 * cannot wrap, a GPU sample's cost fits the topology's femto-dollar long.
 */
class EventRulesProperties {
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final EventRules RULES = new EventRules(Instant.parse("2020-01-01T00:00:00Z"), Duration.ofDays(7));
    private static final long NOW = Instant.parse("2026-11-27T12:00:00Z").toEpochMilli();
    private static final BigDecimal FEMTO_PER_USD = BigDecimal.TEN.pow(15);

    @Property(tries = 250, seed = "20261127")
    void tokenUsageRulesNeverThrowAndWhatPassesIsSound(@ForAll("tokenUsages") TokenUsage u, @ForAll("nows") long now) {
        Optional<Violation> verdict = boundedCheck(() -> RULES.check(u, now), size(u));
        Statistics.collect(verdict.map(v -> v.reason().wire()).orElse("accepted"));
        if (verdict.isEmpty()) {
            BigInteger input = BigInteger.valueOf(u.getInputTokens());
            BigInteger parts = BigInteger.valueOf(u.getCachedInputTokens()).add(BigInteger.valueOf(u.getCacheWriteInputTokens()));
            assertThat(parts).isLessThanOrEqualTo(input);
            assertThat(u.getCachedInputTokens()).isBetween(0L, EventRules.MAX_TOKENS_PER_CALL);
            assertThat(u.getCacheWriteInputTokens()).isBetween(0L, EventRules.MAX_TOKENS_PER_CALL);
            assertThat(u.getInputTokens()).isBetween(0L, EventRules.MAX_TOKENS_PER_CALL);
            assertThat(u.getOutputTokens()).isBetween(0L, EventRules.MAX_TOKENS_PER_CALL);
            assertThat(u.getTeam()).hasSizeLessThanOrEqualTo(EventRules.MAX_NAME_LENGTH).isNotBlank();
            assertWithinTime(u.getTimestamp(), now);
        }
    }

    @Property(tries = 250, seed = "20261127")
    void gpuRulesNeverThrowAndWhatPassesIsPricedExactly(@ForAll("gpuSamples") GpuUtilization g, @ForAll("nows") long now) {
        Optional<Violation> verdict = boundedCheck(() -> RULES.check(g, now), size(g));
        Statistics.collect(verdict.map(v -> v.reason().wire()).orElse("accepted"));
        if (verdict.isEmpty()) {
            // a comparison, not isBetween: -0.0 is a fine utilization of zero (Double.compareTo ranks it below 0.0)
            assertThat(g.getUtilization() >= 0 && g.getUtilization() <= 1).as("utilization %s", g.getUtilization()).isTrue();
            assertThat(g.getIntervalSeconds()).isGreaterThan(0.0).isLessThanOrEqualTo(EventRules.MAX_INTERVAL_SECONDS);
            if (g.getUsdPerHour() != null) {
                // the topology's arithmetic: interval * price / 3600 in femto-dollars must fit a long
                BigDecimal femto = BigDecimal.valueOf(g.getIntervalSeconds()).multiply(g.getUsdPerHour())
                        .multiply(FEMTO_PER_USD).divide(BigDecimal.valueOf(3600), 0, java.math.RoundingMode.HALF_EVEN);
                assertThat(femto).isLessThan(BigDecimal.valueOf(Long.MAX_VALUE));
            }
            assertWithinTime(g.getTimestamp(), now);
        }
    }

    /**
     * The name check (a table for ASCII, ranges above it) against the rule as the docs state it:
     * no control character (Unicode Cc), no U+FFFD, none of {@code < > " ' ` \}, at most
     * MAX_NAME_LENGTH characters. The characters are drawn around every edge of those ranges.
     */
    @Property(tries = 2000, seed = "20261130")
    void theNameCheckIsTheStatedRule(@ForAll("nameCandidates") String name) {
        boolean stated = name.length() <= EventRules.MAX_NAME_LENGTH && name.chars().noneMatch(c ->
                Character.getType(c) == Character.CONTROL || c == 0xFFFD || "<>\"'`\\".indexOf(c) >= 0);
        assertThat(EventRules.nameProblem("model", name)).as("%s", name.chars().mapToObj(Integer::toHexString).toList())
                .matches(p -> p.isEmpty() == stated);
        // again, the same instance: good names are remembered by identity, bad ones never
        assertThat(EventRules.nameProblem("model", name)).matches(p -> p.isEmpty() == stated);
    }

    /** A name is never vouched for by a good one remembered in its slot: a bad name stays bad. */
    @Property(tries = 500, seed = "20261130")
    void rememberedGoodNamesNeverVouchForAnotherString(@ForAll("nameCandidates") String name) {
        boolean stated = name.length() <= EventRules.MAX_NAME_LENGTH && name.chars().noneMatch(c ->
                Character.getType(c) == Character.CONTROL || c == 0xFFFD || "<>\"'`\\".indexOf(c) >= 0);
        int mask = EventRules.REMEMBERED_NAMES - 1;
        String good = null; // a good name in the same slot, checked (and remembered) first
        for (int i = 0; good == null; i++) {
            if ((("g" + i).hashCode() & mask) == (name.hashCode() & mask)) {
                good = "g" + i;
            }
        }
        assertThat(EventRules.nameProblem("team", good)).isEmpty();
        assertThat(EventRules.nameProblem("model", name)).matches(p -> p.isEmpty() == stated);
    }

    @Provide
    Arbitrary<String> nameCandidates() {
        Arbitrary<Character> edges = Arbitraries.of('\u0000', '\u001f', ' ', '!', '"', '\'', '<', '>', '`', '\\', '~', '\u007f',
                '\u0080', '\u009f', '\u00a0', '\u00e9', '\ufffc', '\ufffd', '\ufffe', '\ud83d', 'a', 'Z', '0', '-', '/', '|');
        Arbitrary<Character> any = Arbitraries.chars().all();
        return Arbitraries.frequencyOf(Tuple.of(4, edges), Tuple.of(1, any)).list().ofMaxSize(EventRules.MAX_NAME_LENGTH + 2)
                .map(chars -> chars.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining()));
    }

    @Property(tries = 300, seed = "20261127")
    void boundedDecimalsCostNothingWhateverTheirExponent(@ForAll("decimals") BigDecimal d) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        Optional<BigDecimal> bounded = Decimals.bounded(d);
        String preview = Decimals.preview(d);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).isLessThan(200_000L + 50L * d.unscaledValue().bitLength());
        assertThat(preview).hasSizeLessThanOrEqualTo(41);
        bounded.ifPresent(b -> {
            assertThat(b.compareTo(d)).isZero();
            assertThat(b.precision()).isLessThanOrEqualTo(Decimals.MAX_DIGITS);
            assertThat(Math.abs((long) b.scale())).isLessThanOrEqualTo(Decimals.MAX_SCALE);
        });
    }

    private static void assertWithinTime(Instant timestamp, long now) {
        BigInteger ts = BigInteger.valueOf(timestamp.toEpochMilli());
        assertThat(ts).isGreaterThanOrEqualTo(BigInteger.valueOf(Instant.parse("2020-01-01T00:00:00Z").toEpochMilli()));
        assertThat(ts).isLessThanOrEqualTo(BigInteger.valueOf(now).add(BigInteger.valueOf(Duration.ofDays(7).toMillis())));
    }

    /** Runs the check twice (the first may link call sites once per JVM) and bounds the smaller allocation. */
    private static Optional<Violation> boundedCheck(java.util.function.Supplier<Optional<Violation>> check, long size) {
        long least = Long.MAX_VALUE;
        Optional<Violation> verdict = Optional.empty();
        for (int i = 0; i < 2; i++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            verdict = check.get();
            least = Math.min(least, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        assertThat(least).as("bytes allocated for an event of size %d", size).isLessThan(100_000L + 100L * size);
        return verdict;
    }

    private static long size(TokenUsage u) {
        long n = len(u.getEventId()) + len(u.getTeam()) + len(u.getApplication()) + len(u.getProvider()) + len(u.getModel())
                + len(u.getDeployment()) + len(u.getServiceTier()) + bits(u.getReportedCostUsd());
        if (u.getAttributes() != null) {
            for (Map.Entry<String, String> e : u.getAttributes().entrySet()) {
                n += len(e.getKey()) + len(e.getValue()) + 1;
            }
        }
        return n;
    }

    private static long size(GpuUtilization g) {
        return len(g.getTeam()) + len(g.getNode()) + len(g.getGpuId()) + len(g.getGpuModel()) + len(g.getDeployment())
                + len(g.getModel()) + bits(g.getUsdPerHour());
    }

    private static long len(String s) {
        return s == null ? 0 : s.length();
    }

    private static long bits(BigDecimal d) {
        return d == null ? 0 : d.unscaledValue().bitLength() / 8;
    }

    @Provide
    Arbitrary<Long> nows() {
        return Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(NOW)), Tuple.of(1, Arbitraries.longs()));
    }

    private static Arbitrary<String> names() {
        Arbitrary<String> plausible = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_', '.', ' ')
                .ofMinLength(1).ofMaxLength(20).filter(s -> !s.isBlank());
        Arbitrary<String> hostile = Arbitraries.strings().all().ofMaxLength(300);
        // mostly plausible, so that some events pass and the soundness checks have something to check
        return Arbitraries.frequencyOf(Tuple.of(40, plausible), Tuple.of(1, hostile), Tuple.of(1, Arbitraries.just((String) null)));
    }

    private static Arbitrary<Long> counts() {
        return Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.longs().between(0, 3_000)),
                Tuple.of(2, Arbitraries.longs().between(0, 20_000_000)), Tuple.of(1, Arbitraries.longs()),
                Tuple.of(1, Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, EventRules.MAX_TOKENS_PER_CALL,
                        EventRules.MAX_TOKENS_PER_CALL + 1, -1L)));
    }

    private static Arbitrary<Instant> times() {
        Arbitrary<Long> near = Arbitraries.longs().between(NOW - Duration.ofDays(1500).toMillis(), NOW + Duration.ofDays(30).toMillis());
        return Arbitraries.frequencyOf(Tuple.of(8, near), Tuple.of(1, Arbitraries.longs())).map(Instant::ofEpochMilli).injectNull(0.02);
    }

    @Provide
    Arbitrary<BigDecimal> decimals() {
        Arbitrary<BigInteger> unscaled = Arbitraries.oneOf(Arbitraries.bigIntegers().between(BigInteger.valueOf(-100_000_000_000L),
                BigInteger.valueOf(100_000_000_000L)), Arbitraries.integers().between(0, 20_000).map(bits -> BigInteger.ONE.shiftLeft(bits)));
        Arbitrary<Integer> scale = Arbitraries.oneOf(Arbitraries.integers().between(-20, 20), Arbitraries.integers(),
                Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, 999_999_999, -999_999_999));
        return Combinators.combine(unscaled, scale).as(BigDecimal::new);
    }

    @Provide
    Arbitrary<TokenUsage> tokenUsages() {
        Arbitrary<Map<String, String>> attributes = Arbitraries.maps(names(), names()).ofMaxSize(4)
                .map(m -> (Map<String, String>) new HashMap<>(m)).injectNull(0.1);
        Arbitrary<String> provider = Arbitraries.oneOf(names(), Arbitraries.just(EventRules.SELF_HOSTED));
        return Combinators.combine(names(), times(), names(), names(), provider, names(), names(), counts())
                .as((id, ts, team, app, prov, model, dep, input) -> {
                    TokenUsage u = new TokenUsage();
                    u.setEventId(id);
                    if (ts != null) { // the generated setter refuses null; a new record starts with none
                        u.setTimestamp(ts);
                    }
                    u.setTeam(team);
                    u.setApplication(app);
                    u.setProvider(prov);
                    u.setModel(model);
                    u.setDeployment(dep);
                    u.setInputTokens(input);
                    return u;
                })
                .flatMap(u -> Combinators.combine(counts(), counts(), counts(), Arbitraries.longs().injectNull(0.5),
                        decimals().injectNull(0.5), attributes).as((cached, write, output, latency, cost, attrs) -> {
                    u.setCachedInputTokens(cached);
                    u.setCacheWriteInputTokens(write);
                    u.setOutputTokens(output);
                    u.setLatencyMs(latency);
                    u.setReportedCostUsd(cost);
                    u.setAttributes(attrs);
                    return u;
                }));
    }

    @Provide
    Arbitrary<GpuUtilization> gpuSamples() {
        Arbitrary<Double> doubles = Arbitraries.oneOf(Arbitraries.doubles().between(0, 1), Arbitraries.doubles().between(-2, 100_000),
                Arbitraries.doubles(),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE, 86_400.0));
        // mostly plausible fractions and intervals, so that a fair share of samples passes
        Arbitrary<Double> fractions = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.doubles().between(0, 1)), Tuple.of(1, doubles));
        Arbitrary<Double> intervals = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.doubles().between(0.001, 86_400).ofScale(3)),
                Tuple.of(1, doubles));
        Arbitrary<BigDecimal> prices = Arbitraries.oneOf(decimals(),
                Arbitraries.bigDecimals().between(BigDecimal.ZERO, BigDecimal.valueOf(20_000)).ofScale(9));
        return Combinators.combine(times(), names(), names(), names(), names(), names(), names(), fractions)
                .as((ts, node, gpuId, gpuModel, team, dep, model, utilization) -> {
                    GpuUtilization g = new GpuUtilization();
                    if (ts != null) {
                        g.setTimestamp(ts);
                    }
                    g.setNode(node);
                    g.setGpuId(gpuId);
                    g.setGpuModel(gpuModel);
                    g.setTeam(team);
                    g.setDeployment(dep);
                    g.setModel(model);
                    g.setUtilization(utilization);
                    return g;
                })
                .flatMap(g -> Combinators.combine(counts(), counts(), doubles.injectNull(0.5), intervals, prices.injectNull(0.2))
                        .as((used, total, power, interval, price) -> {
                            g.setMemoryUsedBytes(total >= 0 && used >= 0 ? Math.min(used, total) : used);
                            g.setMemoryTotalBytes(total);
                            g.setPowerWatts(power);
                            g.setIntervalSeconds(interval);
                            g.setUsdPerHour(price);
                            return g;
                        }));
    }
}
