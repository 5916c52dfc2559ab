package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.streams.cost.BreakEven;
import io.spendmonitor.streams.cost.TeamState;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Break-even sizes the self-hosted counterfactual with the throughput the team's own vLLM
 * deployment was measured at (tokens per busy GPU-second) once the horizon holds 30 minutes of
 * evidence, and with the profile's declared tokens_per_second_per_replica before.
 */
class MeasuredCapacityTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    /** Minute {@code m}: one gpt-4o-mini call of 30,000 + 30,000 tokens, and the deployment's GPU sample. */
    private void minute(int m) {
        Instant at = T0.plus(Duration.ofMinutes(m));
        f.send(f.call("search", "openai", "gpt-4o-mini", at.plusSeconds(10)).setInputTokens(30_000).setOutputTokens(30_000).build());
        GpuUtilization.Builder sample = GpuUtilization.newBuilder().setTimestamp(at.plusSeconds(30)).setNode("node-1")
                .setGpuId("GPU-0").setGpuModel("H100-80GB").setTeam("search").setDeployment("vllm-llama-8b")
                .setModel("llama-3.1-8b").setUtilization(0.5).setIntervalSeconds(60);
        if (m == 45) {
            // a nearly idle minute: measured, but no evidence of what the GPU serves flat out
            sample.setUtilization(0.1).setPromptTokens(80L).setGenerationTokens(20L).setPrefixCacheQueries(80L).setPrefixCacheHits(40L);
        } else if (m >= 20) {
            // from minute 20 the collector scrapes vLLM: 9,000 prompt + 3,000 generated tokens a minute
            sample.setPromptTokens(9_000L).setGenerationTokens(3_000L).setPrefixCacheQueries(9_000L).setPrefixCacheHits(4_500L);
        }
        GpuUtilization g = sample.build();
        f.gpus.pipeInput("search", g, g.getTimestamp());
    }

    private BreakEven apiMode() {
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        return states.get("search").lastBreakEven.stream().filter(b -> b.mode() == BreakEven.Mode.API).findFirst().orElseThrow();
    }

    @Test
    void breakEvenSwitchesToTheMeasuredThroughputOnceThereIsEnoughEvidence() {
        f = new TopologyFixture(Map.of());
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.00", "2024-01-01T00:00:00Z");
        // declared: 2,000 tokens/s per 1-GPU replica at target utilization 0.5
        f.profile("llama-3.1-8b", "H100-80GB", 1, 2000, 0.5, 1, "0", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");

        for (int m = 0; m < 40; m++) {
            minute(m);
        }
        f.tick(T0.plus(Duration.ofMinutes(45))); // windows ending by minute 40 are final (5 min grace)
        BreakEven early = apiMode();
        // evidence: measured windows 20..39 = 20 minutes < 30: the declared throughput sizes the replicas
        // peak_tps = 60,000 tokens / 60 s = 1,000; replicas = ceil(1,000 / (2,000 * 0.5)) = 1
        assertThat(early.throughput().used()).isEqualTo(BreakEven.Source.DECLARED);
        assertThat(early.throughput().evidenceSeconds()).isEqualTo(20 * 60);
        assertThat(early.throughput().requiredSeconds()).isEqualTo(30 * 60);
        // already measured: 12,000 tokens / (60 s * 0.5 busy) = 400 tokens per busy GPU-second
        assertThat(early.throughput().measuredTokensPerBusyGpuSecond()).isEqualByComparingTo("400");
        assertThat(early.replicas()).isEqualTo(1);

        for (int m = 40; m < 70; m++) {
            minute(m);
        }
        f.tick(T0.plus(Duration.ofMinutes(75)));
        BreakEven late = apiMode();
        BreakEven.Throughput t = late.throughput();
        // horizon (10, 70]: measured windows 20..69 without minute 45 (10 % busy < 20 %) = 49 minutes >= 30
        assertThat(t.used()).isEqualTo(BreakEven.Source.MEASURED);
        assertThat(t.evidenceSeconds()).isEqualTo(49 * 60);
        // measured = 49 * 12,000 tokens / (49 * 30 busy GPU-seconds) = 588,000 / 1,470 = 400 per busy GPU-second;
        // one replica is 1 GPU: 400 tokens/s per replica (declared: 2,000)
        assertThat(t.measuredTokensPerBusyGpuSecond()).isEqualByComparingTo("400");
        assertThat(t.measuredTokensPerSecondPerReplica()).isEqualByComparingTo("400");
        assertThat(t.declaredTokensPerSecondPerReplica()).isEqualTo(2000.0);
        assertThat(t.deployments()).containsExactly("vllm-llama-8b");
        assertThat(t.byDeployment().get("vllm-llama-8b")).isEqualByComparingTo("400");
        // prefix cache: (49 * 4,500 + 40) / (49 * 9,000 + 80) = 220,540 / 441,080 = 0.5
        assertThat(t.prefixCacheHitRate()).isEqualTo(0.5);
        // replicas = ceil(1,000 / (400 * 0.5)) = 5 (the declared throughput said 1)
        // counterfactual = 5 GPUs * $2.00/h * 1 h = $10.00; actual = 60 calls * (30,000 * 0.15 + 30,000 * 0.60) / 1e6 = $1.35
        assertThat(late.replicas()).isEqualTo(5);
        assertThat(late.gpus()).isEqualTo(5);
        assertThat(late.counterfactualUsd()).isEqualByComparingTo("10.00");
        assertThat(late.actualUsd()).isEqualByComparingTo("1.35");
        assertThat(late.ratio()).isEqualTo(0.135); // 1.35 / 10.00
        assertThat(late.savingsUsdPerHour()).isEqualByComparingTo(new BigDecimal("-8.65"));
    }

    @Test
    void theEvidenceNeededIsConfigurable() {
        f = new TopologyFixture(Map.of("spend.capacity.min-evidence", "PT10M", "spend.capacity.min-utilization", "0.05"));
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        f.gpuPrice("H100-80GB", "2.00", "2024-01-01T00:00:00Z");
        f.profile("llama-3.1-8b", "H100-80GB", 1, 2000, 0.5, 1, "0", "openai/gpt-4o-mini", "2024-07-23T00:00:00Z");
        for (int m = 0; m < 40; m++) {
            minute(m);
        }
        f.tick(T0.plus(Duration.ofMinutes(45)));
        BreakEven b = apiMode();
        // 20 measured minutes >= 10: measured (400 per busy GPU-second), replicas = ceil(1,000 / 200) = 5
        assertThat(b.throughput().used()).isEqualTo(BreakEven.Source.MEASURED);
        assertThat(b.replicas()).isEqualTo(5);
        assertThat(List.of(b.throughput().evidenceSeconds())).containsExactly(20L * 60);
    }
}
