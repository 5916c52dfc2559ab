package io.spendmonitor.streams.replay;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SpendSettings;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WhatifReplayTest {
    private static final Instant PRICES_FROM = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    /**
     * One team, task 0, in order: a1 at 10:00:10 (1,000 in + 1,000 out of gpt-4o-mini at $0.15 / $0.60:
     * (150 + 600) / 1e6 = $0.00075); a copy of a1 (dropped); a2 at 10:01 (500 in of which 200 cached, no
     * cached price so $0.15, 100 out: (300 * 0.15 + 200 * 0.15 + 100 * 0.60) / 1e6 = $0.000135); a call
     * to a model without price at 10:02 (counted, unpriced); one H100 at 25 % for 60 s at 10:00:30
     * (60 / 3600 * $2.40 = $0.04, busy $0.01, idle $0.03); a3 at 10:10 ($0.00075) moves stream time
     * to 10:10, so the windows ending by 10:05 are final; then a late call at 10:03:59 and a late copy
     * of a1: neither counts.
     */
    @Test
    void replaysTheLiveRulesWithHandWorkedTotals() {
        WhatifReport report = replay(T0, T0.plus(Duration.ofHours(1)), catalog("0.15", "0.60"), null, handWorkedEvents());

        WhatifReport.Totals t = report.teams().get(0).actual();
        assertThat(report.teams()).extracting(WhatifReport.TeamReport::team).containsExactly("search");
        assertThat(t.apiUsd()).isEqualByComparingTo("0.001635");   // 0.00075 + 0.000135 + 0.00075
        assertThat(t.gpuUsd()).isEqualByComparingTo("0.04");
        assertThat(t.busyUsd()).isEqualByComparingTo("0.01");
        assertThat(t.idleUsd()).isEqualByComparingTo("0.03");
        assertThat(t.apiCalls()).isEqualTo(4);                     // a1, a2, the unpriced one, a3
        assertThat(t.unpricedCalls()).isEqualTo(1);
        assertThat(t.inputTokens()).isEqualTo(2600);               // 1,000 + 500 + 100 + 1,000
        assertThat(t.cachedInputTokens()).isEqualTo(200);
        assertThat(t.outputTokens()).isEqualTo(2110);              // 1,000 + 100 + 10 + 1,000
        assertThat(t.windows()).isEqualTo(4);                      // 10:00, 10:01, 10:02, 10:10
        assertThat(report.teams().get(0).alternative()).isEqualTo(t);
    }

    @Test
    void countsOnlyWindowsStartingInTheRangeButReadsTheRestForTheRules() {
        // [10:01, 11:00): the 10:00 window (a1 and the GPU sample) is left out, as /cost leaves it out
        WhatifReport report = replay(T0.plusSeconds(60), T0.plus(Duration.ofHours(1)), catalog("0.15", "0.60"), null,
                handWorkedEvents());
        WhatifReport.Totals t = report.teams().get(0).actual();
        assertThat(t.apiUsd()).isEqualByComparingTo("0.000885");   // 0.000135 + 0.00075
        assertThat(t.gpuUsd()).isEqualByComparingTo("0");
        assertThat(t.apiCalls()).isEqualTo(3);
    }

    @Test
    void theAlternativeCatalogReplacesTheSameEntry() {
        // gpt-4o-mini from the same effective_from at $0.30 / $1.20: every priced call costs twice as much
        PriceCatalog alternative = catalog("0.30", "1.20");
        WhatifReport report = replay(T0, T0.plus(Duration.ofHours(1)), catalog("0.15", "0.60"), alternative, handWorkedEvents());
        WhatifReport.TeamReport team = report.teams().get(0);
        assertThat(team.actual().apiUsd()).isEqualByComparingTo("0.001635");
        assertThat(team.alternative().apiUsd()).isEqualByComparingTo("0.003270");
        assertThat(team.alternative().gpuUsd()).isEqualByComparingTo("0.04");
        assertThat(team.alternative().unpricedCalls()).isEqualTo(1);
    }

    /** Every API price doubled (same keys): API totals double exactly, for any traffic; the rest is unchanged. */
    @Test
    void doublingEveryApiPriceDoublesApiTotalsExactly() {
        Random random = new Random(20231106L);
        for (int trial = 0; trial < 200; trial++) {
            String[][] prices = {{"gpt-4o-mini", "0." + random.nextInt(1000), "0." + random.nextInt(1000), "0.0" + random.nextInt(100)},
                    {"gpt-4o", String.valueOf(random.nextInt(20)), "1" + random.nextInt(30), "1.25"}};
            PriceCatalog actual = new PriceCatalog();
            PriceCatalog doubled = new PriceCatalog();
            for (String[] p : prices) {
                apply(actual, api(p[0], p[1], p[2], p[3]));
                apply(doubled, api(p[0], twice(p[1]), twice(p[2]), twice(p[3])));
            }
            apply(actual, gpu("2.40"));
            apply(doubled, gpu("2.40"));
            List<SpecificRecord> events = new ArrayList<>();
            int n = 1 + random.nextInt(300);
            for (int i = 0; i < n; i++) {
                Instant ts = T0.plusMillis(random.nextInt(3 * 3_600_000));
                String team = "team-" + random.nextInt(4);
                if (random.nextInt(10) == 0) {
                    events.add(sample(team, ts, random.nextDouble()));
                } else {
                    long input = random.nextInt(100_000);
                    long cached = input == 0 ? 0 : random.nextInt((int) input + 1);
                    String id = "e" + (random.nextInt(5) == 0 ? random.nextInt(n) : i); // some duplicates
                    events.add(call(id, team, ts, random.nextInt(3) == 0 ? "gpt-4o" : "gpt-4o-mini", input, cached, random.nextInt(5000)));
                }
            }
            WhatifReport report = replay(T0.plusSeconds(random.nextInt(3600)), T0.plus(Duration.ofHours(3)), actual, doubled, events);
            for (WhatifReport.TeamReport t : report.teams()) {
                assertThat(t.alternative().apiUsd()).isEqualTo(t.actual().apiUsd().multiply(BigDecimal.valueOf(2)));
                assertThat(t.alternative().gpuUsd()).isEqualTo(t.actual().gpuUsd());
                assertThat(t.alternative().inputTokens()).isEqualTo(t.actual().inputTokens());
                assertThat(t.alternative().apiCalls()).isEqualTo(t.actual().apiCalls());
            }
        }
    }

    /**
     * Profile p: 1 GPU of $1.00/h a replica, 100 tokens/s at 50 % = 3,000 tokens a minute, min 1, no overhead;
     * it stands for openai/gpt-x at $15 / $20 per 1M. Over [10:00, 12:00) one call at 10:00:10 of 6,000 in +
     * 1,000 out: hour 10 needs ceil(7,000 / 3,000) = 3 replicas ($3), hour 11 has no calls (min 1: $1), so
     * self-hosting costs $4; the API cost (6,000 * 15 + 1,000 * 20) / 1e6 = $0.11. ratio 0.11 / 4 = 0.0275,
     * savings 0.11 - 4 = -3.89. Break-even: b = 0.11 / 7,000 $ a token; a replica costs d = $24 a day and
     * serves K = 3,000 * 1,440 = 4,320,000 tokens a day; b * K = $67.88 > d, so 1 replica breaks even at
     * T = 24 / b = 24 * 7,000 / 0.11 = 1,527,272.7..., rounded up: 1,527,273 tokens a day.
     */
    @Test
    void sizesReplicasPerHourAndFindsTheBreakEvenVolume() {
        PriceCatalog c = new PriceCatalog();
        apply(c, api("gpt-x", "15", "20", null));
        apply(c, new PriceEntry(GpuPrice.newBuilder().setGpuModel("G").setUsdPerHour(usd("1.00")).setEffectiveFrom(PRICES_FROM).build()));
        apply(c, new PriceEntry(SelfHostProfile.newBuilder().setModel("p").setGpuModel("G").setGpusPerReplica(1)
                .setTokensPerSecondPerReplica(100).setTargetUtilization(0.5).setMinReplicas(1).setOverheadUsdPerHour(usd("0"))
                .setApiEquivalent("openai/gpt-x").setEffectiveFrom(PRICES_FROM).build()));
        WhatifReport report = replay(T0, T0.plus(Duration.ofHours(2)), c, null,
                List.of(call("x1", "search", T0.plusSeconds(10), "gpt-x", 6000, 0, 1000)));

        assertThat(report.teams().get(0).switches()).hasSize(1);
        WhatifReport.Switch s = report.teams().get(0).switches().get(0);
        assertThat(s.mode()).isEqualTo("API");
        assertThat(s.selfHostCostUsd()).isEqualByComparingTo("4");
        assertThat(s.apiCostUsd()).isEqualByComparingTo("0.11");
        assertThat(s.ratio()).isEqualTo(0.0275);
        assertThat(s.savingsUsd()).isEqualByComparingTo("-3.89");
        assertThat(s.replicasPeak()).isEqualTo(3);
        assertThat(s.breakevenTokensPerDay()).isEqualTo(1_527_273L);
        assertThat(s.hoursCheaper()).isZero();
        assertThat(s.hours()).isEqualTo(2);
    }

    @Test
    void aReplicaDearerThanTheApiForItsTokensNeverBreaksEven() {
        // at $1.50 / $2.00 the same call costs $0.011: b * K = 0.011 / 7,000 * 4,320,000 = $6.79 a day < $24
        var profile = new io.spendmonitor.streams.cost.SelfHostProfileSpec("p", "G", 1, 100, 0.5, 1, BigDecimal.ZERO, "openai", "gpt-x");
        assertThat(Switches.breakEvenTokensPerDay(profile, new BigDecimal("1.00"), new BigDecimal("0.011"), 7000)).isNull();
        assertThat(Switches.breakEvenTokensPerDay(profile, new BigDecimal("1.00"), new BigDecimal("0.11"), 7000)).isEqualTo(1_527_273L);
    }

    // ---- fixtures

    private static List<SpecificRecord> handWorkedEvents() {
        return List.of(
                call("a1", "search", T0.plusSeconds(10), "gpt-4o-mini", 1000, 0, 1000),
                call("a1", "search", T0.plusSeconds(20), "gpt-4o-mini", 1000, 0, 1000),
                sample("search", T0.plusSeconds(30), 0.25),
                call("a2", "search", T0.plusSeconds(60), "gpt-4o-mini", 500, 200, 100),
                call("u1", "search", T0.plusSeconds(120), "no-such-model", 100, 0, 10),
                call("a3", "search", T0.plus(Duration.ofMinutes(10)), "gpt-4o-mini", 1000, 0, 1000),
                call("late", "search", T0.plus(Duration.ofMinutes(3)).plusSeconds(59), "gpt-4o-mini", 1000, 0, 1000),
                call("a1", "search", T0.plusSeconds(10), "gpt-4o-mini", 1000, 0, 1000));
    }

    private static WhatifReport replay(Instant from, Instant to, PriceCatalog actual, PriceCatalog alternative, List<SpecificRecord> events) {
        WhatifReplay replay = new WhatifReplay(new WhatifReplay.Settings(from, to, SpendSettings.defaults(),
                Instant.parse("2020-01-01T00:00:00Z"), Duration.ofMinutes(1), false, Set.of(), Set.of()), actual, alternative);
        for (SpecificRecord e : events) {
            String team = e instanceof TokenUsage u ? u.getTeam() : ((GpuUtilization) e).getTeam();
            long ts = e instanceof TokenUsage u ? u.getTimestamp().toEpochMilli() : ((GpuUtilization) e).getTimestamp().toEpochMilli();
            replay.offer(Math.floorMod(team.hashCode(), 2), e, ts);
        }
        return replay.finish();
    }

    private static PriceCatalog catalog(String input, String output) {
        PriceCatalog c = new PriceCatalog();
        apply(c, api("gpt-4o-mini", input, output, null));
        apply(c, gpu("2.40"));
        return c;
    }

    private static void apply(PriceCatalog c, PriceEntry e) {
        c.apply(PriceKeys.key(e), e);
    }

    private static PriceEntry api(String model, String input, String output, String cached) {
        return new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel(model).setInputUsdPerMtok(usd(input))
                .setOutputUsdPerMtok(usd(output)).setCachedInputUsdPerMtok(cached == null ? null : usd(cached))
                .setEffectiveFrom(PRICES_FROM).build());
    }

    private static PriceEntry gpu(String usdPerHour) {
        return new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd(usdPerHour)).setEffectiveFrom(PRICES_FROM).build());
    }

    private static String twice(String usd) {
        return new BigDecimal(usd).multiply(BigDecimal.valueOf(2)).toPlainString();
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }

    static TokenUsage call(String id, String team, Instant ts, String model, long input, long cached, long output) {
        return TokenUsage.newBuilder().setEventId(id).setTimestamp(ts).setTeam(team).setApplication("app").setProvider("openai")
                .setModel(model).setInputTokens(input).setCachedInputTokens(cached).setOutputTokens(output).build();
    }

    static GpuUtilization sample(String team, Instant ts, double utilization) {
        return GpuUtilization.newBuilder().setTimestamp(ts).setNode("n1").setGpuId("0").setGpuModel("H100-80GB").setTeam(team)
                .setDeployment("llama").setModel("llama-3.1-8b").setUtilization(utilization).setMemoryUsedBytes(1)
                .setMemoryTotalBytes(2).setIntervalSeconds(60).build();
    }
}
