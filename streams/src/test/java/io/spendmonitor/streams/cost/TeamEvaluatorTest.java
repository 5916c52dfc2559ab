package io.spendmonitor.streams.cost;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link TeamEvaluator} on its own: windows in, state and transitions out, no Kafka. */
class TeamEvaluatorTest {
    private static final long MINUTE = 60_000;
    /** 2026-03-02T10:00:00Z */
    private static final long T0 = 1_772_445_600_000L;
    private final TeamEvaluator evaluator = new TeamEvaluator(SpendSettings.defaults());
    private final PriceCatalog noPrices = new PriceCatalog();

    /** One GPU at $2/h, sampled for the whole minute at {@code utilization}. */
    private static TeamWindow gpuMinute(int minute, double utilization) {
        TeamWindow w = new TeamWindow(T0 + minute * MINUTE);
        long cost = GpuSamplePricing.costFemto(60, new BigDecimal("2.00"));
        w.addGpuSample("vllm-8b", "llama-3.1-8b", "H100-80GB", 60, utilization, cost, GpuSamplePricing.busyFemto(cost, utilization));
        return w;
    }

    private List<AlertTransition> evaluate(TeamState state, TeamWindow w, TeamEvaluator.Budget budget) {
        return evaluator.evaluate("research", state, w, w.windowStartMs() + MINUTE, noPrices, budget);
    }

    @Test
    void idleCapacityFiresAfterFifteenIdleMinutesWithTheirIdleCostPerHour() {
        TeamState state = new TeamState();
        List<AlertTransition> all = new ArrayList<>();
        for (int m = 0; m < 15; m++) {
            List<AlertTransition> t = evaluate(state, gpuMinute(m, 0.10), TeamEvaluator.Budget.NONE);
            if (m < 14) {
                assertThat(t).as("minute %d", m).isEmpty();
            }
            all.addAll(t);
        }
        // each minute: 60 / 3600 * $2.00 = $0.0333...; 10 % busy, so idle = 90 % = $0.03 a minute = $1.80/h
        assertThat(all).singleElement().satisfies(t -> {
            assertThat(t.type()).isEqualTo(AlertType.IDLE_CAPACITY);
            assertThat(t.state()).isEqualTo(AlertTransition.FIRING);
            assertThat(t.windowEndMs()).isEqualTo(T0 + 15 * MINUTE);
            assertThat(t.idleUsdPerHour()).isEqualByComparingTo("1.80");
        });
        // five busy minutes resolve it
        List<AlertTransition> resolved = new ArrayList<>();
        for (int m = 15; m < 20; m++) {
            resolved.addAll(evaluate(state, gpuMinute(m, 0.90), TeamEvaluator.Budget.NONE));
        }
        assertThat(resolved).extracting(AlertTransition::state).containsExactly(AlertTransition.RESOLVED);
    }

    @Test
    void aBudgetJumpingPastItsLimitAlertsOnceAt100Percent() {
        TeamState state = new TeamState();
        TeamEvaluator.Budget daily = new TeamEvaluator.Budget(new BigDecimal("10"), null);
        // the day's first minutes: less than 10 % of the day is gone, so no forecast alert
        long midnight = 1_772_409_600_000L; // 2026-03-02T00:00:00Z
        TeamWindow first = new TeamWindow(midnight);
        first.addApiCall("openai", "gpt-4o", new TokenCounts(0, 0, 0, 0), 5 * Money.FEMTO_PER_USD); // $5
        TeamWindow second = new TeamWindow(midnight + MINUTE);
        second.addApiCall("openai", "gpt-4o", new TokenCounts(0, 0, 0, 0), 6 * Money.FEMTO_PER_USD); // $6

        assertThat(evaluate(state, first, daily)).isEmpty(); // 5 of 10 = 50 %
        List<AlertTransition> t = evaluate(state, second, daily); // 11 of 10 = 110 %
        assertThat(t).extracting(AlertTransition::subject).containsExactly("day:2026-03-02 100%");
        assertThat(t.get(0).spendUsd()).isEqualByComparingTo("11");
        assertThat(evaluate(state, new TeamWindow(midnight + 2 * MINUTE), daily)).isEmpty(); // no repeat
    }

    @Test
    void aWindowOverNineThousandDollarsSumsExactlyIntoTheHorizon() {
        TeamState state = new TeamState();
        TeamWindow w = new TeamWindow(T0);
        for (int c = 0; c < 300; c++) {
            w.addApiCall("acme", "big", new TokenCounts(4_000_000, 0, 0, 0), 40 * Money.FEMTO_PER_USD); // $40 a call
        }
        evaluator.evaluate("big", state, w, T0 + MINUTE, noPrices, TeamEvaluator.Budget.NONE,
                List.of(evaluator.summarize(state, w, T0 + MINUTE)));
        // 300 * $40 = $12,000: past a long of femto-dollars ($9,223.37)
        assertThat(Money.usd(state.horizonApiCostFemto)).isEqualByComparingTo("12000");
        assertThat(state.day.spendUsd).isEqualByComparingTo("12000");
        assertThat(state.horizonMinutes).isEqualTo(1);
    }

    @Test
    void nothingIsEvaluatedBeforeTheTeamsFirstWindow() {
        TeamState state = new TeamState();
        assertThat(evaluator.evaluate("new", state, null, T0 + MINUTE, noPrices, TeamEvaluator.Budget.NONE, List.of())).isEmpty();
        assertThat(state.lastEvaluatedMs).isZero();
        assertThat(state.firstWindowStartMs).isEqualTo(-1);
    }

    @Test
    void aCopyOfTheStateIsCompleteAndIndependent() throws Exception {
        TeamState state = new TeamState();
        TeamEvaluator.Budget budget = new TeamEvaluator.Budget(new BigDecimal("1"), new BigDecimal("100"));
        for (int m = 0; m < 16; m++) {
            TeamWindow w = gpuMinute(m, 0.10);
            w.addApiCall("openai", "gpt-4o", new TokenCounts(1000, 100, 0, 10), 1_000_000_000_000L);
            evaluate(state, w, budget);
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String before = json.writeValueAsString(state);

        TeamState copy = state.copy();
        assertThat(json.writeValueAsString(copy)).isEqualTo(before);
        evaluate(copy, gpuMinute(16, 0.90), budget); // changes the copy's streaks, totals and budget
        assertThat(json.writeValueAsString(state)).isEqualTo(before);
        assertThat(json.writeValueAsString(copy)).isNotEqualTo(before);
    }

    @Test
    void aClientInventingModelNamesCannotGrowTheStateButEveryDollarStillCounts() {
        TeamState state = new TeamState();
        TeamWindow w = new TeamWindow(T0);
        // 1,000 distinct model names, $1 each
        for (int i = 0; i < 1_000; i++) {
            w.addApiCall("acme", "model-" + i, new TokenCounts(1, 0, 0, 0), Money.FEMTO_PER_USD);
        }
        evaluate(state, w, TeamEvaluator.Budget.NONE);

        // 255 models by name + "other/other" with the remaining 745
        assertThat(w.apiModels()).hasSize(TeamWindow.MAX_KEYS);
        assertThat(w.apiModels().get("other/other").calls).isEqualTo(1_000 - (TeamWindow.MAX_KEYS - 1));
        assertThat(w.indexedApiModels()).as("the per-call lookup cache holds the window's own models only")
                .isLessThanOrEqualTo(TeamWindow.MAX_KEYS);
        assertThat(state.modelTotals).hasSize(TeamState.MAX_KEYS);
        BigDecimal total = state.modelTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(total).isEqualByComparingTo("1000"); // 1,000 calls of $1
    }
}
