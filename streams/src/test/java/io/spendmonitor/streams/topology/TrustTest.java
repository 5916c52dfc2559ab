package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.streams.cost.TeamState;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The defects of issue 12, each reproduced as a user met it: the money must be right off the happy
 * path too. The wall clock is the test driver's, fixed per test (never today's date).
 */
class TrustTest {
    /** The wall clock "now" of these tests. */
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    private static BigDecimal apiCostOf(Map<String, TeamCostWindow> windows) {
        return windows.values().stream().map(TeamCostWindow::getApiCostUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    void oneClientWithAFastClockDoesNotSilenceThePartition() {
        f = new TopologyFixture(Map.of(), NOW);
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");

        // one call stamped 3 days ahead: dead-lettered before it touches stream time
        f.send(f.call("search", "openai", "gpt-4o-mini", NOW.plus(Duration.ofDays(3))).setInputTokens(1000).build());
        // then 20 honest calls over the last 20 minutes, one a minute
        for (int i = 20; i >= 1; i--) {
            f.send(f.call("search", "openai", "gpt-4o-mini", NOW.minus(Duration.ofMinutes(i)))
                    .setInputTokens(1000).setOutputTokens(1000).build());
        }
        // the partition goes quiet: its last windows are final once the wall clock passes their grace
        f.advanceWallClock(Duration.ofMinutes(6));

        assertThat(f.deadLetterReasons()).containsExactly("future-timestamp");
        assertThat(f.listener.rejected).containsOnly(Map.entry("future-timestamp", 1));
        Map<String, TeamCostWindow> windows = f.costsOf("search");
        assertThat(windows).hasSize(20);
        // each call: (1000 * 0.15 + 1000 * 0.60) / 1e6 = 0.00075; 20 calls = 0.015
        assertThat(apiCostOf(windows)).isEqualByComparingTo("0.015");
    }

    @Test
    void aBurstOfEventsWithinTheAllowedSkewCannotMakeHonestLateCallsLate() {
        // max-ahead 1 minute (the default), grace 5 minutes
        f = new TopologyFixture(Map.of(), NOW);
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        for (int i = 0; i < 50; i++) {
            f.send(f.call("fast", "openai", "gpt-4o-mini", NOW.plusSeconds(55)).setInputTokens(1000).build());
        }
        // an honest call 4 minutes old: its window ends at NOW - 3 min, final only at NOW + 2 min
        f.send(f.call("honest", "openai", "gpt-4o-mini", NOW.minus(Duration.ofMinutes(4))).setInputTokens(1000).build());
        f.advanceWallClock(Duration.ofMinutes(10));

        assertThat(f.listener.rejected).isEmpty();
        // 1000 * 0.15 / 1e6 = 0.00015
        assertThat(apiCostOf(f.costsOf("honest"))).isEqualByComparingTo("0.00015");
    }

    @Test
    void aQuietPartitionIsListedWhileOpenAndFinishesItsWindowsByTheWallClock() {
        f = new TopologyFixture(Map.of(), NOW);
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        // a team alone on its partition, all its calls within two minutes, then nothing
        f.send(f.call("solo", "openai", "gpt-4o-mini", NOW.minusSeconds(100)).setInputTokens(2000).build());
        f.send(f.call("solo", "openai", "gpt-4o-mini", NOW.minusSeconds(30)).setInputTokens(2000).build());

        // listed at once, with its open windows: /api/teams reads the team-state store
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        assertThat(states.get("solo")).isNotNull();
        assertThat(f.costsOf("solo")).isEmpty();

        // 5 minutes of wall time after the last call: not yet past the last window's end + grace
        f.advanceWallClock(Duration.ofMinutes(5));
        assertThat(f.costsOf("solo")).hasSize(1); // 11:58's window (ends 11:59, final at 12:04)
        f.advanceWallClock(Duration.ofMinutes(1));
        Map<String, TeamCostWindow> rest = f.costsOf("solo");
        assertThat(rest).hasSize(1); // 11:59's window (ends 12:00, final at 12:05)
        // evaluated: the break-even horizon and the budget saw its money
        TeamState state = states.get("solo");
        assertThat(state.lastEvaluatedMs).isEqualTo(NOW.toEpochMilli());
        // 2 * 2000 * 0.15 / 1e6 = 0.0006 USD = 6e11 femto-USD over the horizon
        assertThat(state.horizonApiCostFemto).isEqualTo(java.math.BigInteger.valueOf(600_000_000_000L));
    }

    @Test
    void aReplayOfOldDataIsNeverFinalisedEarlyByTheWallClock() {
        f = new TopologyFixture(Map.of(), NOW);
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        Instant old = NOW.minus(Duration.ofDays(30));
        f.send(f.call("backfill", "openai", "gpt-4o-mini", old).setInputTokens(1000).build());
        f.send(f.call("backfill", "openai", "gpt-4o-mini", old.plusSeconds(90)).setInputTokens(1000).build());

        // an hour of wall time with nothing: the replay is not live, its windows stay open
        f.advanceWallClock(Duration.ofHours(1));
        assertThat(f.costsOf("backfill")).isEmpty();

        // the replay goes on: a late-but-in-grace event of the first window still counts
        f.send(f.call("backfill", "openai", "gpt-4o-mini", old.plusSeconds(30)).setInputTokens(1000).build());
        f.send(f.call("backfill", "openai", "gpt-4o-mini", old.plus(Duration.ofMinutes(10))).setInputTokens(1000).build());
        Map<String, TeamCostWindow> windows = f.costsOf("backfill");
        assertThat(f.listener.rejected).isEmpty();
        // first window: 2 calls, 2 * 1000 * 0.15 / 1e6 = 0.0003; second: 0.00015
        assertThat(windows.get(old.toString()).getApiCostUsd()).isEqualByComparingTo("0.0003");
        assertThat(apiCostOf(windows)).isEqualByComparingTo("0.00045");
    }

    @Test
    void sumsOfMoneyDoNotWrapPast9223Dollars() {
        f = new TopologyFixture();
        // $10 per 1M input tokens: a call of 4,000,000 input tokens costs 4e6 * 10 / 1e6 = $40
        f.apiPrice("acme", "big", "10", null, null, "10", "2024-01-01T00:00:00Z");
        Instant t0 = Instant.parse("2026-03-02T00:00:00Z");
        // 400 calls of $40, one a minute: $16,000 over 400 minutes
        for (int m = 0; m < 400; m++) {
            f.send(f.call("big-team", "acme", "big", t0.plus(Duration.ofMinutes(m))).setInputTokens(4_000_000).build());
        }
        // and one minute with 300 calls of $40: $12,000 in one window
        Instant busy = t0.plus(Duration.ofMinutes(400));
        for (int c = 0; c < 300; c++) {
            f.send(f.call("big-team", "acme", "big", busy.plusMillis(c)).setInputTokens(4_000_000).build());
        }
        f.tick(busy.plus(Duration.ofMinutes(7)));

        Map<String, TeamCostWindow> windows = f.costsOf("big-team");
        assertThat(f.listener.rejected).isEmpty();
        assertThat(windows.get(busy.toString()).getApiCostUsd()).isEqualTo(new BigDecimal("12000.000000000")); // 300 * 40
        assertThat(apiCostOf(windows)).isEqualTo(new BigDecimal("28000.000000000")); // 400 * 40 + 12,000
        // the last evaluation is of the window ending at t0 + 402 min (stream time t0 + 407 min less the
        // 5 min grace); its 60-minute horizon holds the windows ending in (t0 + 342, t0 + 402]:
        // minutes 342..399 at $40 = 58 * 40 = $2,320, plus the $12,000 minute = $14,320
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        assertThat(io.spendmonitor.streams.cost.Money.usd(states.get("big-team").horizonApiCostFemto))
                .isEqualByComparingTo("14320");
    }

    @Test
    void aSelfHostProfileThatCannotBeEvaluatedIsSkippedAndTheRestCounts() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.00", "2024-01-01T00:00:00Z");
        // tokens_per_second_per_replica 0: no replica count can come of it
        f.profile("llama-3.1-8b", "H100-80GB", 1, 0, 0.7, 1, "0.20", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        f.profile("llama-3.1-70b", "H100-80GB", 2, 2400, 1.5, 1, "0.20", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        assertThat(f.listener.catalogRejected).hasSize(2);
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        for (int m = 0; m < 3; m++) {
            f.send(f.call("search", "openai", "gpt-4o-mini", t0.plus(Duration.ofMinutes(m))).setInputTokens(1000).build());
        }
        f.tick(t0.plus(Duration.ofMinutes(10)));

        assertThat(f.listener.rejected).isEmpty();
        assertThat(f.deadLetterReasons()).isEmpty();
        // 3 * 1000 * 0.15 / 1e6 = 0.00045
        assertThat(apiCostOf(f.costsOf("search"))).isEqualByComparingTo("0.00045");
    }

    @Test
    void anAbsurdCostCallLeavesNoWindowBehind() {
        f = new TopologyFixture();
        // $1,000 per 1M tokens: 10M tokens would cost $10,000, more than one call's long of femto-dollars
        f.apiPrice("acme", "pricey", "1000", null, null, "1000", "2024-01-01T00:00:00Z");
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        f.send(f.call("lonely", "acme", "pricey", t0).setInputTokens(10_000_000).build());
        f.tick(t0.plus(Duration.ofMinutes(7)));

        assertThat(f.deadLetterReasons()).containsExactly("absurd-cost");
        assertThat(f.costsOf("lonely")).isEmpty();
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        assertThat(states.get("lonely")).isNull();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "window {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"PT5S", "PT1M", "PT5M"})
    void breakEvenIsTheSameWhateverTheWindowSize(String windowSize) {
        f = new TopologyFixture(Map.of("spend.window.size", windowSize));
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.00", "2024-01-01T00:00:00Z");
        f.profile("llama-3.1-8b", "H100-80GB", 1, 1000, 0.5, 1, "0.20", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        // one call every 5 s for 70 minutes: 1000 input + 1000 output tokens each
        for (int s = 0; s < 70 * 60; s += 5) {
            f.send(f.call("search", "openai", "gpt-4o-mini", t0.plusSeconds(s)).setInputTokens(1000).setOutputTokens(1000).build());
        }
        // stream time t0 + 75 min: every window ending by t0 + 70 min is final, the last one evaluated
        f.tick(t0.plus(Duration.ofMinutes(75)));

        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        TeamState state = states.get("search");
        assertThat(state.lastEvaluatedMs).isEqualTo(t0.plus(Duration.ofMinutes(70)).toEpochMilli());
        io.spendmonitor.streams.cost.BreakEven b = state.lastBreakEven.get(0);
        // horizon: the 60 minutes (t0 + 10 min, t0 + 70 min]: 720 calls
        // actual = 720 * (1000 * 0.15 + 1000 * 0.60) / 1e6 = 720 * 0.00075 = $0.54
        // peak_tps = 2000 tokens per 5 s = 400 (in 5 s, 1 min and 5 min windows alike)
        // replicas = max(1, ceil(400 / (1000 * 0.5))) = 1; counterfactual = (1 * 2.00 + 0.20) * 1 h = $2.20
        // ratio = 0.54 / 2.20 = 0.24545...; savings = (0.54 - 2.20) / 1 h = -1.66 $/h
        assertThat(b.minutes()).isEqualTo(60);
        assertThat(b.replicas()).isEqualTo(1);
        assertThat(b.actualUsd()).isEqualByComparingTo("0.54");
        assertThat(b.counterfactualUsd()).isEqualByComparingTo("2.20");
        assertThat(b.ratio()).isCloseTo(0.54 / 2.20, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(b.savingsUsdPerHour()).isEqualByComparingTo("-1.66");
    }

    @Test
    void aWindowSizeThatDoesNotDivideAnHourIsRefusedWithAClearError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.spendmonitor.streams.config.SpendConfig.of(
                        Map.of("spend.window.size", "PT7M")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("divide one hour evenly");
    }

    @Test
    void aFailingEvaluationLeavesTheTeamsStateAsItWasAndTheRestGoesOn() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.00", "2024-01-01T00:00:00Z");
        // valid, but at 1 token/s and 1 % utilization 3e9 tokens in a minute need more replicas than an int holds
        f.profile("tiny", "H100-80GB", 1, 1, 0.01, 1, "0", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        for (int c = 0; c < 300; c++) {
            f.send(f.call("huge", "openai", "gpt-4o-mini", t0.plusMillis(c)).setInputTokens(10_000_000).build());
        }
        f.send(f.call("small", "openai", "gpt-4o-mini", t0).setInputTokens(1000).build());
        f.tick(t0.plus(Duration.ofMinutes(7)));

        // the windows are final and emitted: 300 * 10,000,000 * 0.15 / 1e6 = $450
        assertThat(f.costsOf("huge").get(t0.toString()).getApiCostUsd()).isEqualByComparingTo("450");
        assertThat(f.listener.evaluationsFailed.get()).isPositive();
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        TeamState huge = states.get("huge");
        // nothing half-done: the evaluation's results were put back; only the final window's money
        // went to the lifetime totals (what the spend counters export never goes down):
        // 300 calls, 300 * 10,000,000 = 3e9 input tokens, $450
        assertThat(huge.lastEvaluatedMs).isZero();
        assertThat(huge.lastBreakEven).isEmpty();
        assertThat(huge.modelTotals.get("openai/gpt-4o-mini").costUsd).isEqualByComparingTo("450");
        assertThat(huge.modelTotals.get("openai/gpt-4o-mini").calls).isEqualTo(300);
        assertThat(huge.modelTotals.get("openai/gpt-4o-mini").input).isEqualTo(3_000_000_000L);
        // another team of the same partition is evaluated as usual: 1000 * 0.15 / 1e6 = 0.00015
        assertThat(states.get("small").modelTotals.get("openai/gpt-4o-mini").costUsd).isEqualByComparingTo("0.00015");
    }

    @Test
    void aDeadLetterKeepsTheKeyBytesItCameWith() {
        f = new TopologyFixture();
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        // a key that is not UTF-8 (0xC3 starts a 2-byte sequence that 0x28 does not continue)
        byte[] key = {'t', (byte) 0xC3, 0x28, 0};
        var raw = f.driver.createInputTopic(f.topics.tokenUsage().name(), new org.apache.kafka.common.serialization.ByteArraySerializer(),
                f.topics.tokenUsage().valueSerde().serializer());
        raw.pipeInput(key, f.call("search", "openai", "gpt-4o-mini", t0).setInputTokens(-1).build(), t0);

        var letters = f.deadLetters.readRecordsToList();
        assertThat(letters).hasSize(1);
        // decoded as a String and encoded again, it came out as 't', U+FFFD, '(', NUL: 6 bytes, not these 4
        assertThat(letters.get(0).key()).containsExactly(key);
    }

    @Test
    void deadLettersOfBothEventTypesShareTheTopicUnderTheirOwnSubjects() {
        f = new TopologyFixture();
        Instant t0 = Instant.parse("2026-03-02T10:00:00Z");
        f.send(f.call("search", "openai", "gpt-4o-mini", t0).setInputTokens(-1).build());
        // utilization 1.5: refused; its copy is a GpuUtilization on the same dead-letter topic
        f.sample("search", "d", "m", "n", "0", "H100-80GB", 1.5, 60, t0.plusSeconds(1));

        assertThat(f.deadLetterReasons()).containsExactly("negative-tokens", "bad-utilization");
        // topic + record name: the registry holds both types, neither refused as incompatible with the other
        assertThat(f.registry.latest(f.topics.deadLetter().name() + "-io.spendmonitor.avro.TokenUsage")).isNotNull();
        assertThat(f.registry.latest(f.topics.deadLetter().name() + "-io.spendmonitor.avro.GpuUtilization")).isNotNull();
    }
}
