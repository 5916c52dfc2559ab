package io.spendmonitor.streams;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.topology.SpendListener;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bad-input corpus (src/test/resources/corpus plus records that are valid Avro but wrong in
 * content) through the real broker and registry: every item lands in the dead-letter topic with its
 * reason, the rejection counters equal the corpus, and the good calls around them are all counted.
 */
@ExtendWith(KafkaClusterExtension.class)
class SpendApplicationCorpusIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private final KafkaCluster cluster;

    SpendApplicationCorpusIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void everyBadInputIsDeadLetteredWithItsReasonAndTheGoodOnesCount(@TempDir Path state) throws Exception {
        String prefix = "corpus-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = TestApps.config(cluster, prefix, "app", state, 2);
        Map<String, Integer> counted = new ConcurrentHashMap<>();
        SpendListener counting = new SpendListener() {
            @Override
            public void rejected(String reason, String topic) {
                counted.merge(reason, 1, Integer::sum);
            }
        };

        Map<String, Integer> expected = new TreeMap<>();
        try (SpendApplication app = new SpendApplication(SpendConfig.of(config), counting);
             KafkaProducer<String, SpecificRecord> avro = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                     "schema.registry.url", cluster.schemaRegistryUrl()));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            Topics topics = app.topics();
            app.start();
            String tokenTopic = topics.tokenUsage().name();
            PriceEntry price = new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                    .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                    .setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
            avro.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(price), price)).get();

            List<Runnable> corpus = new ArrayList<>();
            // raw bytes from the files
            for (String[] file : new String[][]{{"http-request.bin", "undecodable"}, {"json-not-avro.bin", "undecodable"},
                    {"wrong-magic.bin", "undecodable"}, {"too-short.bin", "undecodable"}, {"zeros.bin", "unknown-schema-id"},
                    {"unknown-schema-id.bin", "unknown-schema-id"}}) {
                byte[] bytes = Files.readAllBytes(Path.of("src/test/resources/corpus", file[0]));
                expected.merge(file[1], 1, Integer::sum);
                corpus.add(() -> raw.send(new ProducerRecord<>(tokenTopic, "search", bytes)));
            }
            // a valid record of another schema on the token topic
            expected.merge("wrong-schema", 1, Integer::sum);
            corpus.add(() -> {
                // written for the GPU topic (its subject, its schema), then copied onto the token topic
                byte[] gpu = new AvroSerializer<GpuUtilization>(io.spendmonitor.schemas.registry.RestSchemaRegistryClient
                        .forUrl(cluster.schemaRegistryUrl()), io.spendmonitor.schemas.serde.AvroSerdeConfig.defaults(), false)
                        .serialize(topics.gpuUtilization().name(), GpuUtilization.newBuilder()
                        .setTimestamp(T0).setNode("n").setGpuId("0").setGpuModel("H100-80GB").setTeam("search")
                        .setUtilization(0.5).setIntervalSeconds(15).build());
                raw.send(new ProducerRecord<>(tokenTopic, "search", gpu));
            });
            // valid Avro, wrong content
            Map<String, TokenUsage> bad = new java.util.LinkedHashMap<>();
            bad.put("negative-tokens", call("neg", "search", T0.plusSeconds(3)).setInputTokens(-1).build());
            bad.put("absurd-tokens", call("huge", "search", T0.plusSeconds(3)).setOutputTokens(9_000_000_000L).build());
            bad.put("missing-team", call("noteam", "", T0.plusSeconds(3)).build());
            bad.put("future-timestamp", call("future", "search", Instant.parse("2099-01-01T00:00:00Z")).build());
            bad.put("absurd-timestamp", call("ancient", "search", Instant.parse("2019-06-01T00:00:00Z")).build());
            bad.put("bad-name", call("ctrl", "se\u0000arch", T0.plusSeconds(3)).build());
            bad.put("inconsistent-tokens", call("cache", "search", T0.plusSeconds(3)).setCachedInputTokens(2_000).build());
            for (Map.Entry<String, TokenUsage> e : bad.entrySet()) {
                expected.merge(e.getKey(), 1, Integer::sum);
                corpus.add(() -> avro.send(new ProducerRecord<>(tokenTopic, "search", e.getValue())));
            }
            // a 1 MB team name (just under the producer's 1 MiB request limit) and markup: bad names too
            expected.merge("bad-name", 2, Integer::sum);
            corpus.add(() -> avro.send(new ProducerRecord<>(tokenTopic, "search", call("big", "t".repeat(1_000_000), T0.plusSeconds(4)).build())));
            corpus.add(() -> avro.send(new ProducerRecord<>(tokenTopic, "search", call("markup", "<img src=x onerror=alert(1)>", T0.plusSeconds(4)).build())));
            // after the first window is final (10:06 stream time), a call for 10:00 is late
            expected.merge("late", 1, Integer::sum);

            // good calls around every bad one: 1000 in + 1000 out = (150 + 600) / 1e6 = $0.00075 each
            int good = 0;
            for (Runnable item : corpus) {
                avro.send(new ProducerRecord<>(tokenTopic, "search", call("good-" + good, "search", T0.plusSeconds(good)).build()));
                good++;
                item.run();
            }
            avro.send(new ProducerRecord<>(tokenTopic, "search", call("tick", "search", T0.plus(Duration.ofMinutes(7))).setInputTokens(0).setOutputTokens(0).build())).get();
            avro.send(new ProducerRecord<>(tokenTopic, "search", call("late-1", "search", T0.plusSeconds(50)).build())).get();
            avro.flush();
            raw.flush();
            int goodCalls = good;

            Map<String, Integer> deadLettered = new TreeMap<>();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topics.deadLetter().name()));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                        Header h = r.headers().lastHeader(Topics.DEAD_LETTER_REASON_HEADER);
                        deadLettered.merge(new String(h.value(), StandardCharsets.UTF_8), 1, Integer::sum);
                    }
                    assertThat(deadLettered).isEqualTo(expected);
                });
            }
            assertThat(counted).isEqualTo(expected);

            // every good call of the first window counted: 14 * $0.00075 = $0.0105
            try (KafkaConsumer<String, TeamCostWindow> costs = TestApps.costsConsumer(cluster)) {
                costs.subscribe(List.of(topics.teamCosts().name()));
                List<TeamCostWindow> windows = new ArrayList<>();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    costs.poll(Duration.ofMillis(300)).forEach(r -> windows.add(r.value()));
                    return windows.stream().anyMatch(w -> w.getWindowStart().equals(T0));
                });
                TeamCostWindow first = windows.stream().filter(w -> w.getWindowStart().equals(T0)).findFirst().orElseThrow();
                assertThat(first.getApiCalls()).isEqualTo(goodCalls);
                assertThat(first.getApiCostUsd()).isEqualTo(new BigDecimal("0.00075").multiply(BigDecimal.valueOf(goodCalls)).setScale(9));
            }
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private static TokenUsage.Builder call(String id, String team, Instant at) {
        return TokenUsage.newBuilder().setEventId(id).setTimestamp(at).setTeam(team).setApplication("app")
                .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(1000).setOutputTokens(1000);
    }
}
