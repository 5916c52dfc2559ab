package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.TeamCostWindow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@value SpendTopology#BENCH_EVALUATION}=false (bench's flink phase): the team windows are the
 * same, evaluation's output (here a budget alert) is not there.
 */
class BenchEvaluationSwitchTest {
    private static final Instant DAY = Instant.parse("2026-11-10T00:00:00Z");

    /** ml's daily budget is $10; 12 calls of 1M output tokens at $1 per 1M spend $12 in minute 0. */
    private static Map<String, TeamCostWindow> run(TopologyFixture f, boolean[] alerted) {
        f.apiPrice("acme", "big", "1", null, null, "1", "2024-01-01T00:00:00Z");
        f.budget("ml", "10", "100", "2026-01-01T00:00:00Z");
        for (int c = 0; c < 12; c++) {
            f.send(f.call("ml", "acme", "big", DAY.plusSeconds(c)).setOutputTokens(1_000_000).build());
        }
        f.tick(DAY.plus(Duration.ofMinutes(7))); // past the window's end + 5 min grace
        Map<String, TeamCostWindow> costs = f.costsOf("ml");
        alerted[0] = !f.alertsOf("ml").isEmpty();
        return costs;
    }

    @Test
    void withoutEvaluationTheWindowsAreTheSameAndNoAlertIsRaised() {
        boolean[] alertedWith = new boolean[1];
        boolean[] alertedWithout = new boolean[1];
        Map<String, TeamCostWindow> with;
        Map<String, TeamCostWindow> without;
        try (TopologyFixture f = new TopologyFixture()) {
            with = run(f, alertedWith);
        }
        try (TopologyFixture f = new TopologyFixture(Map.of(SpendTopology.BENCH_EVALUATION, "false"))) {
            without = run(f, alertedWithout);
        }
        // 12 calls * 1,000,000 output tokens * $1 / 1M = $12, over the $10 budget
        assertThat(with.get(DAY.toString()).getApiCostUsd()).isEqualByComparingTo("12");
        assertThat(without).isEqualTo(with);
        assertThat(alertedWith[0]).isTrue();
        assertThat(alertedWithout[0]).isFalse();
    }
}
