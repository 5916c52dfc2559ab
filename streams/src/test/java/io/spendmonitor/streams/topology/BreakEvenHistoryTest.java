package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.BreakEven;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The break-even history the evaluate node writes: one entry per evaluated minute, in event time. */
class BreakEvenHistoryTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    private static Instant at(int minute, int second) {
        return T0.plus(Duration.ofMinutes(minute)).plusSeconds(second);
    }

    @Test
    void everyEvaluatedMinuteKeepsItsRatioPerProfileUnderTheMinutesWindow() {
        // the scenario of SpendTopologyTest.anApiTeamRisingThroughBreakEvenFiresOnceAndResolvesOnce
        f = new TopologyFixture(Map.of("spend.horizon.minutes", "5", "spend.breakeven.evaluations", "3"));
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.40", "2024-01-01T00:00:00Z");
        f.profile("llama-3.1-8b", "H100-80GB", 1, 10_000, 0.5, 1, "0.60", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        for (int m = 0; m < 30; m++) {
            int calls = m >= 5 && m < 15 ? 24 : 2;
            for (int c = 0; c < calls; c++) {
                f.send(f.call("search", "openai", "gpt-4o-mini", at(m, c)).setInputTokens(10_000).setOutputTokens(2_500).build());
            }
        }
        f.tick(at(36, 0));

        WindowStore<String, List<BreakEvenHistory.Point>> store = f.driver.getWindowStore(SpendTopology.BREAKEVEN_STORE);
        Map<Instant, BreakEvenHistory.Point> byWindowStart = new LinkedHashMap<>();
        try (WindowStoreIterator<List<BreakEvenHistory.Point>> it = store.fetch("search", T0, at(40, 0))) {
            it.forEachRemaining(kv -> {
                assertThat(kv.value).hasSize(1); // one profile
                byWindowStart.put(Instant.ofEpochMilli(kv.key), kv.value.get(0));
            });
        }
        // evaluated minutes 10:00 .. 10:30 (stream time 10:36 minus the 5-minute grace closes up to 10:31)
        assertThat(byWindowStart).containsKeys(at(0, 0), at(30, 0)).doesNotContainKey(at(31, 0));
        BreakEvenHistory.Point m7 = byWindowStart.get(at(7, 0));
        assertThat(m7.profile()).isEqualTo("llama-3.1-8b");
        assertThat(m7.mode()).isEqualTo("API");
        assertThat(m7.apiModel()).isEqualTo("openai/gpt-4o-mini");
        // self-hosting: $3.00/h, $0.25 over 5 minutes; a call $0.003
        // m=7: (2*0.006 + 3*0.072) / 0.25 = 0.228 / 0.25 = 0.912; savings (0.228 - 0.25) * 12 = -0.264 $/h
        assertThat(m7.ratio()).isCloseTo(0.912, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(m7.savingsUsdPerHour()).isEqualByComparingTo("-0.264");
        // m=10: 5 * 0.072 / 0.25 = 1.44; savings (0.36 - 0.25) * 12 = 1.32 $/h (the alert's numbers)
        assertThat(byWindowStart.get(at(10, 0)).ratio()).isCloseTo(1.44, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(byWindowStart.get(at(10, 0)).savingsUsdPerHour()).isEqualTo(new BigDecimal("1.320000000"));
        // m=18: (3*0.006 + ... ) -> 0.384, as the resolving evaluation
        assertThat(byWindowStart.get(at(18, 0)).ratio()).isCloseTo(0.384, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aRetentionShorterThanAWindowIsRefused() {
        assertThatThrownBy(() -> new TopologyFixture(Map.of(BreakEvenHistory.RETENTION, "PT30S")))
                .hasMessageContaining(BreakEvenHistory.RETENTION);
    }

    @Test
    void theSerdeGivesBackWhatItWasGiven() {
        List<BreakEvenHistory.Point> points = List.of(
                new BreakEvenHistory.Point("llama-3.1-70b", "API", "openai/gpt-4o", 1.44, new BigDecimal("1.320000000")),
                new BreakEvenHistory.Point("é".repeat(300), BreakEven.Mode.SELF_HOSTED.name(), null, null, new BigDecimal("-0.000000001")),
                new BreakEvenHistory.Point("p", "API", "x/y", 0.0, new BigDecimal("123456789.987654321")));
        var serde = BreakEvenHistory.serde();
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", points))).isEqualTo(points);
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", List.of()))).isEmpty();
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {9, 0, 0}))
                .isInstanceOf(org.apache.kafka.common.errors.SerializationException.class);
    }
}
