package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.producers.gpu.GpuUtilizationJson;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** gpu-collector's dry-run lines with vLLM token counts can be published as they are; bad counts are refused. */
class MeasuredTokensLineTest {
    private final EventLineParser parser = EventLineParserTest.newParser();

    private static GpuUtilization sample(long prompt) {
        return GpuUtilization.newBuilder().setTimestamp(Instant.parse("2026-11-27T10:00:00Z")).setNode("n1").setGpuId("GPU-0")
                .setGpuModel("H100-80GB").setTeam("search").setDeployment("vllm-llama-8b").setModel("llama-3.1-8b")
                .setUtilization(0.5).setIntervalSeconds(15).setPromptTokens(prompt).setGenerationTokens(1_600L)
                .setPrefixCacheQueries(2_200L).setPrefixCacheHits(1_100L).build();
    }

    @Test
    void aDryRunLineReadsBackToTheSameSample() {
        GpuUtilization sent = sample(3_000L);
        String line = GpuUtilizationJson.toJsonLine(sent);
        ParsedEvent e = (ParsedEvent) parser.parse(1, line).orElseThrow();
        assertThat(e.value()).isEqualTo(sent);
    }

    @Test
    void negativeOrAbsurdCountsAreRefused() {
        LineError negative = (LineError) parser.parse(1, GpuUtilizationJson.toJsonLine(sample(-1L))).orElseThrow();
        assertThat(negative.reason()).isEqualTo("negative-tokens");
        LineError absurd = (LineError) parser.parse(1, GpuUtilizationJson.toJsonLine(sample(2_000_000_000_000L))).orElseThrow();
        assertThat(absurd.reason()).isEqualTo("absurd-tokens");
    }
}
