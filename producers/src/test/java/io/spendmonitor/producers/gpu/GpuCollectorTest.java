package io.spendmonitor.producers.gpu;

import io.spendmonitor.avro.GpuUtilization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** From recorded readings to the exact GpuUtilization events, with a hand-driven clock. */
class GpuCollectorTest {
    private static final long MIB = 1024L * 1024L;
    private static final String UUID_0 = "GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c";
    private static final String UUID_1 = "GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b";
    private static final Instant T0 = Instant.parse("2025-06-20T10:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final HandClock clock = new HandClock(T0);

    private GpuCollector collector(GpuSource source, GpuMapping mapping, String node) {
        return new GpuCollector(source, mapping, node, INTERVAL, clock, clock::nanos);
    }

    private GpuSource nvidiaSmi(String script) {
        return new NvidiaSmiSource(GpuTestFiles.executable(dir, script).toString(), Duration.ofSeconds(10));
    }

    private static GpuMapping.Assignment team(String team, String deployment, String model) {
        return new GpuMapping.Assignment(team, deployment, model, null, null);
    }

    private static GpuUtilization.Builder sample(Instant at, String node, String gpuId, String team) {
        return GpuUtilization.newBuilder().setTimestamp(at).setNode(node).setGpuId(gpuId).setGpuModel("H100-80GB").setTeam(team);
    }

    @Test
    void nvidiaSmiOnATwoH100NodeGivesOneSamplePerGpu() throws GpuReadException {
        GpuCollector collector = collector(nvidiaSmi("nvidia-smi-h100x2.sh"),
                GpuMapping.of(team("search", "vllm-llama-70b", "llama-3.1-70b")), "gpu-node-1");

        List<GpuUtilization> samples = collector.collect();

        assertThat(samples).containsExactly(
                sample(T0, "gpu-node-1", UUID_0, "search").setDeployment("vllm-llama-70b").setModel("llama-3.1-70b")
                        .setUtilization(0.87).setMemoryUsedBytes(61440 * MIB).setMemoryTotalBytes(81559 * MIB)
                        .setPowerWatts(512.34).setIntervalSeconds(15.0).build(),
                sample(T0, "gpu-node-1", UUID_1, "search").setDeployment("vllm-llama-70b").setModel("llama-3.1-70b")
                        .setUtilization(0.0).setMemoryUsedBytes(4 * MIB).setMemoryTotalBytes(81559 * MIB)
                        .setPowerWatts(71.2).setIntervalSeconds(15.0).build());
    }

    @Test
    void eachSampleCoversTheRealTimeSinceThePreviousOne() throws GpuReadException {
        GpuCollector collector = collector(nvidiaSmi("nvidia-smi-h100x2.sh"), GpuMapping.of(team("search", null, null)), "n1");
        assertThat(collector.collect()).extracting(GpuUtilization::getIntervalSeconds).containsExactly(15.0, 15.0);

        clock.advance(Duration.ofMillis(15_250)); // the poll drifted by a quarter of a second
        List<GpuUtilization> second = collector.collect();
        assertThat(second).extracting(GpuUtilization::getIntervalSeconds).containsExactly(15.25, 15.25);
        assertThat(second.get(0).getTimestamp()).isEqualTo(T0.plusMillis(15_250));

        clock.advance(Duration.ofSeconds(30)); // one round was missed: this sample covers both
        assertThat(collector.collect()).extracting(GpuUtilization::getIntervalSeconds).containsExactly(30.0, 30.0);

        clock.advance(Duration.ofMinutes(10)); // collector suspended: the gap is not claimed
        assertThat(collector.collect()).extracting(GpuUtilization::getIntervalSeconds).containsExactly(15.0, 15.0);
    }

    @Test
    void aGpuWithUnknownUtilizationIsSkippedNotPublishedAsIdle() throws GpuReadException {
        GpuCollector collector = collector(nvidiaSmi("nvidia-smi-not-available.sh"), GpuMapping.of(team("search", null, null)), "n1");

        List<GpuUtilization> samples = collector.collect();

        assertThat(samples).containsExactly(sample(T0, "n1", UUID_1, "search").setUtilization(0.45)
                .setMemoryUsedBytes(0).setMemoryTotalBytes(0).setPowerWatts(null).setIntervalSeconds(15.0).build());
    }

    @Test
    void dcgmWithAMappingFileByPodAndUuid() throws Exception {
        HttpPage page = HttpPage.serve(GpuTestFiles.text("dcgm-exporter-h100x2.txt"));
        try (page) {
            Path mappingFile = dir.resolve("mapping.json");
            java.nio.file.Files.writeString(mappingFile, GpuTestFiles.text("mapping.json"));
            GpuMapping mapping = GpuMapping.load(mappingFile, GpuMapping.Assignment.NONE);
            GpuCollector collector = collector(new DcgmExporterSource(page.uri(), Duration.ofSeconds(5)), mapping, null);

            List<GpuUtilization> samples = collector.collect();

            assertThat(samples).containsExactly(
                    // the search namespace's vLLM pod holds GPU 0; the node name is the exporter's Hostname label
                    sample(T0, "gpu-node-7", UUID_0, "search").setDeployment("vllm-llama-8b").setModel("llama-3.1-8b")
                            .setUtilization(0.734512).setMemoryUsedBytes(71234 * MIB).setMemoryTotalBytes(81559 * MIB)
                            .setPowerWatts(612.451).setIntervalSeconds(15.0).build(),
                    // GPU 1, by UUID: research, at its own price
                    sample(T0, "gpu-node-7", UUID_1, "research").setUtilization(0.0).setMemoryUsedBytes(0)
                            .setMemoryTotalBytes(81559 * MIB).setPowerWatts(68.92).setIntervalSeconds(15.0)
                            .setUsdPerHour(new BigDecimal("2.490000000")).build());
        }
    }

    @Test
    void gpusNoTeamClaimsAreSkippedAndAGpuModelOptionOverridesTheName() throws GpuReadException {
        GpuMapping mapping = new GpuMapping(new GpuMapping.Assignment(null, null, null, "H100-SXM-80GB", null), List.of(
                new GpuMapping.Rule(null, "1", null, null, null, null, team("research", null, null))));
        GpuCollector collector = collector(nvidiaSmi("nvidia-smi-h100x2.sh"), mapping, "n1");

        List<GpuUtilization> samples = collector.collect();

        assertThat(samples).extracting(GpuUtilization::getGpuId, GpuUtilization::getTeam, GpuUtilization::getGpuModel)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(UUID_1, "research", "H100-SXM-80GB"));
    }

    @Test
    void theLoopSurvivesAFailingSourceAndTriesAgainNextInterval() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        GpuSource flaky = new GpuSource() {
            @Override
            public List<GpuReading> read() throws GpuReadException {
                if (reads.incrementAndGet() % 2 == 1) {
                    throw new GpuReadException("nvidia-smi exited with 9");
                }
                return List.of(new GpuReading("0", "GPU-a", "NVIDIA L4", 0.5, 0, 0, null, null, null, null, null));
            }

            @Override
            public String describe() {
                return "flaky";
            }
        };
        GpuCollector collector = new GpuCollector(flaky, GpuMapping.of(team("search", null, null)), "n1", Duration.ofMillis(20));
        List<List<GpuUtilization>> rounds = new CopyOnWriteArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        Thread loop = new Thread(() -> {
            try {
                collector.run(rounds::add, stop);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> rounds.size() >= 2);
        stop.countDown();
        loop.join(10_000);

        assertThat(loop.isAlive()).isFalse();
        assertThat(rounds.get(0)).singleElement().extracting(GpuUtilization::getGpuModel).isEqualTo("L4");
        assertThat(reads.get()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void dryRunLinesUseTheSchemaFieldNames() {
        GpuUtilization event = sample(T0, "gpu-node-7", UUID_1, "research").setUtilization(0.25).setMemoryUsedBytes(1024)
                .setMemoryTotalBytes(2048).setPowerWatts(68.92).setIntervalSeconds(15.25)
                .setUsdPerHour(new BigDecimal("2.490000000")).build();

        assertThat(GpuUtilizationJson.toJsonLine(event)).isEqualTo("{\"type\":\"gpu_utilization\",\"timestamp\":\"2025-06-20T10:00:00Z\","
                + "\"node\":\"gpu-node-7\",\"gpu_id\":\"" + UUID_1 + "\",\"gpu_model\":\"H100-80GB\",\"team\":\"research\","
                + "\"utilization\":0.25,\"memory_used_bytes\":1024,\"memory_total_bytes\":2048,\"power_watts\":68.92,"
                + "\"interval_seconds\":15.25,\"usd_per_hour\":\"2.490000000\"}");
    }

    /** A wall clock and a monotonic clock that move only when told. */
    static final class HandClock extends Clock {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        private final Instant start;

        HandClock(Instant start) {
            this.start = start;
        }

        void advance(Duration duration) {
            nanos.addAndGet(duration.toNanos());
        }

        long nanos() {
            return nanos.get();
        }

        @Override
        public Instant instant() {
            return start.plusNanos(nanos.get() - 1_000_000_000L);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
