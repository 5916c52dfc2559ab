package io.spendmonitor.streams;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
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
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 100,000 calls through the running application on the real broker and registry, stopped half-way
 * and continued by a new instance on the same state: every team's totals are exact to the
 * nano-dollar against sums worked out here, independently of the cost model's code.
 */
@ExtendWith(KafkaClusterExtension.class)
class SpendApplicationIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int EVENTS = 100_000;
    private static final int TEAMS = 20;

    /** provider/model -> {in, cached, cacheWrite, out} USD per 1M tokens. */
    private static final Map<String, String[]> PRICES = Map.of(
            "openai/gpt-4o-mini", new String[]{"0.15", "0.075", "0.15", "0.60"},
            "openai/gpt-4o", new String[]{"2.50", "1.25", "2.50", "10.00"},
            "anthropic/claude-sonnet-4-5", new String[]{"3.00", "0.30", "3.75", "15.00"});
    private static final List<String> MODELS = List.of("openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-sonnet-4-5");

    private final KafkaCluster cluster;

    SpendApplicationIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void teamTotalsAreExactAcrossARestart(@TempDir Path stateDir) {
        String prefix = "it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        SpendConfig config = SpendConfig.of(TestApps.config(cluster, prefix, "spend-monitor", stateDir, 3));

        List<TokenUsage> calls = calls(new Random(42));
        Map<String, BigDecimal> expectedApi = new TreeMap<>();
        Map<String, Long> expectedOutputTokens = new TreeMap<>();
        for (TokenUsage u : calls) {
            expectedApi.merge(u.getTeam(), cost(u), BigDecimal::add);
            expectedOutputTokens.merge(u.getTeam(), u.getOutputTokens(), Long::sum);
        }
        // GPU: 240 samples of 15 s on an H100 at $2.40/h: each 15 / 3600 * 2.40 = $0.01
        BigDecimal expectedGpu = new BigDecimal("2.40");

        GpuSamples samples = new GpuSamples();
        try (KafkaProducer<String, SpecificRecord> producer = producer();
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            SpendApplication first = new SpendApplication(config, SpendListener.NONE);
            Topics topics = first.topics();
            first.start();
            prices(producer, topics);
            // calls priced before their prices arrive are counted unpriced: wait for the catalog (3 models, 1 GPU)
            await().atMost(Duration.ofSeconds(60)).until(() -> first.catalog().size() >= PRICES.size() + 1);

            int half = calls.size() / 2;
            send(producer, topics, calls.subList(0, half), 0, samples);
            await().atMost(Duration.ofSeconds(120)).until(() -> maxWindowEnd(topics).isAfter(T0.plus(Duration.ofMinutes(15))));
            first.close();

            SpendApplication second = new SpendApplication(config, SpendListener.NONE);
            second.start();
            // the first calls after the restart repeat ids the first instance saw: counted once
            send(producer, topics, calls.subList(half - 200, calls.size()), 200, samples);
            samples.sendUpTo(T0.plus(Duration.ofHours(1)), producer, topics); // the samples after the last call
            for (int i = 0; i < 10; i++) {
                raw.send(new ProducerRecord<>(topics.tokenUsage().name(), "team-0", ("garbage " + i).getBytes(StandardCharsets.UTF_8)));
            }
            // a call the rules refuse, under a key that is not UTF-8: its dead letter keeps the key's bytes
            try (KafkaProducer<byte[], byte[]> bytes = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                TokenUsage refused = TokenUsage.newBuilder().setEventId("refused-1").setTimestamp(T0.plus(Duration.ofMinutes(55)))
                        .setTeam("team-0").setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                        .setInputTokens(-1).setOutputTokens(0).build();
                bytes.send(new ProducerRecord<>(topics.tokenUsage().name(), NOT_UTF8_KEY,
                        topics.tokenUsage().valueSerde().serializer().serialize(topics.tokenUsage().name(), refused)));
            }
            // one call per team an hour later moves every partition's stream time past the last window
            for (int t = 0; t <= TEAMS; t++) {
                String team = t == TEAMS ? "team-gpu" : "team-" + t;
                producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                        .setEventId("tick-" + team).setTimestamp(T0.plus(Duration.ofMinutes(70))).setTeam(team)
                        .setApplication("tick").setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0)
                        .setOutputTokens(0).build()));
            }
            producer.flush();
            raw.flush();

            try (KafkaConsumer<String, TeamCostWindow> consumer = costsConsumer(topics)) {
                Map<String, BigDecimal> api = new TreeMap<>();
                Map<String, BigDecimal> gpu = new TreeMap<>();
                Map<String, Long> output = new TreeMap<>();
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(500))) {
                        api.merge(r.key(), r.value().getApiCostUsd(), BigDecimal::add);
                        gpu.merge(r.key(), r.value().getGpuCostUsd(), BigDecimal::add);
                        output.merge(r.key(), r.value().getOutputTokens(), Long::sum);
                    }
                    assertThat(withoutZeros(api)).isEqualTo(withoutZeros(expectedApi));
                    assertThat(gpu.get("team-gpu")).isEqualByComparingTo(expectedGpu);
                });
                assertThat(output).containsAllEntriesOf(expectedOutputTokens);
            }
            assertThat(deadLetterReasons(topics)).containsEntry("undecodable", 10L).containsEntry("negative-tokens", 1L);
            assertThat(refusedKey).containsExactly(NOT_UTF8_KEY);
            assertThat(second.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            second.close();
        }
    }

    /** (uncached input * p_in + cached * p_cached + cache writes * p_cache_write + output * p_out) / 1e6. */
    private static BigDecimal cost(TokenUsage u) {
        String[] p = PRICES.get(u.getProvider() + "/" + u.getModel());
        long uncached = u.getInputTokens() - u.getCachedInputTokens() - u.getCacheWriteInputTokens();
        return new BigDecimal(uncached).multiply(new BigDecimal(p[0]))
                .add(new BigDecimal(u.getCachedInputTokens()).multiply(new BigDecimal(p[1])))
                .add(new BigDecimal(u.getCacheWriteInputTokens()).multiply(new BigDecimal(p[2])))
                .add(new BigDecimal(u.getOutputTokens()).multiply(new BigDecimal(p[3])))
                .movePointLeft(6);
    }

    private static Map<String, BigDecimal> withoutZeros(Map<String, BigDecimal> sums) {
        Map<String, BigDecimal> result = new TreeMap<>();
        sums.forEach((k, v) -> {
            if (v.signum() != 0) {
                result.put(k, v.stripTrailingZeros());
            }
        });
        return result;
    }

    private static List<TokenUsage> calls(Random random) {
        List<TokenUsage> calls = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
            String model = MODELS.get(random.nextInt(MODELS.size()));
            long input = 1 + random.nextInt(5000);
            long cached = random.nextInt((int) input / 2 + 1);
            long cacheWrite = model.startsWith("anthropic") ? random.nextInt((int) (input - cached) + 1) : 0;
            calls.add(TokenUsage.newBuilder()
                    .setEventId("call-" + i)
                    .setTimestamp(T0.plusMillis(30L * i)) // 100,000 calls over 50 minutes
                    .setTeam("team-" + random.nextInt(TEAMS))
                    .setApplication("app")
                    .setProvider(model.substring(0, model.indexOf('/')))
                    .setModel(model.substring(model.indexOf('/') + 1))
                    .setInputTokens(input).setCachedInputTokens(cached).setCacheWriteInputTokens(cacheWrite)
                    .setOutputTokens(1 + random.nextInt(2000))
                    .build());
        }
        return calls;
    }

    /** Sends the calls; every 100th is sent twice (a client retry), and the first {@code repeats} repeat earlier ids. */
    private static void send(KafkaProducer<String, SpecificRecord> producer, Topics topics, List<TokenUsage> calls, int repeats,
                             GpuSamples gpu) {
        String topic = topics.tokenUsage().name();
        for (int i = 0; i < calls.size(); i++) {
            TokenUsage u = calls.get(i);
            // GPU samples go in event-time order with the calls: a sample older than its partition's
            // stream time minus the grace would be late
            gpu.sendUpTo(u.getTimestamp(), producer, topics);
            producer.send(new ProducerRecord<>(topic, u.getTeam(), u));
            if (i >= repeats && i % 100 == 0) {
                producer.send(new ProducerRecord<>(topic, u.getTeam(), u));
            }
        }
        producer.flush();
    }

    /** team-gpu's H100: a 15 s sample every 15 s for an hour, each sent once. */
    private static final class GpuSamples {
        private int next;

        void sendUpTo(Instant time, KafkaProducer<String, SpecificRecord> producer, Topics topics) {
            while (next < 240 && !T0.plusSeconds(15L * (next + 1)).isAfter(time)) {
                GpuUtilization sample = GpuUtilization.newBuilder().setTimestamp(T0.plusSeconds(15L * (next + 1)))
                        .setNode("node-1").setGpuId("0").setGpuModel("H100-80GB").setTeam("team-gpu")
                        .setDeployment("llama").setModel("llama-3.1-8b").setUtilization((next % 10) / 10.0)
                        .setIntervalSeconds(15).build();
                producer.send(new ProducerRecord<>(topics.gpuUtilization().name(), "team-gpu", sample));
                next++;
            }
        }
    }

    private static void prices(KafkaProducer<String, SpecificRecord> producer, Topics topics) {
        for (Map.Entry<String, String[]> e : PRICES.entrySet()) {
            String[] model = e.getKey().split("/");
            String[] p = e.getValue();
            PriceEntry entry = new PriceEntry(ApiModelPrice.newBuilder().setProvider(model[0]).setModel(model[1])
                    .setInputUsdPerMtok(usd(p[0])).setCachedInputUsdPerMtok(usd(p[1])).setCacheWriteUsdPerMtok(usd(p[2]))
                    .setOutputUsdPerMtok(usd(p[3])).setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
            producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(entry), entry));
        }
        PriceEntry gpu = new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd("2.40"))
                .setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
        producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(gpu), gpu));
        producer.flush();
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
                ProducerConfig.BATCH_SIZE_CONFIG, "262144",
                "schema.registry.url", cluster.schemaRegistryUrl()));
    }

    private KafkaConsumer<String, TeamCostWindow> costsConsumer(Topics topics) {
        KafkaConsumer<String, TeamCostWindow> consumer = TestApps.costsConsumer(cluster);
        consumer.subscribe(List.of(topics.teamCosts().name()));
        return consumer;
    }

    private Instant maxWindowEnd(Topics topics) {
        Instant max = Instant.EPOCH;
        try (KafkaConsumer<String, TeamCostWindow> consumer = costsConsumer(topics)) {
            for (int i = 0; i < 3; i++) {
                for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(300))) {
                    if (r.value().getWindowEnd().isAfter(max)) {
                        max = r.value().getWindowEnd();
                    }
                }
            }
        }
        return max;
    }

    /** 't', then 0xC3 that 0x28 does not continue: decoded as a String and encoded again it would be 't', U+FFFD, '('. */
    private static final byte[] NOT_UTF8_KEY = {'t', (byte) 0xC3, 0x28};
    private byte[] refusedKey;

    private Map<String, Long> deadLetterReasons(Topics topics) {
        Map<String, Long> reasons = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.deadLetter().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    Header h = r.headers().lastHeader(Topics.DEAD_LETTER_REASON_HEADER);
                    String reason = h == null ? "(none)" : new String(h.value(), StandardCharsets.UTF_8);
                    reasons.merge(reason, 1L, Long::sum);
                    if (reason.equals("negative-tokens")) {
                        refusedKey = r.key();
                    }
                }
                return reasons.getOrDefault("undecodable", 0L) >= 10 && reasons.containsKey("negative-tokens");
            });
        }
        return reasons;
    }
}
