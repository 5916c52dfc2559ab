package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.schemas.PriceKeys;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cost model's pure arithmetic, each value worked out by hand. */
class CostModelTest {

    @Test
    void aMissingCachePriceFallsBackToTheInputPrice() {
        ApiPrice price = ApiPrice.perMillionTokens("2.50", null, null, "10.00");
        // (1000 - 600 - 0) * 2.50 + 600 * 2.50 + 200 * 10.00 = 1000 + 1500 + 2000 = 4500 per 1e6 -> $0.0045
        long femto = price.costFemto(new TokenCounts(1000, 600, 0, 200));
        assertThat(Money.usdNanos(femto)).isEqualTo(new BigDecimal("0.004500000"));
    }

    @Test
    void subNanoCostsStayExactUntilRounded() {
        // $0.0375 per 1M cached tokens: one cached token costs 37.5 nano-dollars = 37,500,000 femto
        ApiPrice price = ApiPrice.perMillionTokens("0.075", "0.0375", null, "0.30");
        assertThat(price.costFemto(new TokenCounts(1, 1, 0, 0))).isEqualTo(37_500_000L);
        // three such calls: 112.5 nano-dollars exactly, shown half-even as 0.000000112 (112.5 -> 112)
        assertThat(Money.usdNanos(3 * 37_500_000L)).isEqualTo(new BigDecimal("0.000000112"));
    }

    @Test
    void longContextCallsUseTheirOwnPrices() {
        ApiModelPrice gemini = ApiModelPrice.newBuilder().setProvider("google").setModel("gemini-2.5-pro")
                .setInputUsdPerMtok(new BigDecimal("1.250000000")).setOutputUsdPerMtok(new BigDecimal("10.000000000"))
                .setLongContextThresholdTokens(200_000L)
                .setLongContextInputUsdPerMtok(new BigDecimal("2.500000000"))
                .setLongContextOutputUsdPerMtok(new BigDecimal("15.000000000"))
                .setEffectiveFrom(Instant.EPOCH).build();
        ApiPrice price = ApiPrice.from(gemini);
        // 200,000 in is not above the threshold: 200000 * 1.25 / 1e6 = 0.25
        assertThat(Money.usdNanos(price.costFemto(new TokenCounts(200_000, 0, 0, 0)))).isEqualTo(new BigDecimal("0.250000000"));
        // 200,001 in + 1,000 out: (200001 * 2.50 + 1000 * 15) / 1e6 = (500002.5 + 15000) / 1e6 = 0.5150025
        assertThat(Money.usdNanos(price.costFemto(new TokenCounts(200_001, 0, 0, 1_000)))).isEqualTo(new BigDecimal("0.515002500"));
    }

    @Test
    void theCatalogAnswersWithThePriceInForceAtTheEventsTime() {
        PriceCatalog catalog = new PriceCatalog();
        catalog.apply(key("2023-06-13T00:00:00Z"), entry("1.00", "2023-06-13T00:00:00Z"));
        catalog.apply(key("2024-01-25T00:00:00Z"), entry("0.50", "2024-01-25T00:00:00Z"));
        long justBefore = Instant.parse("2024-01-24T23:59:59.999Z").toEpochMilli();
        long atChange = Instant.parse("2024-01-25T00:00:00Z").toEpochMilli();

        assertThat(catalog.apiPrice("openai", "gpt-3.5-turbo", null, justBefore).orElseThrow().inputFemtoPerToken())
                .isEqualTo(1_000_000_000L); // $1.00 per 1M = 1e9 nano per 1M = 1e9 femto per token
        assertThat(catalog.apiPrice("openai", "gpt-3.5-turbo", null, atChange).orElseThrow().inputFemtoPerToken())
                .isEqualTo(500_000_000L);
        assertThat(catalog.apiPrice("openai", "gpt-3.5-turbo", "flex", atChange)).isPresent(); // tier falls back
        assertThat(catalog.apiPrice("openai", "gpt-3.5-turbo", null, Instant.parse("2023-01-01T00:00:00Z").toEpochMilli())).isEmpty();

        catalog.apply(key("2024-01-25T00:00:00Z"), null); // a tombstone removes that version only
        assertThat(catalog.apiPrice("openai", "gpt-3.5-turbo", null, atChange).orElseThrow().inputFemtoPerToken())
                .isEqualTo(1_000_000_000L);
    }

    @Test
    void replicasCoverThePeakAtTheTargetUtilization() {
        SelfHostProfileSpec profile = new SelfHostProfileSpec("llama-3.1-8b", "H100-80GB", 1, 2500, 0.6, 1,
                BigDecimal.ZERO, "openai", "gpt-4o-mini");
        // one replica plans for 2500 * 0.6 = 1500 tok/s = 90,000 tokens a minute
        assertThat(BreakEvenEvaluator.replicas(0, profile)).isEqualTo(1);       // min_replicas
        assertThat(BreakEvenEvaluator.replicas(90_000, profile)).isEqualTo(1);  // exactly one
        assertThat(BreakEvenEvaluator.replicas(90_001, profile)).isEqualTo(2);  // ceil
        assertThat(BreakEvenEvaluator.replicas(450_000, profile)).isEqualTo(5);
    }

    @Test
    void apiModeBreakEvenOverAPartialHorizon() {
        SelfHostProfileSpec profile = new SelfHostProfileSpec("llama-3.1-8b", "H100-80GB", 1, 2500, 0.6, 1,
                new BigDecimal("0.50"), "openai", "gpt-4o-mini");
        // 3 minutes of $0.10 API spend each, peak 60,000 tokens a minute (one replica)
        List<MinuteSummary> horizon = List.of(minute(60_000, 100_000_000_000_000L), minute(30_000, 100_000_000_000_000L),
                minute(10_000, 100_000_000_000_000L));
        List<BreakEven> results = BreakEvenEvaluator.evaluate(horizon, 3, profile, Optional.of(new BigDecimal("3.50")),
                Optional.empty());

        assertThat(results).hasSize(1);
        BreakEven r = results.get(0);
        // counterfactual = (1 * 1 * 3.50 + 0.50) * 3 / 60 = 4.00 * 0.05 = 0.20; actual = 0.30
        assertThat(r.counterfactualUsd()).isEqualTo(new BigDecimal("0.200000000"));
        assertThat(r.actualUsd()).isEqualTo(new BigDecimal("0.300000000"));
        assertThat(r.ratio()).isEqualTo(1.5);
        // (0.30 - 0.20) * 60 / 3 = 2.00 a hour saved by self-hosting
        assertThat(r.savingsUsdPerHour()).isEqualTo(new BigDecimal("2.000000000"));
    }

    @Test
    void aRatioOscillatingAroundTheThresholdNeverFlaps() {
        Hysteresis h = new Hysteresis();
        double[] ratios = {1.2, 1.2, 0.95, 1.2, 1.2, 1.05, 1.2, 0.9, 1.2, 1.2, 1.2, 1.2, 1.0};
        int transitions = 0;
        for (int i = 0; i < ratios.length; i++) {
            if (h.observe(ratios[i] > 1.1, ratios[i] < 1, 5, 5, i) != Hysteresis.Change.NONE) {
                transitions++;
            }
        }
        assertThat(transitions).isZero(); // never 5 in a row above 1.1 (1.05 and 1.0 break the streak)
        for (int i = 0; i < 5; i++) {
            h.observe(true, false, 5, 5, 100 + i);
        }
        assertThat(h.firing).isTrue();
        assertThat(h.sinceMs).isEqualTo(104);
        assertThat(h.observe(true, false, 5, 5, 105)).isEqualTo(Hysteresis.Change.NONE); // no repeats
    }

    @Test
    void aTeamWindowSurvivesItsBinaryForm() throws Exception {
        TeamWindow w = new TeamWindow(60_000);
        w.addApiCall("openai", "gpt-4o", new TokenCounts(10, 4, 0, 5), 123_456L);
        w.addApiCall("x", "unpriced", new TokenCounts(1, 0, 0, 1), null);
        w.addSelfHostedCall("llama", "dep-1", new TokenCounts(7, 0, 0, 3));
        w.addGpuSample("dep-1", "llama", "H100-80GB", 15.5, 0.25, 1000L, 250L);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        w.writeTo(new DataOutputStream(bytes));

        TeamWindow back = TeamWindow.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

        assertThat(back.toAvro("t", 60_000)).isEqualTo(w.toAvro("t", 60_000));
        assertThat(back.selfhostModels()).containsOnlyKeys("llama");
        assertThat(back.unpricedCalls()).isEqualTo(1);
    }

    @Test
    void tokenCountsRejectCachedTokensBeyondTheInput() {
        assertThatThrownBy(() -> new TokenCounts(10, 8, 3, 0)).hasMessageContaining("exceed all input tokens (10)");
        assertThatThrownBy(() -> new TokenCounts(-1, 0, 0, 0)).hasMessageContaining("negative");
    }

    private static MinuteSummary minute(long tokens, long costFemto) {
        return new MinuteSummary(0, Map.of("openai/gpt-4o-mini", new MinuteSummary.ApiMinute(tokens, 0, 0, 0, costFemto)), Map.of());
    }

    private static String key(String from) {
        return PriceKeys.apiSubject("openai", "gpt-3.5-turbo", null) + "|" + from.replace("Z", ".000Z");
    }

    private static PriceEntry entry(String in, String from) {
        return new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-3.5-turbo")
                .setInputUsdPerMtok(new BigDecimal(in).setScale(9)).setOutputUsdPerMtok(new BigDecimal("2.000000000"))
                .setEffectiveFrom(Instant.parse(from)).build());
    }
}
