package io.spendmonitor.cli;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream thread that keeps failing is replaced a bounded number of times; then the instance is in
 * ERROR, and {@code run} stops and exits with status 1 and the reason, instead of staying up and
 * processing nothing (what it did with Kafka Streams' default handler).
 */
@ExtendWith(KafkaClusterExtension.class)
class RunCommandErrorExitIntegrationTest {
    private final KafkaCluster cluster;

    RunCommandErrorExitIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void anInstanceThatCannotSendExitsWithStatusOneAfterItsThreadReplacements(@TempDir Path dir) throws Exception {
        String prefix = "error-exit-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        List<NewTopic> topics = new ArrayList<>();
        for (var spec : Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, prefix), new InMemorySchemaRegistryClient()).all()) {
            topics.add(new NewTopic(spec.name(), 1, (short) 1).configs(spec.configs()));
        }
        cluster.createTopics(topics);
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            producer.send(new ProducerRecord<>(prefix + "llm.token-usage", "search", TokenUsage.newBuilder()
                    .setEventId("call-1").setTimestamp(Instant.parse("2026-03-02T10:00:00Z")).setTeam("search")
                    .setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                    .setInputTokens(1000).setOutputTokens(100).build())).get(30, TimeUnit.SECONDS);
        }

        // every record the app writes (changelog, dead letter, result) is larger than the producer may
        // send: RecordTooLargeException, which no retry cures, on every attempt of every new thread
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of("run",
                "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(), "--http-host", "127.0.0.1",
                "--http-port", "0", "--ingest-allow-anonymous", "--state-dir", dir.resolve("state").toString(),
                "--application-id", prefix + "app", "-X", Topics.PREFIX_CONFIG + "=" + prefix,
                "-X", "producer.max.request.size=64", "-X", "spend.streams.thread-replacements=2",
                // a replaced thread's consumer does not leave the group: its successor's tasks wait for the
                // session timeout (45 s by default); the broker's least is 6 s
                "-X", "consumer.session.timeout.ms=6000"));
        CliRun result = run.get(180, TimeUnit.SECONDS);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.err())
                .contains("Kafka Streams stopped in ERROR (stream threads failed more than 2 times within PT10M")
                .contains("RecordTooLargeException")
                .contains("exiting so that a supervisor can restart the app");
    }
}
