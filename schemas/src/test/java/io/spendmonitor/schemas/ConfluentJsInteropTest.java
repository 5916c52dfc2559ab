package io.spendmonitor.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroSerde;
import io.spendmonitor.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Byte compatibility with Confluent's own client: records written by our serde are read by
 * npm {@code @confluentinc/schemaregistry} and the reverse, through the same real registry, with
 * identical bytes. The harness is schemas/interop-js (installed from its lock file here).
 */
@ExtendWith(KafkaClusterExtension.class)
class ConfluentJsInteropTest {
    private static final Path HARNESS = Path.of("interop-js").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;
    private final AvroSerde<TokenUsage> serde;

    ConfluentJsInteropTest(KafkaCluster cluster) {
        this.cluster = cluster;
        this.serde = AvroSerde.specificValue(TokenUsage.class, RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()));
    }

    @BeforeAll
    static void installHarness() throws Exception {
        if (Files.exists(HARNESS.resolve("node_modules/@confluentinc/schemaregistry/package.json"))) {
            return;
        }
        Result install = run(HARNESS, 300, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        assertThat(install.exitCode).as("npm ci in %s failed:%n%s", HARNESS, install.stderr).isZero();
    }

    @Test
    void confluentsClientReadsWhatWeWrite() throws Exception {
        String topic = "interop-java-to-js-" + UUID.randomUUID();
        TokenUsage usage = Fixtures.tokenUsage("java-1");

        byte[] ours = serde.serializer().serialize(topic, usage);
        JsonNode decoded = node("decode", "--registry", cluster.schemaRegistryUrl(), "--topic", topic,
                "--hex", HexFormat.of().formatHex(ours));

        assertThat(decoded.get("schemaId").asInt()).isEqualTo(WireFormat.schemaId(ours));
        assertThat(decoded.get("values")).isEqualTo(canonical(usage));
    }

    @Test
    void weReadWhatConfluentsClientWritesAndWriteTheSameBytes(@TempDir Path dir) throws Exception {
        String topic = "interop-js-to-java-" + UUID.randomUUID();
        // Anthropic-shaped call through a self-hosted-looking record: every optional field set
        TokenUsage usage = TokenUsage.newBuilder(Fixtures.tokenUsage("js-1"))
                .setProvider("anthropic").setModel("claude-sonnet-4-5")
                .setDeployment("edge-1")
                .setInputTokens(5_300).setCachedInputTokens(4_000).setCacheWriteInputTokens(1_000)
                .setOutputTokens(640).setServiceTier(null)
                .setReportedCostUsd(new BigDecimal("-12.500000001"))
                .setAttributes(Map.of("a", "1", "b", "ü€"))
                .setLabels(Map.of("customer", "acme", "feature", "ü€"))
                .build();
        Path schemaFile = Files.writeString(dir.resolve("schema.avsc"), TokenUsage.getClassSchema().toString());
        Path valuesFile = Files.writeString(dir.resolve("values.json"), JSON.writeValueAsString(canonical(usage)));

        JsonNode encoded = node("encode", "--registry", cluster.schemaRegistryUrl(), "--topic", topic,
                "--schema-file", schemaFile.toString(), "--values-file", valuesFile.toString());
        byte[] theirs = HexFormat.of().parseHex(encoded.get("hex").asText());

        assertThat(serde.deserializer().deserialize(topic, theirs)).isEqualTo(usage);
        assertThat(serde.serializer().serialize(topic, usage)).isEqualTo(theirs);
    }

    /** The harness's canonical JSON of a record: epoch millis, decimals as strings at their scale. */
    private static JsonNode canonical(SpecificRecord record) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Schema.Field field : record.getSchema().getFields()) {
            Object value = record.get(field.pos());
            if (value instanceof Instant instant) {
                value = instant.toEpochMilli();
            } else if (value instanceof BigDecimal decimal) {
                value = decimal.setScale(9).toPlainString();
            }
            values.put(field.name(), value);
        }
        // through text, so that small longs compare equal to the ints the harness prints
        return JSON.readTree(JSON.writeValueAsString(values));
    }

    private static JsonNode node(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("node", "interop.mjs"));
        command.addAll(List.of(args));
        Result result = run(HARNESS, 60, command.toArray(String[]::new));
        assertThat(result.exitCode).as("node %s failed:%n%s", String.join(" ", args), result.stderr).isZero();
        return JSON.readTree(result.stdout);
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(Path dir, int timeoutSeconds, String... command) throws Exception {
        Path out = Files.createTempFile("interop", ".out");
        Path err = Files.createTempFile("interop", ".err");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "", String.join(" ", command) + " timed out after " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
