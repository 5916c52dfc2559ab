package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Providers;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.topology.SpendListener;
import io.spendmonitor.streams.topology.SpendTopology;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The peer computes what the topology computes: the same events (calls of four teams over 20
 * minutes, a client retry and a re-used event_id, a call two minutes late (inside the 5-minute
 * grace), a price change at 10:10, an unpriced model, self-hosted calls and GPU samples) go through
 * our topology (the real application, evaluation switched off as `bench` runs it) and through the
 * Flink job, on one real broker and registry; every team window of the two outputs is the same
 * Avro record, field for field (money to the nano-dollar), and each is written once.
 */
@ExtendWith(KafkaClusterExtension.class)
class FlinkPeerEqualityIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int PARTITIONS = 2;
    private static final List<String> TEAMS = List.of("team-a", "team-b", "team-c", "team-gpu");

    private final KafkaCluster cluster;

    FlinkPeerEqualityIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void peerWindowsEqualTheTopologysToTheNanoDollar(@TempDir Path stateDir) throws Exception {
        String prefix = "flink-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("bootstrap.servers", cluster.bootstrapServers());
        overrides.put("schema.registry.url", cluster.schemaRegistryUrl());
        overrides.put("application.id", prefix + "spend-monitor");
        overrides.put("state.dir", stateDir.toString());
        overrides.put(Topics.PREFIX_CONFIG, prefix);
        overrides.put(SpendApplication.CREATE_TOPICS, "false");
        overrides.put(SpendTopology.BENCH_EVALUATION, "false");
        SpendConfig config = SpendConfig.of(overrides);

        Topics topics;
        try (RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
             Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, prefix), registry);
            admin.createTopics(topics.newTopics(PARTITIONS, Optional.of((short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            prices(producer, topics);
            events(producer, topics);
        }
        PeerJob.Settings settings = PeerJob.Settings.defaults(cluster.bootstrapServers(), cluster.schemaRegistryUrl(), prefix,
                prefix + "flink-peer", PARTITIONS);
        Process peer = startPeer(prefix, Path.of("target", "flink-peer-equality.log"));
        try (SpendApplication ours = new SpendApplication(config, SpendListener.NONE)) {
            ours.start();
            Map<String, TeamCostWindow> oursWindows = read(topics.teamCosts().name());
            Map<String, TeamCostWindow> peerWindows = read(settings.outputTopic());

            // team-a..c have calls in each of the 20 minutes (60 windows), team-gpu samples and self-hosted
            // calls in each (20 more), team-hand one minute: 81, all closed by the ticks at 10:30
            assertThat(oursWindows.keySet()).hasSize(81);
            assertThat(peerWindows.keySet()).isEqualTo(oursWindows.keySet());
            for (String key : oursWindows.keySet()) {
                assertThat(peerWindows.get(key)).as(key).isEqualTo(oursWindows.get(key));
            }

            // Hand-checked: team-hand's window 10:11-10:12 (gpt-4o-mini's second price, from 10:10:
            // input 0.30, cached input 0.15, output 1.20 USD per 1M tokens):
            //   call hand-1: 800 uncached * 0.30 + 200 cached * 0.15 + 500 out * 1.20 =  240 +  30 +  600 =  870 -> $0.000870
            //   call hand-2: 3000 * 0.30 + 1000 * 1.20                                 =  900 + 1200        = 2100 -> $0.002100
            //   hand-1 again (a client retry) and hand-2's id re-used at 10:11:40: duplicates, not counted
            //   call hand-late, sent at 10:13:40 stream time, stamped 10:11:30 (over 2 min late, inside the grace):
            //                100 * 0.30 + 100 * 1.20                                       =   30 +  120        =  150 -> $0.000150
            //   total 870 + 2100 + 150 = 3120 micro-dollars = $0.003120000, 3 calls, 4100 input / 1600 output tokens
            TeamCostWindow hand = oursWindows.get("team-hand@" + T0.plus(Duration.ofMinutes(11)));
            assertThat(hand).isNotNull();
            assertThat(hand.getApiCostUsd()).isEqualByComparingTo(new BigDecimal("0.003120000"));
            assertThat(hand.getApiCalls()).isEqualTo(3);
            assertThat(hand.getInputTokens()).isEqualTo(4100);
            assertThat(hand.getOutputTokens()).isEqualTo(1600);
            assertThat(peerWindows.get("team-hand@" + T0.plus(Duration.ofMinutes(11)))).isEqualTo(hand);
            // and one GPU minute: the samples come every 30 s (the loop's even seconds that are multiples of 15),
            // minute 3 holds samples 12 and 14 (10:03:00, 10:03:30), 15 s each at $2.40/h: 15 / 3600 * 2.40 = $0.01 each,
            // $0.02 in all; utilization (i % 10) / 10 = 0.2 and 0.4: busy 0.01 * 0.2 + 0.01 * 0.4 = $0.006, idle $0.014
            TeamCostWindow gpu = oursWindows.get("team-gpu@" + T0.plus(Duration.ofMinutes(3)));
            assertThat(gpu.getGpuCostUsd()).isEqualByComparingTo(new BigDecimal("0.020000000"));
            assertThat(gpu.getBusyCostUsd()).isEqualByComparingTo(new BigDecimal("0.006000000"));
            assertThat(gpu.getIdleCostUsd()).isEqualByComparingTo(new BigDecimal("0.014000000"));
            assertThat(peerWindows.get("team-gpu@" + T0.plus(Duration.ofMinutes(3)))).isEqualTo(gpu);
        } finally {
            peer.destroy();
            if (!peer.waitFor(30, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
    }

    /**
     * The events, in event-time order per partition: three API teams calling every 2 s (seeded
     * tokens, gpt-4o-mini, claude or an unpriced model), team-gpu's 15 s samples (every 30 s) and
     * self-hosted calls, team-hand's hand-checked minute, then a tick at 10:30 on every partition that moves both
     * engines' time past the windows up to 10:25.
     */
    private static void events(KafkaProducer<String, SpecificRecord> producer, Topics topics) {
        Random random = new Random(7);
        String usage = topics.tokenUsage().name();
        int id = 0;
        for (int s = 0; s < 20 * 60; s += 2) {
            Instant at = T0.plusSeconds(s);
            for (String team : TEAMS.subList(0, 3)) {
                String model = switch (random.nextInt(10)) {
                    case 0 -> "openai/no-price-yet";
                    case 1, 2, 3 -> "anthropic/claude-sonnet-4-5";
                    default -> "openai/gpt-4o-mini";
                };
                long input = 1 + random.nextInt(5000);
                long cached = random.nextInt((int) input / 2 + 1);
                long cacheWrite = model.startsWith("anthropic") ? random.nextInt((int) (input - cached) + 1) : 0;
                TokenUsage u = call("c-" + id++, at.plusMillis(random.nextInt(1000)), team, model, input, cached, cacheWrite,
                        1 + random.nextInt(2000));
                producer.send(new ProducerRecord<>(usage, team, u));
                if (id % 97 == 0) {
                    producer.send(new ProducerRecord<>(usage, team, u)); // a client retry
                }
            }
            if (s % 15 == 0) {
                int i = s / 15;
                GpuUtilization sample = GpuUtilization.newBuilder().setTimestamp(T0.plusSeconds(s)).setNode("node-1")
                        .setGpuId("0").setGpuModel("H100-80GB").setTeam("team-gpu").setDeployment("llama")
                        .setModel("llama-3.1-8b").setUtilization((i % 10) / 10.0).setIntervalSeconds(15).build();
                producer.send(new ProducerRecord<>(topics.gpuUtilization().name(), "team-gpu", sample));
                producer.send(new ProducerRecord<>(usage, "team-gpu", call("g-" + i, T0.plusSeconds(s), "team-gpu",
                        Providers.SELF_HOSTED + "/llama-3.1-8b", 200 + i, 0, 0, 50 + i)));
            }
            if (s == 11 * 60 + 10) {
                producer.send(new ProducerRecord<>(usage, "team-hand",
                        call("hand-1", at, "team-hand", "openai/gpt-4o-mini", 1000, 200, 0, 500)));
                producer.send(new ProducerRecord<>(usage, "team-hand",
                        call("hand-2", at.plusSeconds(20), "team-hand", "openai/gpt-4o-mini", 3000, 0, 0, 1000)));
                producer.send(new ProducerRecord<>(usage, "team-hand",
                        call("hand-1", at, "team-hand", "openai/gpt-4o-mini", 1000, 200, 0, 500)));
                producer.send(new ProducerRecord<>(usage, "team-hand",
                        call("hand-2", at.plusSeconds(30), "team-hand", "openai/gpt-4o-mini", 7000, 0, 0, 7000)));
            }
            if (s == 13 * 60 + 40) {
                // stream time is at 10:13:40 on every partition: this one is over 2 minutes late, inside the grace
                producer.send(new ProducerRecord<>(usage, "team-hand",
                        call("hand-late", T0.plus(Duration.ofSeconds(11 * 60 + 30)), "team-hand", "openai/gpt-4o-mini", 100, 0, 0, 100)));
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            producer.send(new ProducerRecord<>(usage, p, "tick", call("tick-" + p, T0.plus(Duration.ofMinutes(30)), "tick",
                    "openai/gpt-4o-mini", 1, 0, 0, 1)));
            producer.send(new ProducerRecord<>(topics.gpuUtilization().name(), p, "tick", GpuUtilization.newBuilder()
                    .setTimestamp(T0.plus(Duration.ofMinutes(30))).setNode("node-t").setGpuId("0").setGpuModel("H100-80GB")
                    .setTeam("tick").setDeployment("tick").setModel("llama-3.1-8b").setUtilization(0.5).setIntervalSeconds(15).build()));
        }
        producer.flush();
    }

    private static TokenUsage call(String id, Instant at, String team, String model, long input, long cached, long cacheWrite,
                                   long output) {
        return TokenUsage.newBuilder().setEventId(id).setTimestamp(at).setTeam(team).setApplication("app")
                .setProvider(model.substring(0, model.indexOf('/'))).setModel(model.substring(model.indexOf('/') + 1))
                .setDeployment(model.startsWith(Providers.SELF_HOSTED) ? "llama" : null)
                .setInputTokens(input).setCachedInputTokens(cached).setCacheWriteInputTokens(cacheWrite).setOutputTokens(output)
                .build();
    }

    /** gpt-4o-mini's price doubles at 10:10 (a second catalog version); claude with cache writes; the H100 at $2.40/h. */
    private static void prices(KafkaProducer<String, SpecificRecord> producer, Topics topics) {
        Instant from = Instant.parse("2025-01-01T00:00:00Z");
        List<PriceEntry> entries = new ArrayList<>();
        entries.add(new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                .setInputUsdPerMtok(usd("0.15")).setCachedInputUsdPerMtok(usd("0.075")).setOutputUsdPerMtok(usd("0.60"))
                .setEffectiveFrom(from).build()));
        entries.add(new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                .setInputUsdPerMtok(usd("0.30")).setCachedInputUsdPerMtok(usd("0.15")).setOutputUsdPerMtok(usd("1.20"))
                .setEffectiveFrom(T0.plus(Duration.ofMinutes(10))).build()));
        entries.add(new PriceEntry(ApiModelPrice.newBuilder().setProvider("anthropic").setModel("claude-sonnet-4-5")
                .setInputUsdPerMtok(usd("3.00")).setCachedInputUsdPerMtok(usd("0.30")).setCacheWriteUsdPerMtok(usd("3.75"))
                .setOutputUsdPerMtok(usd("15.00")).setEffectiveFrom(from).build()));
        entries.add(new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd("2.40"))
                .setEffectiveFrom(from).build()));
        for (PriceEntry e : entries) {
            producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(e), e));
        }
        producer.flush();
    }

    /** The topic's team windows by team@window_start, once every expected window is there; each must be there once. */
    private Map<String, TeamCostWindow> read(String topic) {
        Map<String, TeamCostWindow> windows = new TreeMap<>();
        List<String> twice = new ArrayList<>();
        try (KafkaConsumer<String, TeamCostWindow> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, TeamCostWindow.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(200)).until(() -> {
                for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(500))) {
                    String key = r.key() + "@" + r.value().getWindowStart();
                    if (windows.put(key, r.value()) != null) {
                        twice.add(key);
                    }
                }
                // team-a..c and team-gpu: minutes 0..19; team-hand: minute 11
                return windows.keySet().containsAll(expected());
            });
            // a little longer: a window written twice would show now
            for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofSeconds(2))) {
                String key = r.key() + "@" + r.value().getWindowStart();
                if (windows.put(key, r.value()) != null) {
                    twice.add(key);
                }
            }
        }
        assertThat(twice).as("windows written twice to " + topic).isEmpty();
        return windows;
    }

    private static TreeSet<String> expected() {
        TreeSet<String> keys = new TreeSet<>();
        for (String team : TEAMS) {
            for (int m = 0; m < 20; m++) {
                keys.add(team + "@" + T0.plus(Duration.ofMinutes(m)));
            }
        }
        keys.add("team-hand@" + T0.plus(Duration.ofMinutes(11)));
        return keys;
    }

    /**
     * The peer in its own JVM, as `bench` runs it: this JVM's class path with the connector's own
     * kafka-clients in place of ours (the embedded broker here needs ours; the connector's
     * exactly-once producer needs its own), a MiniCluster of parallelism {@link #PARTITIONS}.
     */
    private Process startPeer(String prefix, Path log) throws java.io.IOException {
        String peerClients = System.getProperty("flink.peer.kafka.clients");
        assertThat(peerClients).as("-Dflink.peer.kafka.clients (set by the module's pom)").isNotNull();
        List<String> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            classPath.add(entry.matches(".*[/\\\\]kafka-clients-[^/\\\\]*\\.jar") ? peerClients : entry);
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(javaBin, "-Xmx512m", "-cp", String.join(java.io.File.pathSeparator, classPath),
                PeerMain.class.getName(), "--bootstrap-servers", cluster.bootstrapServers(),
                "--schema-registry", cluster.schemaRegistryUrl(), "--prefix", prefix, "--parallelism", String.valueOf(PARTITIONS),
                "--events", "0", "--timeout-s", "600")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                ProducerConfig.LINGER_MS_CONFIG, "20",
                "schema.registry.url", cluster.schemaRegistryUrl()));
    }
}
