package io.spendmonitor.streams.query;

import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The query API's arithmetic that needs no state store: rates, budget shares, forecasts, breakdowns. */
class TeamQueriesTest {
    private static final long MINUTE = 60_000;
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    @Test
    void aMinutesCostPerHourIsSixtyTimesIt() {
        // $0.00075 (750,000,000,000 femto-USD) in one minute = 0.00075 * 60 = $0.045/h
        assertThat(TeamQueries.perHour(BigInteger.valueOf(750_000_000_000L), MINUTE)).isEqualTo("0.045000000");
        // a minute without data: 0 $/h
        assertThat(TeamQueries.perHour(BigInteger.ZERO, MINUTE)).isEqualTo("0.000000000");
    }

    @Test
    void theBudgetShareIsSpendOverBudget() {
        assertThat(TeamQueries.share(new BigDecimal("0.0075"), new BigDecimal("0.01"))).isEqualTo(0.75);      // 0.0075 / 0.01
        assertThat(TeamQueries.share(new BigDecimal("0.0075"), new BigDecimal("1"))).isEqualTo(0.0075);       // 0.0075 / 1
        assertThat(TeamQueries.share(new BigDecimal("3"), new BigDecimal("2"))).isEqualTo(1.5);               // over budget
        assertThat(TeamQueries.share(BigDecimal.ONE, null)).isNull();
        assertThat(TeamQueries.share(BigDecimal.ONE, BigDecimal.ZERO)).isNull();
    }

    @Test
    void theForecastExtrapolatesTheSpendSoFarToThePeriodsEndInEventTime() {
        // day: half of it gone at 12:00 -> $0.0075 * 24 h / 12 h = $0.015
        assertThat(TeamQueries.forecast(new BigDecimal("0.0075"), "day:2026-03-02", Instant.parse("2026-03-02T12:00:00Z").toEpochMilli()))
                .isEqualTo(new BigDecimal("0.015000000"));
        // 10:10: 0.0075 * 1440 / 610 = 10.8 / 610 = 0.0177049180327... -> 0.017704918
        assertThat(TeamQueries.forecast(new BigDecimal("0.0075"), "day:2026-03-02", T0.plusSeconds(600).toEpochMilli()))
                .isEqualTo(new BigDecimal("0.017704918"));
        // March: one day of 31 gone -> 0.0075 * 31 = 0.2325
        assertThat(TeamQueries.forecast(new BigDecimal("0.0075"), "month:2026-03", Instant.parse("2026-03-02T00:00:00Z").toEpochMilli()))
                .isEqualTo(new BigDecimal("0.232500000"));
        // the period's very end: the spend itself
        assertThat(TeamQueries.forecast(new BigDecimal("2"), "day:2026-03-02", Instant.parse("2026-03-03T00:00:00Z").toEpochMilli()))
                .isEqualTo(new BigDecimal("2.000000000"));
        // another period, nothing of it gone, or no period: no forecast
        assertThat(TeamQueries.forecast(BigDecimal.ONE, "day:2026-03-01", T0.toEpochMilli())).isNull();
        assertThat(TeamQueries.forecast(BigDecimal.ONE, "day:2026-03-02", Instant.parse("2026-03-02T00:00:00Z").toEpochMilli())).isNull();
        assertThat(TeamQueries.forecast(BigDecimal.ONE, null, T0.toEpochMilli())).isNull();
        assertThat(TeamQueries.forecast(BigDecimal.ONE, "week:2026-10", T0.toEpochMilli())).isNull();
        assertThat(TeamQueries.forecast(BigDecimal.ONE, "day:not-a-day", T0.toEpochMilli())).isNull();
    }

    @Test
    void theBreakdownSumsModelsAndDeploymentsAndRatesThemOverTheSpan() {
        List<TeamWindow> span = List.of(window(0), window(1));
        ApiAnswers.Breakdown b = TeamQueries.breakdown(span, T0.toEpochMilli(), T0.toEpochMilli() + 2 * MINUTE, 2);

        assertThat(b.from()).isEqualTo("2026-03-02T10:00:00Z");
        assertThat(b.to()).isEqualTo("2026-03-02T10:02:00Z");
        assertThat(b.models()).hasSize(2);
        ApiAnswers.ModelSpend api = b.models().get(0);
        assertThat(api.provider() + "/" + api.model()).isEqualTo("openai/gpt-4o-mini");
        assertThat(api.costUsd()).isEqualTo("0.001500000");     // 2 * $0.00075
        assertThat(api.usdPerHour()).isEqualTo("0.045000000");  // 0.0015 over 2 minutes = 0.0015 * 30
        assertThat(api.calls()).isEqualTo(2);
        assertThat(api.tokens()).isEqualTo(4_000);              // 2 * (1,000 in + 1,000 out)
        ApiAnswers.ModelSpend self = b.models().get(1);
        assertThat(self.model()).isEqualTo("llama-3.1-8b");
        assertThat(self.tokens()).isEqualTo(1_000);             // 2 * (400 in + 100 out)

        ApiAnswers.DeploymentSpend d = b.deployments().get(0);
        assertThat(d.deployment()).isEqualTo("llama");
        assertThat(d.gpuModel()).isEqualTo("H100-80GB");
        assertThat(d.gpuCostUsd()).isEqualTo("0.080000000");    // 2 * 60 s * $2.40/h = 2 * $0.04
        assertThat(d.usdPerHour()).isEqualTo("2.400000000");    // 0.08 * 30
        assertThat(d.idleCostUsd()).isEqualTo("0.072000000");   // 90 % of it
        assertThat(d.gpuSeconds()).isEqualTo(120.0);
        assertThat(d.utilization()).isEqualTo(0.1);
        assertThat(d.idleShare()).isEqualTo(0.9);
        assertThat(d.tokens()).isEqualTo(1_000);
    }

    @Test
    void theBreakdownListsTheTopLabelValuesByCost() {
        java.util.Set<String> keys = java.util.Set.of("customer", "feature");
        TokenCounts tokens = new TokenCounts(1_000, 0, 0, 1_000);
        TeamWindow first = new TeamWindow(T0.toEpochMilli());
        // acme: $0.00075 + $0.00075 (two minutes), globex: $0.0003; 12 small customers of $0.000001 each
        first.addAttribution(java.util.Map.of("customer", "acme", "feature", "chat", "ignored", "x"), keys, 100, 750_000_000_000L, tokens);
        first.addAttribution(java.util.Map.of("customer", "globex"), keys, 100, 300_000_000_000L, tokens);
        for (int i = 0; i < 12; i++) {
            first.addAttribution(java.util.Map.of("customer", String.format("small-%02d", i)), keys, 100, 1_000_000_000L, tokens);
        }
        TeamWindow second = new TeamWindow(T0.toEpochMilli() + MINUTE);
        second.addAttribution(java.util.Map.of("customer", "acme"), keys, 100, 750_000_000_000L, tokens);

        ApiAnswers.Breakdown b = TeamQueries.breakdown(List.of(first, second), T0.toEpochMilli(), T0.toEpochMilli() + 2 * MINUTE, 2);

        List<ApiAnswers.LabelSpend> customers = b.attribution().stream().filter(l -> l.key().equals("customer")).toList();
        assertThat(customers).hasSize(TeamQueries.TOP_LABEL_VALUES); // 14 values, the top 10 listed
        assertThat(customers.get(0).value()).isEqualTo("acme");
        assertThat(customers.get(0).costUsd()).isEqualTo("0.001500000");    // 2 * $0.00075
        assertThat(customers.get(0).usdPerHour()).isEqualTo("0.045000000"); // 0.0015 over 2 minutes = 0.0015 * 30
        assertThat(customers.get(0).calls()).isEqualTo(2);
        assertThat(customers.get(0).tokens()).isEqualTo(4_000);             // 2 * (1,000 in + 1,000 out)
        assertThat(customers.get(1).value()).isEqualTo("globex");
        assertThat(customers.get(1).costUsd()).isEqualTo("0.000300000");
        // equal costs: by value; small-08..11 fall past the top 10
        assertThat(customers.subList(2, 10)).extracting(ApiAnswers.LabelSpend::value)
                .containsExactly("small-00", "small-01", "small-02", "small-03", "small-04", "small-05", "small-06", "small-07");
        assertThat(customers.get(2).costUsd()).isEqualTo("0.000001000");
        // the other key, listed after customer; a key not in spend.attribution.keys is not aggregated
        assertThat(b.attribution().get(10)).isEqualTo(new ApiAnswers.LabelSpend("feature", "chat", "0.000750000", "0.022500000", 1, 2_000));
        assertThat(b.attribution()).hasSize(11);
    }

    /** One minute: a gpt-4o-mini call of $0.00075, a self-hosted call, one H100 at 10 % for 60 s ($0.04, busy $0.004). */
    private static TeamWindow window(int minute) {
        TeamWindow w = new TeamWindow(T0.toEpochMilli() + minute * MINUTE);
        w.addApiCall("openai", "gpt-4o-mini", new TokenCounts(1_000, 0, 0, 1_000), 750_000_000_000L);
        w.addSelfHostedCall("llama-3.1-8b", "llama", new TokenCounts(400, 0, 0, 100));
        w.addGpuSample("llama", "llama-3.1-8b", "H100-80GB", 60, 0.1, 40_000_000_000_000L, 4_000_000_000_000L);
        return w;
    }
}
