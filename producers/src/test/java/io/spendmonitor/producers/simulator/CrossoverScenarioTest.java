package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The crossover scenario against the bundled default catalog: the arithmetic of its javadoc, and the
 * alert timeline that DESIGN.md's rules (replayed by {@link AlertReplay}) give for its events.
 */
class CrossoverScenarioTest {
    /** 09:00 UTC: analytics is in its daytime curve, so its bursts are at their biggest. */
    private static final Instant START = Instant.parse("2026-03-02T09:00:00Z");
    private static CatalogPrices prices;
    private static AlertReplay replay;

    @BeforeAll
    static void replayFiveAndAHalfHours() {
        prices = CatalogPrices.at(START);
        replay = AlertReplay.of(crossover(42), START, 330, prices);
    }

    private static Scenario crossover(long seed) {
        return Scenarios.create(ScenarioSettings.of(CrossoverScenario.NAME).withStart(START).withSeed(seed));
    }

    @Test
    void searchStartsBelowTheBreakEvenOfLlama8bOnOneH100AndEndsAboveIt() {
        SelfHostProfile llama8b = prices.profile("llama-3.1-8b", "H100-80GB");
        ApiModelPrice mini = prices.api("openai/gpt-4o-mini");
        assertThat(mini.getInputUsdPerMtok()).isEqualByComparingTo("0.15");
        assertThat(mini.getOutputUsdPerMtok()).isEqualByComparingTo("0.60");
        assertThat(llama8b.getApiEquivalent()).isEqualTo("openai/gpt-4o-mini");

        // one replica serves 8,000 tok/s * 0.7 = 5,600 tok/s; search peaks near 5,200: replicas = 1
        assertThat(llama8b.getTokensPerSecondPerReplica() * llama8b.getTargetUtilization()).isEqualTo(5_600, within(1e-9));
        assertThat(CatalogPrices.replicas(llama8b, CrossoverScenario.SEARCH_PLATEAU_TOKENS_PER_SECOND * 1.04)).isEqualTo(1);
        // self-host $/h = 1 replica * 1 GPU * $2.99 + $0.20 overhead = $3.19
        BigDecimal selfHost = prices.selfHostUsdPerHour(llama8b, 1);
        assertThat(selfHost).isEqualByComparingTo("3.19");

        // gpt-4o-mini at 3:1 in:out = 0.75 * 0.15 + 0.25 * 0.60 = $0.2625 per 1M tokens = $0.000945/h per token/s
        // minute 0: 2,000 tok/s -> 2,000 * 0.000945 = $1.89/h, below $3.19
        assertThat(CrossoverScenario.searchTokensPerSecond(0)).isEqualTo(2_000);
        BigDecimal minute0 = replay.apiUsdPerHour.get("search").get(0L);
        assertThat(minute0).isLessThan(selfHost).isCloseTo(new BigDecimal("1.89"), within(new BigDecimal("0.10")));

        // minute 20: 4,850 tok/s -> $4.58/h, above 1.1 * $3.19 = $3.509
        assertThat(CrossoverScenario.searchTokensPerSecond(20)).isEqualTo(4_850);
        BigDecimal minute20 = replay.apiUsdPerHour.get("search").get(20L);
        assertThat(minute20).isGreaterThan(selfHost.multiply(new BigDecimal("1.1")))
                .isCloseTo(new BigDecimal("4.58"), within(new BigDecimal("0.15")));
    }

    @Test
    void searchNeverNeedsASecondReplica() {
        SelfHostProfile llama8b = prices.profile("llama-3.1-8b", "H100-80GB");
        Scenario scenario = crossover(7);
        long peakTokensPerMinute = 0;
        for (long i = 0; i < 180; i++) {
            long tokens = scenario.minute(i, START.plusSeconds(60 * i)).stream()
                    .filter(e -> e.team().equals("search"))
                    .mapToLong(e -> e.tokenUsage().getInputTokens() + e.tokenUsage().getOutputTokens()).sum();
            peakTokensPerMinute = Math.max(peakTokensPerMinute, tokens);
        }
        assertThat(peakTokensPerMinute / 60.0).isBetween(5_000.0, 5_400.0);
        assertThat(CatalogPrices.replicas(llama8b, peakTokensPerMinute / 60.0)).isEqualTo(1);
    }

    @Test
    void theTimelineIsTheOneTheJavadocPromises() {
        List<String> fired = replay.transitions.stream()
                .map(t -> t.window() + " " + t.team() + " " + t.type() + " " + t.subject() + " " + t.state()).toList();
        assertThat(fired).containsExactly(
                "4 research SELF_HOSTING_DEARER llama-3.1-70b on H100-80GB FIRING",
                "12 search SELF_HOSTING_CHEAPER llama-3.1-8b on H100-80GB FIRING",
                "14 research IDLE_CAPACITY research-llama70b FIRING",
                // 0.23 * 9 h = 2.1 h after a 09:00 start
                "125 support BUDGET day:2026-03-02 forecast FIRING",
                "218 support BUDGET day:2026-03-02 80% FIRING",
                "272 support BUDGET day:2026-03-02 100% FIRING");
    }

    @Test
    void theTrailingRatioOfSearchPassesOnePointOneAroundMinuteEightAndStays() {
        Map<Long, Double> ratio = replay.ratios.get("search|SELF_HOSTING_CHEAPER|llama-3.1-8b on H100-80GB");
        assertThat(ratio.get(0L)).isCloseTo(0.59, within(0.03));
        assertThat(ratio.get(6L)).isLessThan(1.1);
        assertThat(ratio.get(8L)).isGreaterThan(1.1);
        assertThat(ratio.entrySet().stream().filter(e -> e.getKey() >= 8).mapToDouble(Map.Entry::getValue).min().getAsDouble())
                .isGreaterThan(1.1);
        assertThat(ratio.get(200L)).isCloseTo(1.48, within(0.03));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 2026})
    void onlySearchAndResearchEverCrossAndNothingResolves(long seed) {
        AlertReplay run = seed == 42 ? replay : AlertReplay.of(crossover(seed), START, 150, prices);
        assertThat(run.transitions).allSatisfy(t -> assertThat(t.state()).isEqualTo("FIRING"));
        assertThat(run.transitions.stream().filter(t -> !t.type().equals("BUDGET")).map(t -> t.team() + " " + t.type() + " " + t.subject()))
                .containsExactlyInAnyOrder("research SELF_HOSTING_DEARER llama-3.1-70b on H100-80GB",
                        "search SELF_HOSTING_CHEAPER llama-3.1-8b on H100-80GB",
                        "research IDLE_CAPACITY research-llama70b");
        assertThat(run.transitions.stream().filter(t -> t.team().equals("search")).findFirst().orElseThrow().window())
                .isBetween(11L, 12L);
        run.ratios.forEach((key, ratios) -> {
            if (!key.startsWith("research|") && !key.equals("search|SELF_HOSTING_CHEAPER|llama-3.1-8b on H100-80GB")) {
                assertThat(ratios.values().stream().mapToDouble(d -> d).max().getAsDouble()).as(key).isLessThan(1.0);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 2026})
    void analyticsBurstsStayBelowEveryGpt4oProfileAllDay(long seed) {
        Instant midnight = Instant.parse("2026-03-02T00:00:00Z");
        ScenarioContext context = new ScenarioContext("crossover", ScenarioSettings.of("crossover").withStart(midnight).withSeed(seed));
        Scenario analyticsOnly = new ComposedScenario("analytics-only", List.of(CrossoverScenario.analytics(context)), List.of()) {
        };
        AlertReplay day = AlertReplay.of(analyticsOnly, midnight, 24 * 60, CatalogPrices.at(midnight));
        assertThat(day.transitions).isEmpty();
        double max = day.ratios.values().stream().flatMap(m -> m.values().stream()).mapToDouble(d -> d).max().getAsDouble();
        assertThat(max).isLessThan(0.8);
    }

    @Test
    void researchIdlesOnTwoH100sWithATrickleOfSelfHostedCalls() {
        Scenario scenario = crossover(42);
        List<SimulatedEvent> minute = scenario.minute(3, START.plusSeconds(180));
        List<GpuUtilization> samples = minute.stream().filter(e -> !e.isTokenUsage()).map(SimulatedEvent::gpuUtilization).toList();
        assertThat(samples).hasSize(8); // 2 GPUs * 4 samples of 15 s
        assertThat(samples).allSatisfy(g -> {
            assertThat(g.getTeam()).isEqualTo("research");
            assertThat(g.getDeployment()).isEqualTo("research-llama70b");
            assertThat(g.getModel()).isEqualTo("llama-3.1-70b");
            assertThat(g.getGpuModel()).isEqualTo("H100-80GB");
            assertThat(g.getIntervalSeconds()).isEqualTo(15.0);
            assertThat(g.getUtilization()).isBetween(0.04, 0.08);
            assertThat(g.getMemoryUsedBytes()).isLessThanOrEqualTo(g.getMemoryTotalBytes());
        });
        assertThat(samples.stream().map(GpuUtilization::getGpuId).collect(Collectors.toSet())).containsExactlyInAnyOrder("0", "1");
        List<TokenUsage> research = minute.stream().filter(e -> e.isTokenUsage() && e.team().equals("research"))
                .map(SimulatedEvent::tokenUsage).toList();
        assertThat(research).hasSize(5).allSatisfy(u -> {
            assertThat(u.getProvider()).isEqualTo("self-hosted");
            assertThat(u.getModel()).isEqualTo("llama-3.1-70b");
            assertThat(u.getDeployment()).isEqualTo("research-llama70b");
        });
    }

    @Test
    void supportUsesPromptCachingTheSchemasWay() {
        Scenario scenario = crossover(42);
        List<TokenUsage> support = new java.util.ArrayList<>();
        for (long i = 0; i < 20; i++) {
            scenario.minute(i, START.plusSeconds(60 * i)).stream().filter(e -> e.team().equals("support"))
                    .map(SimulatedEvent::tokenUsage).forEach(support::add);
        }
        assertThat(support).hasSize(20 * 15).allSatisfy(u -> {
            assertThat(u.getProvider() + "/" + u.getModel()).isEqualTo("anthropic/claude-sonnet-4-5");
            // input counts ALL input tokens: cache reads and writes are part of it
            assertThat(u.getCachedInputTokens() + u.getCacheWriteInputTokens()).isLessThan(u.getInputTokens());
            assertThat(u.getInputTokens()).isLessThan(200_000); // below the long-context threshold
        });
        long reads = support.stream().filter(u -> u.getCachedInputTokens() > 0).count();
        long writes = support.stream().filter(u -> u.getCacheWriteInputTokens() > 0).count();
        assertThat(reads).isGreaterThan(support.size() * 9 / 10L);
        assertThat(writes).isBetween(support.size() * 6 / 10L, support.size() * 8 / 10L);
        // about $8.8/h: $32 (80 % of the $40 budget) after about 3 h 40 min
        BigDecimal perHour = replay.apiUsdPerHour.get("support").entrySet().stream().filter(e -> e.getKey() < 120)
                .map(Map.Entry::getValue).reduce(BigDecimal.ZERO, BigDecimal::add).divide(BigDecimal.valueOf(120));
        assertThat(perHour).isCloseTo(new BigDecimal("8.8"), within(new BigDecimal("0.3")));
        assertThat(scenario.budgets()).singleElement().satisfies(b -> {
            assertThat(b.getTeam()).isEqualTo("support");
            assertThat(b.getDailyUsd()).isEqualByComparingTo("40");
            assertThat(b.getEffectiveFrom()).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
        });
    }
}
