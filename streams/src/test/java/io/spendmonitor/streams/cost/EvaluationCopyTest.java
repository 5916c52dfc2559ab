package io.spendmonitor.streams.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The evaluate node's way (window into the totals first, a copy sharing them, then the evaluation
 * from the horizon's running sums) ends in the same state and transitions as the plain evaluation.
 */
class EvaluationCopyTest {
    private static final long MINUTE = 60_000;
    /** 2026-03-02T10:00:00Z */
    private static final long T0 = 1_772_445_600_000L;
    private final TeamEvaluator evaluator = new TeamEvaluator(SpendSettings.defaults());
    private final PriceCatalog noPrices = new PriceCatalog();
    private final ObjectMapper json = new ObjectMapper();
    private final TeamEvaluator.Budget budget = new TeamEvaluator.Budget(new BigDecimal("1"), new BigDecimal("100"));

    /** One GPU at $2/h for the minute at {@code utilization}, and one gpt-4o call of 1,000 in / 10 out costing $0.001. */
    private static TeamWindow minute(int minute, double utilization) {
        TeamWindow w = new TeamWindow(T0 + minute * MINUTE);
        long cost = GpuSamplePricing.costFemto(60, new BigDecimal("2.00"));
        w.addGpuSample("vllm-8b", "llama-3.1-8b", "H100-80GB", 60, utilization, cost, GpuSamplePricing.busyFemto(cost, utilization));
        w.addApiCall("openai", "gpt-4o", new TokenCounts(1000, 100, 0, 10), 1_000_000_000_000L);
        return w;
    }

    @Test
    void accumulatingFirstThenEvaluatingFromTheSumsEndsInTheSameState() throws Exception {
        TeamState plain = new TeamState();
        TeamState node = new TeamState();
        List<MinuteSummary> summaries = new ArrayList<>();
        Horizon horizon = new Horizon();
        for (int m = 0; m < 20; m++) {
            TeamWindow w = minute(m, m < 16 ? 0.10 : 0.90); // idle 16 minutes (fires at the 15th), then busy
            long end = w.windowStartMs() + MINUTE;
            TeamEvaluator.learnDeploymentModels(plain, w);
            summaries.add(evaluator.summarize(plain, w, end));
            List<AlertTransition> expected = evaluator.evaluate("research", plain, w, end, noPrices, budget, summaries);

            TeamEvaluator.accumulate(node, w);
            TeamState before = node.copyForEvaluation();
            TeamEvaluator.learnDeploymentModels(node, w);
            horizon.addLast(evaluator.summarize(node, w, end));
            horizon.evictUpTo(end - SpendSettings.defaults().horizonMs());
            List<AlertTransition> actual = evaluator.evaluate("research", node, w, end, noPrices, budget, horizon, true);

            assertThat(actual).as("minute %d", m).isEqualTo(expected);
            assertThat(json.writeValueAsString(node)).as("minute %d", m).isEqualTo(json.writeValueAsString(plain));
            // the copy shares the totals, and has the rest as it was before the evaluation
            assertThat(before.modelTotals).isSameAs(node.modelTotals);
            assertThat(before.gpuTotals).isSameAs(node.gpuTotals);
            assertThat(before.lastEvaluatedMs).isEqualTo(m == 0 ? 0 : end - MINUTE);
        }
        // 20 calls of $0.001 = $0.02 in the totals: added once each
        assertThat(node.modelTotals.get("openai/gpt-4o").costUsd).isEqualByComparingTo("0.02");
        assertThat(node.modelTotals.get("openai/gpt-4o").calls).isEqualTo(20);
        // 20 minutes of one GPU sampled for 60 s each: 1,200 GPU-seconds
        assertThat(node.gpuTotals.values()).singleElement().satisfies(g -> assertThat(g.gpuSeconds).isEqualTo(1200.0));
    }

    @Test
    void theCopyForEvaluationIsIndependentButForTheTotals() throws Exception {
        TeamState state = new TeamState();
        for (int m = 0; m < 16; m++) {
            TeamWindow w = minute(m, 0.10);
            evaluator.evaluate("research", state, w, w.windowStartMs() + MINUTE, noPrices, budget);
        }
        String before = json.writeValueAsString(state);
        TeamState reference = state.copy(); // deep
        TeamState copy = state.copyForEvaluation();
        assertThat(json.writeValueAsString(copy)).isEqualTo(before);

        TeamWindow next = minute(16, 0.90);
        TeamEvaluator.accumulate(copy, next); // the totals: shared
        // everything else an evaluation changes: streaks, budget periods, spike history, results
        evaluator.evaluate("research", copy, next, next.windowStartMs() + MINUTE, noPrices, budget, new Horizon(), true);
        TeamState check = state.copyForEvaluation();
        check.modelTotals = reference.modelTotals;
        check.gpuTotals = reference.gpuTotals;
        check.attributedTotals = reference.attributedTotals;
        assertThat(json.writeValueAsString(check)).as("only the totals of the original changed").isEqualTo(before);
        // 17 calls of $0.001 in the shared totals
        assertThat(state.modelTotals.get("openai/gpt-4o").costUsd).isEqualByComparingTo("0.017");
        assertThat(json.writeValueAsString(copy)).isNotEqualTo(json.writeValueAsString(state));
    }
}
