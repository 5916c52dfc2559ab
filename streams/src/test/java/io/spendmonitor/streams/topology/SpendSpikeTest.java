package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.SpendAlert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEND_SPIKE through the topology. Every call here is 1000 input + 500 output tokens of
 * gpt-4o-mini: 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6 = $0.00045.
 */
class SpendSpikeTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private TopologyFixture f;

    @BeforeEach
    void prices() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
    }

    @AfterEach
    void close() {
        f.close();
    }

    /** {@code calls} calls spread over minute {@code minute} (from T0). */
    private void minute(int minute, int calls) {
        for (int c = 0; c < calls; c++) {
            f.send(f.call("agents", "openai", "gpt-4o-mini", T0.plus(Duration.ofMinutes(minute)).plusMillis(c * 59_000L / calls))
                    .setInputTokens(1000).setOutputTokens(500).build());
        }
    }

    private List<SpendAlert> spikes() {
        return f.alertsOf("agents").stream().filter(a -> a.getType().equals("SPEND_SPIKE")).toList();
    }

    @Test
    void aTenfoldJumpFiresOnceAtTheEndOfItsThirdMinuteAndResolvesAfterTenCalmMinutes() {
        for (int m = 0; m < 60; m++) {
            minute(m, 10); // baseline: 10 * $0.00045 = $0.0045 a minute, $0.27/h
        }
        for (int m = 60; m < 70; m++) {
            minute(m, 100); // $0.045 a minute = 10x the baseline, $2.70/h
        }
        for (int m = 70; m < 80; m++) {
            minute(m, 10); // back under 2x the (frozen) baseline
        }
        f.tick(T0.plus(Duration.ofMinutes(90)));

        List<SpendAlert> spikes = spikes();
        assertThat(spikes).hasSize(2);
        SpendAlert fired = spikes.get(0);
        // minutes 60, 61, 62 each >= 5 x $0.0045; together 3 x $0.045 = $0.135 >= $0.05: fires when minute 62 ends
        assertThat(fired.getState()).isEqualTo("FIRING");
        assertThat(fired.getWindowEnd()).isEqualTo(T0.plus(Duration.ofMinutes(63)));
        assertThat(fired.getRatio()).isEqualTo(10.0);
        assertThat(fired.getSpendUsd()).isEqualByComparingTo("0.135");
        assertThat(fired.getSubject()).isEqualTo("api-cost");
        assertThat(fired.getDetails()).containsEntry("baseline_usd_per_hour", "0.27").containsEntry("now_usd_per_hour", "2.70")
                .containsEntry("factor", "5").containsEntry("top_model", "openai/gpt-4o-mini");
        assertThat(fired.getSummary()).contains("$2.70/h").contains("10.0x").contains("$0.27/h").contains("openai/gpt-4o-mini");
        // minutes 70..79 at $0.0045 < 2 x $0.0045: the 10th calm minute ends at minute 80
        SpendAlert resolved = spikes.get(1);
        assertThat(resolved.getState()).isEqualTo("RESOLVED");
        assertThat(resolved.getWindowEnd()).isEqualTo(T0.plus(Duration.ofMinutes(80)));
    }

    @Test
    void steadyGrowthFromTenToFortyCallsAMinuteNeverFires() {
        for (int m = 0; m < 75; m++) {
            // 10 + 30 m / 74 calls: 10 at minute 0, 40 at minute 74; at most 40 / 26 ~ 1.5x the hour before, far from 5x
            minute(m, 10 + Math.round(30f * m / 74));
        }
        f.tick(T0.plus(Duration.ofMinutes(90)));
        assertThat(spikes()).isEmpty();
    }

    @Test
    void aSingleExpensiveMinuteNeverFires() {
        for (int m = 0; m < 60; m++) {
            minute(m, 10);
        }
        minute(60, 1000); // 100x the baseline, but one minute is not three
        for (int m = 61; m < 75; m++) {
            minute(m, 10);
        }
        f.tick(T0.plus(Duration.ofMinutes(90)));
        assertThat(spikes()).isEmpty();
    }

    @Test
    void aSpikeTooSmallToMatterOrTooEarlyInATeamsLifeNeverFires() {
        // 20 minutes of history only (30 needed), then 3 minutes at 10x: too early to judge
        for (int m = 0; m < 20; m++) {
            minute(m, 10);
        }
        for (int m = 20; m < 23; m++) {
            minute(m, 100);
        }
        f.tick(T0.plus(Duration.ofMinutes(40)));
        assertThat(spikes()).isEmpty();
    }
}
