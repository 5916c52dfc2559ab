package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code spend-monitor gpu-collector} with a fake nvidia-smi (recorded output of a 2 x H100 node). */
class GpuCollectorCommandTest {
    private static final long MIB = 1024L * 1024L;
    private static final String UUID_0 = "GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c";
    private static final String UUID_1 = "GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SpendMonitorCli.newCommandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A fake nvidia-smi from the test resources, made executable (resources lose that bit). */
    private String nvidiaSmi(String name) throws IOException {
        Path script = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/gpu-collector/" + name)) {
            assertThat(in).as(name).isNotNull();
            Files.write(script, in.readAllBytes());
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script.toString();
    }

    @Test
    void helpNamesTheSourcesAndTheMapping() {
        Run help = run("gpu-collector", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--nvidia-smi", "--dcgm-url", "--team", "--mapping", "--interval", "--once", "--dry-run",
                "--bootstrap-servers", "pod_prefix");
        assertThat(run("--help").out()).contains("gpu-collector");
    }

    @Test
    void dryRunPrintsOneJsonLinePerGpu() throws Exception {
        Run run = run("gpu-collector", "--nvidia-smi", nvidiaSmi("nvidia-smi-h100x2.sh"), "--once", "--dry-run",
                "--team", "search", "--deployment", "vllm-llama-70b", "--model", "llama-3.1-70b", "--node", "gpu-node-1",
                "--usd-per-hour", "2.49");

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(Instant.parse(first.get("timestamp").asText())).isBetween(Instant.now().minusSeconds(60), Instant.now());
        ((com.fasterxml.jackson.databind.node.ObjectNode) first).remove("timestamp");
        assertThat(first).isEqualTo(JSON.readTree("""
                {"type":"gpu_utilization","node":"gpu-node-1","gpu_id":"%s","gpu_model":"H100-80GB","team":"search",
                 "deployment":"vllm-llama-70b","model":"llama-3.1-70b","utilization":0.87,"memory_used_bytes":%d,
                 "memory_total_bytes":%d,"power_watts":512.34,"interval_seconds":15.0,"usd_per_hour":"2.490000000"}
                """.formatted(UUID_0, 61440 * MIB, 81559 * MIB)));
        assertThat(JSON.readTree(lines.get(1)).get("gpu_id").asText()).isEqualTo(UUID_1);
        assertThat(JSON.readTree(lines.get(1)).get("utilization").asDouble()).isZero();
    }

    @Test
    void usageMistakesExitWithTwo() throws IOException {
        String smi = nvidiaSmi("nvidia-smi-h100x2.sh");
        Run noTeam = run("gpu-collector", "--nvidia-smi", smi, "--once", "--dry-run");
        assertThat(noTeam.exitCode()).isEqualTo(2);
        assertThat(noTeam.err()).contains("no team for the GPUs");

        Run twoSources = run("gpu-collector", "--nvidia-smi", smi, "--dcgm-url", "http://localhost:9400/metrics", "--team", "t", "--once", "--dry-run");
        assertThat(twoSources.exitCode()).isEqualTo(2);
        assertThat(twoSources.err()).contains("choose one source");

        assertThat(run("gpu-collector", "--team", "t", "--interval", "soon").exitCode()).isEqualTo(2);
        assertThat(run("gpu-collector", "--team", "t", "--interval", "200ms", "--dry-run").err()).contains("at least 1s");
        assertThat(run("gpu-collector", "--nvidia-smi", smi, "--team", "t", "--usd-per-hour", "1.0000000001", "--once", "--dry-run").err())
                .contains("more than 9 decimals");
        Run noKafka = run("gpu-collector", "--nvidia-smi", smi, "--team", "t", "--once");
        assertThat(noKafka.exitCode()).isEqualTo(1);
        assertThat(noKafka.err()).contains("--bootstrap-servers");
    }

    @Test
    void aFailingNvidiaSmiFailsTheSingleRunWithItsMessage() throws IOException {
        Run run = run("gpu-collector", "--nvidia-smi", nvidiaSmi("nvidia-smi-driver-down.sh"), "--team", "t", "--once", "--dry-run");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("could not read the GPUs").contains("couldn't communicate with the NVIDIA driver");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void durationsAsPeopleWriteThem() {
        GpuCollectorCommand.DurationConverter converter = new GpuCollectorCommand.DurationConverter();
        assertThat(converter.convert("15s")).isEqualTo(Duration.ofSeconds(15));
        assertThat(converter.convert("15")).isEqualTo(Duration.ofSeconds(15));
        assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(converter.convert("1.5m")).isEqualTo(Duration.ofSeconds(90));
        assertThat(converter.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
    }

    /** The collector run once against the real broker and registry; the samples are read back. */
    @Test
    @ExtendWith(KafkaClusterExtension.class)
    void publishesTheSamplesToKafka(KafkaCluster cluster) throws IOException {
        String prefix = "collector-it.";
        String topic = prefix + "gpu.utilization";
        cluster.createTopics(2, topic);

        Run run = run("gpu-collector", "--nvidia-smi", nvidiaSmi("nvidia-smi-h100x2.sh"), "--once",
                "--team", "search", "--deployment", "vllm-llama-70b", "--node", "gpu-node-1",
                "--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry", cluster.schemaRegistryUrl(),
                "-X", "spend.topic.prefix=" + prefix);

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("published 2 GPU sample(s) to " + topic);
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "collector-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                "schema.registry.url", cluster.schemaRegistryUrl(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, GpuUtilization.class.getName());
        AvroDeserializer<GpuUtilization> values = new AvroDeserializer<>();
        values.configure(config, false);
        List<ConsumerRecord<String, GpuUtilization>> records = new ArrayList<>();
        try (KafkaConsumer<String, GpuUtilization> consumer = new KafkaConsumer<>(config, new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= 2;
            });
        }
        assertThat(records).extracting(ConsumerRecord::key).containsOnly("search");
        GpuUtilization busy = records.stream().map(ConsumerRecord::value).filter(v -> v.getGpuId().equals(UUID_0)).findFirst().orElseThrow();
        Instant timestamp = busy.getTimestamp();
        assertThat(busy).isEqualTo(GpuUtilization.newBuilder().setTimestamp(timestamp).setNode("gpu-node-1").setGpuId(UUID_0)
                .setGpuModel("H100-80GB").setTeam("search").setDeployment("vllm-llama-70b").setUtilization(0.87)
                .setMemoryUsedBytes(61440 * MIB).setMemoryTotalBytes(81559 * MIB).setPowerWatts(512.34)
                .setIntervalSeconds(15.0).build());
        assertThat(records).extracting(r -> r.value().getGpuId()).containsExactlyInAnyOrder(UUID_0, UUID_1);
    }
}
