package io.spendmonitor.cli;

import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code spend-monitor bench} in a tiny run against the real broker and registry: it proves the
 * command works end to end (all phases, the app in its own JVM), not how fast anything is.
 */
@ExtendWith(KafkaClusterExtension.class)
class BenchCommandTest {
    private final KafkaCluster cluster;

    BenchCommandTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aTinyRunPrintsEveryPhaseTheRatiosTheLatencyAndTheAppsMemory() {
        // 5 s windows so the latency phase's windows close quickly; the app's grace is 5 s
        CliRun run = CliRun.of("bench", "--events", "3000", "--teams", "20", "--partitions", "2", "--latency-seconds", "3",
                "--latency-rate", "300", "-X", "spend.window.size=PT5S", "-b", cluster.bootstrapServers(),
                "-r", cluster.schemaRegistryUrl(), "--flink", "--flink-peer-jar", "/nonexistent/flink-peer.jar");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("phase (3,000 events, 2 partitions)", "raw consume", "trivial windowed count, exactly-once",
                "full spend topology, exactly-once").containsPattern("full/trivial=\\d+\\.\\d\\d full/raw=\\d+\\.\\d\\d \\(best of 2 runs each\\)");
        // the app threads' CPU per event: positive (a streams app cannot process 3,000 events on no CPU)
        Matcher cpu = Pattern.compile("cpu_us_per_event trivial=([\\d.]+) full=([\\d.]+) full/trivial_by_cpu=([\\d.]+) \\(least of 2 runs each\\)")
                .matcher(run.out());
        assertThat(cpu.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(cpu.group(1))).isPositive();
        assertThat(Double.parseDouble(cpu.group(2))).isPositive();
        Matcher latency = Pattern.compile("event to /metrics p50 / p99\\s+([\\d.]+) s /\\s+([\\d.]+) s").matcher(run.out());
        assertThat(latency.find()).as(run.out()).isTrue();
        // the counters include open windows: a call shows within commits, never before it is sent
        assertThat(Double.parseDouble(latency.group(1))).isPositive();
        assertThat(Double.parseDouble(latency.group(2))).isGreaterThanOrEqualTo(Double.parseDouble(latency.group(1)));
        Matcher machine = Pattern.compile("event_to_metric_p50_ms=(\\d+) event_to_metric_p99_ms=(\\d+)").matcher(run.out());
        assertThat(machine.find()).as(run.out()).isTrue();
        assertThat(Long.parseLong(machine.group(2))).isGreaterThanOrEqualTo(Long.parseLong(machine.group(1)));
        Matcher rss = Pattern.compile("app RSS start / max / end\\s+([\\d,]+) / ([\\d,]+) / ([\\d,]+) MiB").matcher(run.out());
        assertThat(rss.find()).as(run.out()).isTrue();
        // a JVM running Kafka Streams and an HTTP server holds more than 50 MiB
        assertThat(Long.parseLong(rss.group(2).replace(",", ""))).isGreaterThan(50);
        assertThat(run.out()).doesNotContain("WARNING");
        // --flink without the peer's jar: the phase says so and the rest runs
        assertThat(run.out()).contains("flink peer: skipped, /nonexistent/flink-peer.jar (with its lib/) is not built");
    }

    /**
     * The flink phase, where the peer is built (the reactor builds benchmarks/flink-peer before cli):
     * both processes report a rate and a peak RSS, and the ratio is printed.
     */
    @Test
    void theFlinkPhaseRunsOursAndThePeerInTheirOwnJvms() {
        java.nio.file.Path jar = FlinkPeerPhase.defaultPeerJar();
        org.junit.jupiter.api.Assumptions.assumeTrue(jar != null && java.nio.file.Files.isRegularFile(jar),
                "the flink peer is not built (mvn -B -DskipTests package)");
        CliRun run = CliRun.of("bench", "--events", "2000", "--teams", "20", "--partitions", "2", "--repeat", "1",
                "--latency-seconds", "0", "--flink", "--app-heap", "512m", "-b", cluster.bootstrapServers(),
                "-r", cluster.schemaRegistryUrl());

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("flink phase: own JVMs, -Xmx512m, parallelism 1")
                .containsPattern("ours without evaluation, exactly-once\\s+[\\d,]+\\s+[\\d,]+ MiB")
                .containsPattern("flink peer \\(Flink 2.2\\), exactly-once\\s+[\\d,]+\\s+[\\d,]+ MiB")
                .containsPattern("ours/flink=\\d+\\.\\d\\d");
    }

    @Test
    void badNumbersExitWithTwo() {
        assertThat(CliRun.of("bench", "--events", "0").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("bench", "--latency-seconds", "-1").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("bench", "--latency-rate", "0").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("bench", "--repeat", "0").exitCode()).isEqualTo(2);
    }
}
