package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SpendTopologyTest {
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
    void pricesOpenAiAndAnthropicShapedUsageToTheNanoDollar() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", "0.075", null, "0.60", "2024-07-18T00:00:00Z");
        f.apiPrice("anthropic", "claude-sonnet-4-5", "3.00", "0.30", "3.75", "15.00", "2025-09-29T00:00:00Z");

        // OpenAI: prompt_tokens 1200 of which cached_tokens 1024; completion 85
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 10))
                .setInputTokens(1200).setCachedInputTokens(1024).setOutputTokens(85).build());
        // Anthropic: input_tokens 300 + cache_read 4000 + cache_creation 1000 = 5300 in our schema; output 640
        f.send(f.call("search", "anthropic", "claude-sonnet-4-5", at(0, 20))
                .setInputTokens(5300).setCachedInputTokens(4000).setCacheWriteInputTokens(1000).setOutputTokens(640).build());
        f.tick(at(6, 1)); // stream time past the window's end + 5 min grace

        TeamCostWindow w = f.costsOf("search").get(T0.toString());
        // OpenAI:    (176 * 0.15 + 1024 * 0.075 + 85 * 0.60) / 1e6 = (26.4 + 76.8 + 51) / 1e6  = 0.0001542
        // Anthropic: (300 * 3 + 4000 * 0.30 + 1000 * 3.75 + 640 * 15) / 1e6
        //          = (900 + 1200 + 3750 + 9600) / 1e6                                           = 0.01545
        // window:    0.0001542 + 0.01545                                                        = 0.0156042
        assertThat(w.getApiCostUsd()).isEqualTo(new BigDecimal("0.015604200"));
        assertThat(w.getModels()).extracting(m -> m.getModel() + "=" + m.getCostUsd().toPlainString())
                .containsExactly("claude-sonnet-4-5=0.015450000", "gpt-4o-mini=0.000154200");
        assertThat(w.getInputTokens()).isEqualTo(6500);       // 1200 + 5300
        assertThat(w.getCachedInputTokens()).isEqualTo(5024); // 1024 + 4000
        assertThat(w.getCacheWriteInputTokens()).isEqualTo(1000);
        assertThat(w.getOutputTokens()).isEqualTo(725);       // 85 + 640
        assertThat(w.getApiCalls()).isEqualTo(2);
        assertThat(w.getWindowEnd()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void aPriceChangeMidStreamAndALateEventArePricedAtTheirOwnTime() {
        f = new TopologyFixture();
        // GPT-3.5 Turbo: $1.00 / $2.00 per 1M in/out before 2024-01-25, $0.50 / $1.50 since
        f.apiPrice("openai", "gpt-3.5-turbo", "1.00", null, null, "2.00", "2023-06-13T00:00:00Z");
        f.apiPrice("openai", "gpt-3.5-turbo", "0.50", null, null, "1.50", "2024-01-25T00:00:00Z");
        Instant before = Instant.parse("2024-01-24T23:59:30Z");
        Instant after = Instant.parse("2024-01-25T00:00:30Z");

        f.send(f.call("legacy", "openai", "gpt-3.5-turbo", before).setInputTokens(1000).setOutputTokens(1000).build());
        f.send(f.call("legacy", "openai", "gpt-3.5-turbo", after).setInputTokens(1000).setOutputTokens(1000).build());
        // late, but inside the grace period: its window (23:59) is not final until 00:05
        f.send(f.call("legacy", "openai", "gpt-3.5-turbo", Instant.parse("2024-01-24T23:59:50Z"))
                .setInputTokens(1000).setOutputTokens(1000).build());
        f.tick(Instant.parse("2024-01-25T00:10:00Z"));
        // too late: 23:59's window was emitted when stream time passed 00:05
        f.send(f.call("legacy", "openai", "gpt-3.5-turbo", Instant.parse("2024-01-24T23:59:55Z"))
                .setInputTokens(1000).setOutputTokens(1000).build());

        Map<String, TeamCostWindow> windows = f.costsOf("legacy");
        // old price: (1000 * 1.00 + 1000 * 2.00) / 1e6 = 0.003 per call; two calls (one late) = 0.006
        assertThat(windows.get("2024-01-24T23:59:00Z").getApiCostUsd()).isEqualTo(new BigDecimal("0.006000000"));
        // new price: (1000 * 0.50 + 1000 * 1.50) / 1e6 = 0.002
        assertThat(windows.get("2024-01-25T00:00:00Z").getApiCostUsd()).isEqualTo(new BigDecimal("0.002000000"));
        assertThat(f.deadLetterReasons()).containsExactly("late");
    }

    @Test
    void aDuplicateEventIdIsCountedOnce() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        TokenUsage call = f.call("search", "openai", "gpt-4o-mini", at(0, 5)).setEventId("same-id")
                .setInputTokens(1000).setOutputTokens(1000).build();

        f.send(call);
        f.send(call);
        f.send(TokenUsage.newBuilder(call).setTimestamp(at(0, 40)).build()); // a retry, later, same id
        f.tick(at(6, 1));

        // once: (1000 * 0.15 + 1000 * 0.60) / 1e6 = 0.00075
        assertThat(f.costsOf("search").get(T0.toString()).getApiCostUsd()).isEqualTo(new BigDecimal("0.000750000"));
        assertThat(f.listener.duplicates.get()).isEqualTo(2);
    }

    @Test
    void aCopyAfterItsWindowIsFinalIsLateAndAnIdReusedInAnotherOpenWindowIsACopy() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        TokenUsage call = f.call("search", "openai", "gpt-4o-mini", at(0, 5)).setEventId("id-1")
                .setInputTokens(1000).setOutputTokens(1000).build();

        f.send(call);
        // the same id stamped again a minute later: both windows are open, so it is the same call
        f.send(TokenUsage.newBuilder(call).setTimestamp(at(1, 5)).build());
        f.tick(at(6, 1)); // 10:00 is final
        f.send(call); // a re-send after that is late: never counted, dead-lettered
        f.tick(at(7, 1)); // 10:01 is final

        Map<String, TeamCostWindow> windows = f.costsOf("search");
        // once: (1000 * 0.15 + 1000 * 0.60) / 1e6 = 0.00075, in 10:00 only
        assertThat(windows.get(T0.toString()).getApiCostUsd()).isEqualTo(new BigDecimal("0.000750000"));
        assertThat(windows).doesNotContainKey(at(1, 0).toString());
        assertThat(f.listener.duplicates.get()).isEqualTo(1);
        assertThat(f.deadLetterReasons()).containsExactly("late");
    }

    @Test
    void openWindowsAndTheirIdsReachTheStoresAtEachCommitAndTheIdsLeaveWhenTheWindowIsFinal() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 5)).setEventId("a")
                .setInputTokens(1000).setOutputTokens(1000).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 6)).setEventId("b")
                .setInputTokens(2000).setOutputTokens(0).build());

        // the test driver commits after every record: the buffered window was written by the hook
        org.apache.kafka.streams.state.WindowStore<String, io.spendmonitor.streams.cost.TeamWindow> windows =
                f.driver.getWindowStore(SpendTopology.WINDOW_STORE);
        io.spendmonitor.streams.cost.TeamWindow stored = windows.fetch("search", T0.toEpochMilli());
        // (1000 * 0.15 + 1000 * 0.60 + 2000 * 0.15) / 1e6 = 0.00105 USD = 0.00105 * 1e15 = 1,050,000,000,000 femto-USD
        assertThat(stored.apiCost().value().longValueExact()).isEqualTo(1_050_000_000_000L);
        org.apache.kafka.streams.state.KeyValueStore<String, byte[]> ids = f.driver.getKeyValueStore(SpendTopology.WINDOW_IDS_STORE);
        String chunk = "search|" + T0.toEpochMilli() + "|0";
        assertThat(ids.get(chunk)).hasSize(2 * Long.BYTES);
        assertThat(java.nio.ByteBuffer.wrap(ids.get(chunk)).getLong(0)).isEqualTo(EventIdSet.hash("a"));

        f.tick(at(6, 1));
        assertThat(ids.get(chunk)).isNull();
        assertThat(windows.fetch("search", T0.toEpochMilli()).apiCost().value().longValueExact()).isEqualTo(1_050_000_000_000L);
    }

    @Test
    void idsBeyondOneChunkAndTheOpenWindowAreReadBackFromTheStoresWhenTheBufferIsDiscarded() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        int calls = OpenWindows.IDS_PER_CHUNK + 904; // 5,000: one full chunk of ids and part of a second
        for (int i = 0; i < calls; i++) {
            f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 10)).setEventId("call-" + i)
                    .setInputTokens(1000).setOutputTokens(0).build());
        }
        org.apache.kafka.streams.state.KeyValueStore<String, byte[]> ids = f.driver.getKeyValueStore(SpendTopology.WINDOW_IDS_STORE);
        // how the ids are split depends on how often Kafka Streams commits; all 5,000 are stored, in
        // chunks of at most 4,096
        int stored = 0;
        int chunks = 0;
        for (byte[] chunk; (chunk = ids.get("search|" + T0.toEpochMilli() + "|" + chunks)) != null; chunks++) {
            assertThat(chunk.length).isLessThanOrEqualTo(OpenWindows.IDS_PER_CHUNK * Long.BYTES);
            stored += chunk.length / Long.BYTES;
        }
        assertThat(stored).isEqualTo(5000);
        assertThat(chunks).isGreaterThan(1);

        // what Kafka Streams does when it recycles the task: the objects are dropped, the stores stay
        CommitHookStore hook = (CommitHookStore) f.driver.getStateStore(SpendTopology.COMMIT_HOOK_STORE);
        hook.clearCache();
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 20)).setEventId("call-4999") // in the last chunk: a copy
                .setInputTokens(1000).setOutputTokens(0).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 30)).setEventId("call-5000") // new
                .setInputTokens(1000).setOutputTokens(0).build());
        f.tick(at(6, 1));

        TeamCostWindow w = f.costsOf("search").get(T0.toString());
        // 5,001 calls of 1000 input tokens at $0.15 per 1M: 5001 * 1000 * 0.15 / 1e6 = 0.75015
        assertThat(w.getApiCalls()).isEqualTo(5001);
        assertThat(w.getApiCostUsd()).isEqualTo(new BigDecimal("0.750150000"));
        assertThat(f.listener.duplicates.get()).isEqualTo(1);
        assertThat(ids.get("search|" + T0.toEpochMilli() + "|0")).isNull();
        assertThat(ids.get("search|" + T0.toEpochMilli() + "|" + (chunks - 1))).isNull();
    }

    @Test
    void idsLeftForAWindowAlreadyFinalAreNotLoadedAndAreDeletedAtTheNextCommit() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 10)).setEventId("first").setInputTokens(1000).build());
        // what a crash without exactly-once could leave: ids of 09:50, final since 09:56
        org.apache.kafka.streams.state.KeyValueStore<String, byte[]> ids = f.driver.getKeyValueStore(SpendTopology.WINDOW_IDS_STORE);
        String stale = "search|" + T0.minus(Duration.ofMinutes(10)).toEpochMilli() + "|0";
        ids.put(stale, java.nio.ByteBuffer.allocate(Long.BYTES).putLong(EventIdSet.hash("old")).array());

        ((CommitHookStore) f.driver.getStateStore(SpendTopology.COMMIT_HOOK_STORE)).clearCache();
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 20)).setEventId("old").setInputTokens(1000).build());
        f.tick(at(6, 1));

        assertThat(ids.get(stale)).isNull();
        // both calls counted ("old" is no copy of anything open): 2 * 1000 * 0.15 / 1e6 = 0.0003
        assertThat(f.costsOf("search").get(T0.toString()).getApiCostUsd()).isEqualTo(new BigDecimal("0.000300000"));
        assertThat(f.listener.duplicates.get()).isZero();
    }

    @Test
    void anIdleSelfHosted70bCostsHundredsOfTimesTheApiAndBothAlertsFireOnce() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-3.5-turbo", "0.50", null, null, "1.50", "2024-01-25T00:00:00Z");
        f.gpuPrice("A100-80GB", "2.00", "2024-01-01T00:00:00Z");
        f.profile("llama-2-70b", "A100-80GB", 2, 400, 0.7, 1, "0", "openai/gpt-3.5-turbo", "2024-01-01T00:00:00Z");
        // the same model on other GPUs: not what this team runs, so never compared
        f.gpuPrice("H100-80GB", "3.00", "2024-01-01T00:00:00Z");
        f.profile("llama-2-70b", "H100-80GB", 1, 800, 0.7, 1, "0", "openai/gpt-3.5-turbo", "2024-01-01T00:00:00Z");

        for (int minute = 0; minute < 30; minute++) {
            // two GPUs, one sample each per minute, 5 % busy
            f.sample("research", "llama70", "llama-2-70b", "gpu-node-1", "0", "A100-80GB", 0.05, 60, at(minute, 30));
            f.sample("research", "llama70", "llama-2-70b", "gpu-node-1", "1", "A100-80GB", 0.05, 60, at(minute, 30));
            // one small call a minute: 100 in + 100 out
            f.send(f.call("research", "self-hosted", "llama-2-70b", at(minute, 40)).setDeployment("llama70")
                    .setInputTokens(100).setOutputTokens(100).build());
        }

        TeamCostWindow first = f.costsOf("research").get(T0.toString());
        // per GPU-minute: 60 / 3600 * 2.00 = 0.0333333333333333.. -> 0.033333333333333 (femto, half-even); two GPUs
        assertThat(first.getGpuCostUsd()).isEqualTo(new BigDecimal("0.066666667"));
        assertThat(first.getSelfhostTokens()).isEqualTo(200);
        assertThat(first.getIdleGpus()).isEqualTo(1.9); // (1 - 0.05) * 60 * 2 / 60

        List<SpendAlert> alerts = f.alertsOf("research");
        assertThat(alerts).extracting(a -> a.getType() + " " + a.getState() + " " + a.getWindowEnd())
                .containsExactly(
                        // 5th consecutive evaluation with ratio > 1.1: the window 10:04-10:05
                        "SELF_HOSTING_DEARER FIRING 2026-03-02T10:05:00Z",
                        // 15th consecutive window below 30 % utilization: 10:14-10:15
                        "IDLE_CAPACITY FIRING 2026-03-02T10:15:00Z");
        SpendAlert dearer = alerts.get(0);
        // horizon = 5 minutes: actual = 5 * 0.066666666666666 = 0.33333333333333
        // counterfactual = 5 calls * (100 * 0.50 + 100 * 1.50) / 1e6 = 5 * 0.0002 = 0.001
        assertThat(dearer.getActualUsd()).isEqualTo(new BigDecimal("0.333333333"));
        assertThat(dearer.getCounterfactualUsd()).isEqualTo(new BigDecimal("0.001000000"));
        assertThat(dearer.getRatio()).isCloseTo(333.33333333333, org.assertj.core.data.Offset.offset(1e-9));
        // savings per hour = (0.33333333333333 - 0.001) * 60 / 5 = 3.98799999999996
        assertThat(dearer.getSavingsUsdPerHour()).isEqualTo(new BigDecimal("3.988000000"));
        assertThat(dearer.getSummary()).isEqualTo(
                "research would save $3.99/h moving llama-2-70b to openai/gpt-3.5-turbo (self-hosting costs 333.33x the API price)");

        SpendAlert idle = alerts.get(1);
        // per GPU sample: cost 0.033333333333333, busy = 5 % of it = 0.00166666666666665 -> 0.001666666666667,
        // idle = 0.031666666666666; per window 2 * that = 0.063333333333332; 15 windows = 0.94999999999998
        // per hour: 0.94999999999998 / 0.25 h = 3.79999999999992 -> 3.800000000 (= 2 GPUs * $2/h * 95 %)
        assertThat(idle.getIdleUsdPerHour()).isEqualTo(new BigDecimal("3.800000000"));
        assertThat(idle.getSubject()).isEqualTo("llama70");
    }

    @Test
    void anApiTeamRisingThroughBreakEvenFiresOnceAndResolvesOnce() {
        // horizon 5 minutes, 3 evaluations to fire or resolve, margin 10 %
        f = new TopologyFixture(Map.of("spend.horizon.minutes", "5", "spend.breakeven.evaluations", "3"));
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.40", "2024-01-01T00:00:00Z");
        // one replica serves 10,000 tok/s at 50 %: 300,000 tokens a minute; $2.40 + $0.60 overhead = $3.00/h
        f.profile("llama-3.1-8b", "H100-80GB", 1, 10_000, 0.5, 1, "0.60", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");

        // a call: 10,000 in + 2,500 out = (10000 * 0.15 + 2500 * 0.60) / 1e6 = $0.003, 12,500 tokens
        int[] callsPerMinute = new int[30];
        for (int m = 0; m < 30; m++) {
            callsPerMinute[m] = m >= 5 && m < 15 ? 24 : 2; // 2/min, then 24/min (300,000 tokens), then 2/min
        }
        for (int m = 0; m < 30; m++) {
            for (int c = 0; c < callsPerMinute[m]; c++) {
                f.send(f.call("search", "openai", "gpt-4o-mini", at(m, c)).setInputTokens(10_000).setOutputTokens(2_500).build());
            }
        }
        f.tick(at(36, 0));

        // self-hosting costs $3.00/h = $0.05 a minute (1 replica: peak 300,000 tokens/min fits exactly)
        // ratio at the end of minute m = API spend of the last 5 minutes / 0.25:
        //   m=7: (2*0.006 + 3*0.072)/0.25 = 0.912   m=8: (0.006 + 4*0.072)/0.25 = 1.176 (1st > 1.1)
        //   m=9: 1.44 (2nd)   m=10: 1.44 (3rd) -> FIRING at 10:11
        //   m=15: 1.176 (not < 1)   m=16: 0.912 (1st < 1)   m=17: 0.648   m=18: 0.384 (3rd) -> RESOLVED at 10:19
        List<SpendAlert> alerts = f.alertsOf("search");
        assertThat(alerts).extracting(a -> a.getType() + " " + a.getState() + " " + a.getWindowEnd())
                .containsExactly("SELF_HOSTING_CHEAPER FIRING 2026-03-02T10:11:00Z",
                        "SELF_HOSTING_CHEAPER RESOLVED 2026-03-02T10:19:00Z");
        SpendAlert firing = alerts.get(0);
        assertThat(firing.getRatio()).isCloseTo(1.44, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(firing.getActualUsd()).isEqualTo(new BigDecimal("0.360000000"));        // 5 * 24 * 0.003
        assertThat(firing.getCounterfactualUsd()).isEqualTo(new BigDecimal("0.250000000")); // $3.00/h * 5/60 h
        assertThat(firing.getSavingsUsdPerHour()).isEqualTo(new BigDecimal("1.320000000")); // (0.36 - 0.25) * 12
        assertThat(firing.getSummary()).startsWith("search would save $1.32/h self-hosting llama-3.1-8b on 1x H100-80GB");
    }

    @Test
    void budgetAlertsFireOncePerThresholdAndPeriod() {
        f = new TopologyFixture();
        f.apiPrice("acme", "big", "0", null, null, "1.00", "2024-01-01T00:00:00Z"); // $1 per 1M output tokens
        f.budget("ml", "10", "100", "2026-01-01T00:00:00Z");
        Instant day = Instant.parse("2026-11-10T00:00:00Z"); // 9 days into a 30-day month: 30 % gone
        int[] dollarsPerMinute = {8, 2, 1, 25, 50, 20};
        for (int m = 0; m < dollarsPerMinute.length; m++) {
            for (int c = 0; c < dollarsPerMinute[m]; c++) {
                f.send(f.call("ml", "acme", "big", day.plus(Duration.ofMinutes(m)).plusSeconds(c)).setOutputTokens(1_000_000).build());
            }
        }
        f.tick(day.plus(Duration.ofMinutes(12)));

        assertThat(f.alertsOf("ml")).extracting(a -> a.getSubject() + " @" + a.getWindowEnd() + " " + a.getSpendUsd().toPlainString())
                .containsExactly(
                        "day:2026-11-10 80% @2026-11-10T00:01:00Z 8.000000000",       // 8 of 10
                        "day:2026-11-10 100% @2026-11-10T00:02:00Z 10.000000000",     // 10 of 10
                        // month: 36 spent at 30.0023 % of November gone: 36 / 0.300023 = 119.99 > 100
                        "month:2026-11 forecast @2026-11-10T00:04:00Z 36.000000000",
                        "month:2026-11 80% @2026-11-10T00:05:00Z 86.000000000",        // 86 of 100
                        "month:2026-11 100% @2026-11-10T00:06:00Z 106.000000000");     // 106 of 100
    }

    @Test
    void aLabelBudgetWatchesTheSpendOfTheCallsCarryingItsLabel() {
        f = new TopologyFixture();
        f.apiPrice("acme", "big", "0", null, null, "1.00", "2024-01-01T00:00:00Z"); // $1 per 1M output tokens
        f.labelBudget("ml", "customer", "acme", "5", null, "2026-01-01T00:00:00Z");
        f.labelBudget("ml", "customer", "globex", "100", null, "2026-01-01T00:00:00Z");
        Instant day = Instant.parse("2026-11-10T00:00:00Z");
        // a minute: 3 calls of $1 for acme, 2 for globex, 1 without a label; the team's spend ($6/min) has no budget
        for (int m = 0; m < 3; m++) {
            for (int c = 0; c < 6; c++) {
                TokenUsage.Builder call = f.call("ml", "acme", "big", day.plus(Duration.ofMinutes(m)).plusSeconds(c)).setOutputTokens(1_000_000);
                if (c < 5) {
                    call.setLabels(java.util.Map.of("customer", c < 3 ? "acme" : "globex"));
                }
                f.send(call.build());
            }
        }
        f.tick(day.plus(Duration.ofMinutes(12)));

        // acme: $3 after minute 0 (60 % of $5), $6 after minute 1: 120 %, the budget is spent; globex: $6 of $100 (6 %)
        List<io.spendmonitor.avro.SpendAlert> alerts = f.alertsOf("ml"); // the output topic is read once
        assertThat(alerts).extracting(a -> a.getSubject() + " @" + a.getWindowEnd() + " " + a.getSpendUsd().toPlainString()
                        + " of " + a.getBudgetUsd().toPlainString())
                .containsExactly("customer=acme day:2026-11-10 100% @2026-11-10T00:02:00Z 6.000000000 of 5.000000000");
        io.spendmonitor.avro.SpendAlert fired = alerts.get(0);
        assertThat(fired.getType()).isEqualTo("BUDGET");
        assertThat(fired.getSummary()).isEqualTo("ml's customer=acme has spent 120% of its daily budget ($6.00 of $5.00)");
    }

    @Test
    void aLabelBudgetPublishedMidDayCountsTheLabelsSpendOfTheDaySoFar() {
        // CI saw it: the budget reached the task after the day's first acme minute was evaluated, and
        // that minute's spend was never counted against the budget
        f = new TopologyFixture();
        f.apiPrice("acme", "big", "0", null, null, "1.00", "2024-01-01T00:00:00Z"); // $1 per 1M output tokens
        Instant day = Instant.parse("2026-11-10T00:00:00Z");
        // yesterday's acme call (another day: never counted) and today's minutes 0, 1 and 2: one $1 acme call each
        for (Instant at : List.of(day.minus(Duration.ofMinutes(30)), day, day.plus(Duration.ofMinutes(1)),
                day.plus(Duration.ofMinutes(2)))) {
            f.send(f.call("ml", "acme", "big", at).setOutputTokens(1_000_000)
                    .setLabels(java.util.Map.of("customer", "acme")).build());
        }
        f.tick(day.plus(Duration.ofMinutes(12))); // minutes 0..2 are final and evaluated without a budget
        assertThat(f.alertsOf("ml")).extracting(a -> a.getType()).doesNotContain("BUDGET"); // (a spend spike fired)

        // then the budget arrives ($3.50 a day, in force since January) and minute 13 has one more $1 acme call.
        // The first minute evaluated after it (ending 00:08, grace 5 min; ml had no calls in it) starts the
        // budget at the day's $3 so far: 3 / 3.5 = 86 %, the 80 % warning goes out at once, not at ml's next
        // call; then minute 13 makes it 3 + 1 = $4 of $3.50, 114 %
        f.labelBudget("ml", "customer", "acme", "3.5", "1000", "2026-01-01T00:00:00Z");
        f.send(f.call("ml", "acme", "big", day.plus(Duration.ofMinutes(13))).setOutputTokens(1_000_000)
                .setLabels(java.util.Map.of("customer", "acme")).build());
        f.tick(day.plus(Duration.ofMinutes(30)));
        assertThat(budgetAlerts("ml")).containsExactly("customer=acme day:2026-11-10 80% @2026-11-10T00:08:00Z 3.000000000 of 3.500000000",
                        "customer=acme day:2026-11-10 100% @2026-11-10T00:14:00Z 4.000000000 of 3.500000000");
        // the month: yesterday (2026-11-09) is November too: 1 + 3 + 1 = $5 of $1,000
        io.spendmonitor.streams.cost.TeamState state = f.driver
                .<String, io.spendmonitor.streams.cost.TeamState>getKeyValueStore(SpendTopology.TEAM_STATE_STORE).get("ml");
        assertThat(state.labelMonth.get("customer=acme").spendUsd).isEqualByComparingTo("5");
        assertThat(state.labelDay.get("customer=acme").spendUsd).isEqualByComparingTo("4");
    }

    /** The team's BUDGET alerts as "subject @window_end spend of budget" (the output topic is read once). */
    private List<String> budgetAlerts(String team) {
        return f.alertsOf(team).stream().filter(a -> a.getType().equals("BUDGET"))
                .map(a -> a.getSubject() + " @" + a.getWindowEnd() + " " + a.getSpendUsd().toPlainString()
                        + " of " + a.getBudgetUsd().toPlainString())
                .toList();
    }

    @Test
    void aBudgetPublishedOrLoweredAfterTheTeamsLastCallFiresWithoutWaitingForItsNextCall() {
        f = new TopologyFixture();
        f.apiPrice("acme", "big", "0", null, null, "1.00", "2024-01-01T00:00:00Z"); // $1 per 1M output tokens
        Instant day = Instant.parse("2026-11-10T00:00:00Z");
        for (int m = 0; m < 3; m++) { // $1 a minute at 00:00, 00:01, 00:02, and no call after
            f.send(f.call("ml", "acme", "big", day.plus(Duration.ofMinutes(m))).setOutputTokens(1_000_000).build());
        }
        f.tick(day.plus(Duration.ofMinutes(12))); // the minutes ending up to 00:07 evaluated (grace 5 min), no budget yet
        assertThat(f.alertsOf("ml")).extracting(a -> a.getType()).doesNotContain("BUDGET");

        // a budget of $3.60 a day: $3 is 83 %; the first minute evaluated after it (ending 00:08, grace 5 min)
        // has no call of ml, and the 80 % warning goes out there all the same
        f.budget("ml", "3.6", null, "2026-01-01T00:00:00Z");
        f.tick(day.plus(Duration.ofMinutes(15)));
        // then lowered to $2.50: $3 is 120 %, and the minute after it (ending 00:11) says so
        f.budget("ml", "2.5", null, "2026-01-01T00:00:00Z");
        f.tick(day.plus(Duration.ofMinutes(20)));
        assertThat(budgetAlerts("ml")).containsExactly("day:2026-11-10 80% @2026-11-10T00:08:00Z 3.000000000 of 3.600000000",
                        "day:2026-11-10 100% @2026-11-10T00:11:00Z 3.000000000 of 2.500000000");
    }

    @Test
    void badInputGoesToTheDeadLetterTopicAndTheGoodEventsAroundItCount() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        TokenUsage good = f.call("search", "openai", "gpt-4o-mini", at(0, 1)).setInputTokens(1000).setOutputTokens(0).build();

        f.send(good);
        f.rawTokens.pipeInput("search", "not avro at all".getBytes(), at(0, 2));
        f.rawTokens.pipeInput("search", new byte[]{0, 0, 0, 0x7f, 0x7f, 2, 3}, at(0, 3)); // unknown schema id
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 4)).setInputTokens(-5).build());
        f.send(f.call("", "openai", "gpt-4o-mini", at(0, 5)).setInputTokens(5).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", Instant.parse("2100-01-01T00:00:00Z")).setInputTokens(5).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 6)).setInputTokens(5).setCachedInputTokens(6).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", at(0, 6)).setInputTokens(10_000_001).build());
        f.send(f.call("sea\u0007rch", "openai", "gpt-4o-mini", at(0, 6)).setInputTokens(5).build());
        f.send(f.call("<script>alert(1)</script>", "openai", "gpt-4o-mini", at(0, 6)).setInputTokens(5).build());
        f.send(f.call("x".repeat(1_000_000), "openai", "gpt-4o-mini", at(0, 6)).setInputTokens(5).build());
        f.send(f.call("search", "mystery", "unknown-model", at(0, 7)).setInputTokens(7).setOutputTokens(3).build());
        f.send(TokenUsage.newBuilder(good).setEventId("good-2").setTimestamp(at(0, 8)).build());
        f.tick(at(6, 1));

        // bytes that do not decode are dead-lettered by the deserialization handler: counted here; the
        // test driver does not capture a handler's dead-letter records (SpendApplicationIntegrationTest does)
        assertThat(f.deadLetterReasons()).containsExactly("negative-tokens", "missing-team", "future-timestamp",
                "inconsistent-tokens", "absurd-tokens", "bad-name", "bad-name", "bad-name", "unpriced");
        TeamCostWindow w = f.costsOf("search").get(T0.toString());
        // two good calls: 2 * 1000 * 0.15 / 1e6 = 0.0003; the unpriced call counts its tokens, not a cost
        assertThat(w.getApiCostUsd()).isEqualTo(new BigDecimal("0.000300000"));
        assertThat(w.getApiCalls()).isEqualTo(3);
        assertThat(w.getUnpricedCalls()).isEqualTo(1);
        assertThat(w.getInputTokens()).isEqualTo(2007);
        assertThat(f.listener.rejected).containsEntry("undecodable", 1).containsEntry("unknown-schema-id", 1)
                .containsEntry("unpriced", 1).containsEntry("negative-tokens", 1);
    }
}
