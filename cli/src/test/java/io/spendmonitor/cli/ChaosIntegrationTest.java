package io.spendmonitor.cli;

import com.sun.net.httpserver.HttpServer;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Chaos: while calls are published, the {@code run} process is killed with SIGKILL at seeded
 * random moments and started again. Afterwards every team's totals are exact to the nano-dollar
 * against the sums of what was published, no alert transition was emitted twice, and each was
 * delivered (by its idempotency key) exactly once. CI runs {@value #DEFAULT_EVENTS} calls; set
 * -Dchaos.events=1000000 for the long version (docs/RELIABILITY.md).
 */
@ExtendWith(KafkaClusterExtension.class)
class ChaosIntegrationTest {
    static final int DEFAULT_EVENTS = 60_000;
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int TEAMS = 12;
    private final KafkaCluster cluster;

    ChaosIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void hardKillsNeitherLoseNorDoubleCount(@TempDir Path dir) throws Exception {
        int events = Integer.getInteger("chaos.events", DEFAULT_EVENTS);
        int kills = Integer.getInteger("chaos.kills", 3);
        Random random = new Random(7);
        String prefix = "chaos-" + UUID.randomUUID().toString().substring(0, 8) + ".";

        // the webhook the notifier delivers to: records every Idempotency-Key it is sent
        List<String> deliveries = new CopyOnWriteArrayList<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", exchange -> {
            deliveries.add(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), SpendMonitorCli.class.getName(), "run",
                "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(), "--http-host", "127.0.0.1", "--ingest-allow-anonymous",
                "--http-port", "0", "--state-dir", dir.resolve("state").toString(), "--application-id", prefix + "app",
                "-X", "spend.topic.prefix=" + prefix, "-X", "spend.topics.partitions=3",
                "-X", "spend.notify.consumer.auto.offset.reset=earliest",
                "--notify-webhook", "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook",
                "--notify-webhook-secret", "chaos"));
        Map<String, BigDecimal> expected = new TreeMap<>();
        // topics and prices before the app: its global store starts with the whole catalog
        List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>();
        for (var spec : io.spendmonitor.schemas.Topics.fromConfig(Map.of("spend.topic.prefix", prefix),
                new io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient()).all()) {
            topics.add(new org.apache.kafka.clients.admin.NewTopic(spec.name(), spec.compacted() && spec.name().endsWith("catalog") ? 1 : 3,
                    (short) 1).configs(spec.configs()));
        }
        cluster.createTopics(topics);
        KafkaProducer<String, SpecificRecord> pricing = producer();
        prices(pricing, prefix);
        pricing.close();
        Process app = start(command, dir, 0);
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            // kill points: seeded random moments while publishing
            TreeSet<Integer> killAt = new TreeSet<>();
            while (killAt.size() < kills) {
                killAt.add(events / 10 + random.nextInt(events * 8 / 10));
            }
            int restarts = 0;
            for (int i = 0; i < events; i++) {
                String team = "team-" + random.nextInt(TEAMS);
                Instant at = T0.plusMillis(i * 40L * 60_000 / events); // 40 minutes of event time
                long in = 1 + random.nextInt(3000);
                long out = 1 + random.nextInt(800);
                producer.send(new ProducerRecord<>(prefix + "llm.token-usage", team, TokenUsage.newBuilder()
                        .setEventId("chaos-" + i).setTimestamp(at).setTeam(team).setApplication("app").setProvider("openai")
                        .setModel("gpt-4o-mini").setInputTokens(in).setOutputTokens(out).build()));
                // (in * 0.15 + out * 0.60) / 1e6, exact
                expected.merge(team, new BigDecimal(in).multiply(new BigDecimal("0.15"))
                        .add(new BigDecimal(out).multiply(new BigDecimal("0.60"))).movePointLeft(6), BigDecimal::add);
                if (i % (events / 40) == 0) {
                    // an idle self-hosted GPU a minute: fires SELF_HOSTING_DEARER and IDLE_CAPACITY
                    producer.send(new ProducerRecord<>(prefix + "gpu.utilization", "research", GpuUtilization.newBuilder()
                            .setTimestamp(at).setNode("n1").setGpuId("0").setGpuModel("H100-80GB").setTeam("research")
                            .setDeployment("llama").setModel("llama-3.1-8b").setUtilization(0.03).setIntervalSeconds(60).build()));
                }
                if (killAt.contains(i)) {
                    producer.flush();
                    app.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close
                    app.waitFor(30, TimeUnit.SECONDS);
                    app = start(command, dir, ++restarts);
                }
            }
            for (int t = 0; t < TEAMS; t++) {
                producer.send(new ProducerRecord<>(prefix + "llm.token-usage", "team-" + t, TokenUsage.newBuilder()
                        .setEventId("tick-" + t).setTimestamp(T0.plus(Duration.ofMinutes(50))).setTeam("team-" + t)
                        .setApplication("tick").setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0).setOutputTokens(0).build()));
            }
            producer.send(new ProducerRecord<>(prefix + "gpu.utilization", "research", GpuUtilization.newBuilder()
                    .setTimestamp(T0.plus(Duration.ofMinutes(50))).setNode("n1").setGpuId("0").setGpuModel("H100-80GB")
                    .setTeam("research").setDeployment("llama").setModel("llama-3.1-8b").setUtilization(0.03)
                    .setIntervalSeconds(60).build()));
            producer.flush();

            Map<String, BigDecimal> totals = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, TeamCostWindow> consumer = consumer(prefix + "spend.team-costs", TeamCostWindow.class)) {
                await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(500))) {
                        totals.merge(r.key(), r.value().getApiCostUsd(), BigDecimal::add);
                    }
                    Map<String, BigDecimal> apiTeams = new TreeMap<>();
                    totals.forEach((k, v) -> {
                        if (k.startsWith("team-")) {
                            apiTeams.put(k, v.stripTrailingZeros());
                        }
                    });
                    Map<String, BigDecimal> want = new TreeMap<>();
                    expected.forEach((k, v) -> want.put(k, v.stripTrailingZeros()));
                    assertThat(apiTeams).isEqualTo(want);
                });
            }
            Map<String, Integer> emitted = new TreeMap<>();
            try (KafkaConsumer<String, SpendAlert> consumer = consumer(prefix + "spend.alerts", SpendAlert.class)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    consumer.poll(Duration.ofMillis(500)).forEach(r -> emitted.merge(r.value().getAlertId(), 1, Integer::sum));
                    return emitted.size() >= 2;
                });
                consumer.poll(Duration.ofSeconds(2)).forEach(r -> emitted.merge(r.value().getAlertId(), 1, Integer::sum));
            }
            assertThat(emitted.values()).as("alert transitions emitted more than once: %s", emitted).allMatch(n -> n == 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> Set.copyOf(deliveries).containsAll(emitted.keySet()));
            assertThat(Set.copyOf(deliveries)).isEqualTo(emitted.keySet());
            System.out.printf("chaos: %d calls, %d SIGKILLs, %d alert transitions, %d webhook requests (%d repeats absorbed by the idempotency key)%n",
                    events, kills, emitted.size(), deliveries.size(), deliveries.size() - Set.copyOf(deliveries).size());
        } finally {
            app.destroyForcibly();
            hook.stop(0);
        }
    }

    private static Process start(List<String> command, Path dir, int n) throws Exception {
        Path out = dir.resolve("run-" + n + ".out");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(dir.resolve("run-" + n + ".err").toFile()).start();
        await().atMost(Duration.ofSeconds(90)).until(() -> Files.readString(out).contains("app.url=") || !process.isAlive());
        assertThat(process.isAlive()).as("run #%d started; stderr:%n%s", n, Files.readString(dir.resolve("run-" + n + ".err"))).isTrue();
        return process;
    }

    private void prices(KafkaProducer<String, SpecificRecord> producer, String prefix) throws Exception {
        Instant from = Instant.parse("2025-01-01T00:00:00Z");
        for (PriceEntry e : List.of(
                new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                        .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                        .setEffectiveFrom(from).build()),
                new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(new BigDecimal("2.400000000"))
                        .setEffectiveFrom(from).build()),
                new PriceEntry(SelfHostProfile.newBuilder().setModel("llama-3.1-8b").setGpuModel("H100-80GB").setGpusPerReplica(1)
                        .setTokensPerSecondPerReplica(2500).setTargetUtilization(0.6).setMinReplicas(1)
                        .setOverheadUsdPerHour(new BigDecimal("0E-9")).setApiEquivalent("openai/gpt-4o-mini").setEffectiveFrom(from).build()))) {
            producer.send(new ProducerRecord<>(prefix + "spend.price-catalog", PriceKeys.key(e), e)).get(30, TimeUnit.SECONDS);
        }
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        return new KafkaProducer<>(config);
    }

    private <T extends SpecificRecord> KafkaConsumer<String, T> consumer(String topic, Class<T> type) {
        KafkaConsumer<String, T> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "chaos-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, type.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()));
        consumer.subscribe(List.of(topic));
        return consumer;
    }
}
