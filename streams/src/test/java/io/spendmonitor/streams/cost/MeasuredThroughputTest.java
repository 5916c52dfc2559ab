package io.spendmonitor.streams.cost;

import io.spendmonitor.streams.query.ThroughputViewAccess;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Measured tokens in a window's binary form, and the measured throughput's arithmetic. */
class MeasuredThroughputTest {

    private static TeamWindow measuredWindow() {
        TeamWindow w = new TeamWindow(60_000);
        w.addGpuSample("dep-1", "llama", "H100-80GB", 60, 0.5, 1000L, 500L);
        w.addMeasuredTokens("dep-1", 60, 0.5, 12_000, 9_000L, 4_500L);
        return w;
    }

    private static byte[] bytes(TeamWindow w) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.writeTo(new DataOutputStream(out));
        return out.toByteArray();
    }

    @Test
    void measuredTokensSurviveTheBinaryFormAndTheOldFormatIsStillRead() throws Exception {
        byte[] v3 = bytes(measuredWindow());
        assertThat(v3[0]).isEqualTo((byte) 3);
        TeamWindow back = TeamWindow.readFrom(new DataInputStream(new ByteArrayInputStream(v3)));
        TeamWindow.DeploymentStats d = back.deployments().get("dep-1");
        assertThat(d.measuredTokens).isEqualTo(12_000);
        assertThat(d.measuredGpuSeconds).isEqualTo(60.0);
        assertThat(d.measuredBusyGpuSeconds).isEqualTo(30.0);
        assertThat(d.prefixQueries).isEqualTo(9_000);
        assertThat(d.prefixHits).isEqualTo(4_500);

        // format 2 is format 3 without the last deployment's five trailing fields (2 doubles + 3 longs = 40 bytes)
        byte[] v2 = Arrays.copyOf(v3, v3.length - 40);
        v2[0] = 2;
        TeamWindow old = TeamWindow.readFrom(new DataInputStream(new ByteArrayInputStream(v2)));
        assertThat(old.toAvro("t", 60_000)).isEqualTo(back.toAvro("t", 60_000));
        assertThat(old.deployments().get("dep-1").measuredTokens).isZero();
        assertThat(old.deployments().get("dep-1").measuredGpuSeconds).isZero();
    }

    @Test
    void throughputIsTokensPerBusyGpuSecondTimesGpusPerReplica() {
        // a 2-GPU replica; two windows: 12,000 tokens over 2 GPUs * 60 s at 0.25 busy = 30 busy GPU-seconds
        SelfHostProfileSpec profile = new SelfHostProfileSpec("llama", "H100-80GB", 2, 1500, 0.5, 1, BigDecimal.ZERO, "openai", "gpt-4o-mini");
        MinuteSummary.MeasuredMinute m = new MinuteSummary.MeasuredMinute("llama", "H100-80GB", 12_000, 30, 120, 0, 0);
        MinuteSummary.MeasuredMinute otherGpu = new MinuteSummary.MeasuredMinute("llama", "A100-80GB", 1, 1, 1, 0, 0);
        List<MinuteSummary> horizon = List.of(
                new MinuteSummary(60_000, Map.of(), Map.of(), BigDecimal.ZERO.toBigInteger(), BigDecimal.ZERO.toBigInteger(),
                        Map.of("dep-1", m, "dep-a100", otherGpu)),
                new MinuteSummary(120_000, Map.of(), Map.of(), BigDecimal.ZERO.toBigInteger(), BigDecimal.ZERO.toBigInteger(),
                        Map.of("dep-1", m)));
        BreakEven.Throughput t = BreakEvenEvaluator.throughput(horizon, 60_000, profile,
                new CapacitySettings(Duration.ofMinutes(2), 0.2));
        // 24,000 / 60 = 400 per busy GPU-second; per replica 400 * 2 = 800; utilization 30 / 120 = 0.25 >= 0.2
        assertThat(t.measuredTokensPerBusyGpuSecond()).isEqualByComparingTo("400");
        assertThat(t.measuredTokensPerSecondPerReplica()).isEqualByComparingTo("800");
        assertThat(t.evidenceSeconds()).isEqualTo(120);
        assertThat(t.used()).isEqualTo(BreakEven.Source.MEASURED);
        assertThat(t.deployments()).containsExactly("dep-1"); // the A100 deployment is not this profile's GPU
        assertThat(t.prefixCacheHitRate()).isNull();          // no prefix-cache counters

        // at 30 % required, 25 % busy is no evidence: declared
        BreakEven.Throughput strict = BreakEvenEvaluator.throughput(horizon, 60_000, profile, new CapacitySettings(Duration.ofMinutes(2), 0.3));
        assertThat(strict.used()).isEqualTo(BreakEven.Source.DECLARED);
        assertThat(strict.measuredTokensPerBusyGpuSecond()).isNull();

        // the API answer names both and which was used
        String json = ThroughputViewAccess.json(t);
        assertThat(json).contains("\"declared_tokens_per_second_per_replica\":1500.0",
                "\"measured_tokens_per_second_per_replica\":800.000", "\"measured_tokens_per_busy_gpu_second\":400.000",
                "\"evidence_minutes\":2.0", "\"required_minutes\":2.0", "\"used\":\"measured\"", "\"measured_deployments\":[\"dep-1\"]",
                "\"tokens_per_busy_gpu_second_by_deployment\":{\"dep-1\":400.000}");
        assertThat(t.byDeployment()).containsOnlyKeys("dep-1");
    }
}
