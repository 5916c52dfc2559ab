package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.LiveSpend;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spend by attribution label: every call is 1000 input + 500 output tokens of gpt-4o-mini,
 * 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6 = $0.00045, and 1500 tokens.
 */
class AttributionTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private TopologyFixture f;

    @AfterEach
    void close() {
        f.close();
    }

    private void call(Map<String, String> labels, int second) {
        f.send(f.call("search", "openai", "gpt-4o-mini", T0.plusSeconds(second)).setInputTokens(1000).setOutputTokens(500)
                .setLabels(labels).build());
    }

    @Test
    void labelledCallsAreSummedPerValueOfTheConfiguredKeysInTheWindowTheTotalsAndTheLiveCounters() {
        f = new TopologyFixture(Map.of("spend.attribution.max-values", "2"));
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        call(Map.of("customer", "acme", "feature", "search", "region", "eu"), 1);
        call(Map.of("customer", "acme"), 2);
        call(Map.of("customer", "globex"), 3);
        call(Map.of("customer", "initech"), 4); // a third value past max-values 2: "other"
        call(Map.of(), 5); // no labels: in the team's total, in no value

        // live, before the window is final: acme 2 x $0.00045 = $0.0009; globex, other and feature=search $0.00045 each
        LiveSpend live = f.committed.view().get("search");
        assertThat(line(live, "customer", "acme").costUsd()).isEqualByComparingTo("0.0009");
        assertThat(line(live, "customer", "acme").calls()).isEqualTo(2);
        assertThat(line(live, "customer", "acme").tokens()).isEqualTo(3000);
        assertThat(line(live, "customer", "globex").costUsd()).isEqualByComparingTo("0.00045");
        assertThat(line(live, "feature", "search").costUsd()).isEqualByComparingTo("0.00045");
        assertThat(live.attributed()).noneMatch(a -> a.key().equals("region")); // carried, not aggregated

        f.tick(T0.plus(Duration.ofMinutes(7)));
        WindowStore<String, TeamWindow> windows = f.driver.getWindowStore(SpendTopology.WINDOW_STORE);
        TeamWindow w = windows.fetch("search", T0.toEpochMilli());
        assertThat(w.attribution().get("customer").keySet()).containsExactly("acme", "globex", "other");
        assertThat(w.attribution().get("customer").get("other").cost.usd()).isEqualByComparingTo("0.00045");
        // 5 calls: $0.00225 in all, of which the labelled customers hold 4 x $0.00045 = $0.0018
        assertThat(w.apiCost().usd()).isEqualByComparingTo("0.00225");
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        assertThat(states.get("search").attributedTotals.get("customer").get("acme").costUsd).isEqualByComparingTo("0.0009");
        // the final window moved to the totals: the live line is the same amount
        assertThat(line(f.committed.view().get("search"), "customer", "acme").costUsd()).isEqualByComparingTo("0.0009");
    }

    private static LiveSpend.AttributedLine line(LiveSpend spend, String key, String value) {
        return spend.attributed().stream().filter(a -> a.key().equals(key) && a.value().equals(value)).findFirst().orElseThrow();
    }
}
