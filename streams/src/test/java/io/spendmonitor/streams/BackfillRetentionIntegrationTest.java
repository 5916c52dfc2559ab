package io.spendmonitor.streams;

import io.spendmonitor.avro.ApiModelPrice;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backfill: a month-old day of calls sent through {@code run} today. Kafka deletes a topic's
 * records by their timestamps ({@code retention.ms}), and the windows, alerts and changelog records
 * of a backfill carry event time. The results must still be there when a consumer reads them, and a
 * restore from the changelogs (a new instance without local state) must still hold the open windows.
 *
 * <p>The embedded broker enforces retention every second ({@code log.retention.check.interval.ms});
 * the test waits until the broker has deleted an old record of a control topic twice, so a
 * retention pass over every log has happened, before it reads.
 */
@ExtendWith(KafkaClusterExtension.class)
class BackfillRetentionIntegrationTest {
    private static final int TEAMS = 6;
    /** Calls per team per minute, over {@link #MINUTES} minutes. */
    private static final int PER_MINUTE = 10;
    private static final int MINUTES = 10;

    private final KafkaCluster cluster;

    BackfillRetentionIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aBackfillsWindowsAndChangelogsOutliveTheBrokersRetention(@TempDir Path first, @TempDir Path second) throws Exception {
        // a month before today, on a minute: far past every retention the topics keep (at most 30 days
        // for alerts), well after spend.timestamp.min
        Instant t0 = Instant.now().minus(Duration.ofDays(40)).truncatedTo(ChronoUnit.HOURS);
        String prefix = "bf-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> overrides = TestApps.config(cluster, prefix, "spend-monitor", first, 3);

        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            SpendApplication app = new SpendApplication(SpendConfig.of(overrides), SpendListener.NONE);
            Topics topics = app.topics();
            app.start();
            price(producer, topics);
            // the first 5.5 minutes: with the default grace (5 minutes) no window is final yet, so all
            // the app holds of them is in its stores and their changelogs
            int firstHalf = MINUTES * PER_MINUTE * TEAMS * 55 / 100;
            send(producer, topics, t0, 0, firstHalf);
            awaitConsumed(app, topics);
            app.close();

            awaitRetentionPass(prefix + "control");

            // a new instance without the first one's disk: it restores the open windows from the changelogs
            overrides.put("state.dir", second.toString());
            SpendApplication again = new SpendApplication(SpendConfig.of(overrides), SpendListener.NONE);
            again.start();
            send(producer, topics, t0, firstHalf, MINUTES * PER_MINUTE * TEAMS);
            // one call per team 20 minutes on (0 tokens: $0) makes every window of the backfill final
            for (int t = 0; t < TEAMS; t++) {
                producer.send(new ProducerRecord<>(topics.tokenUsage().name(), "team-" + t, call("tick-" + t, "team-" + t,
                        t0.plus(Duration.ofMinutes(MINUTES + 20)), 0)));
            }
            producer.flush();
            awaitConsumed(again, topics);
            again.close();

            awaitRetentionPass(prefix + "control2");

            Map<String, BigDecimal> api = new TreeMap<>();
            Map<String, Integer> windows = new TreeMap<>();
            readWindows(topics).forEach(w -> {
                api.merge(w.getTeam(), w.getApiCostUsd(), BigDecimal::add);
                windows.merge(w.getTeam(), 1, Integer::sum);
            });
            // each call: 1,000 input tokens at $0.15/M + 1,000 output at $0.60/M = $0.00075;
            // a team: 10 minutes * 10 calls = 100 calls = $0.075, in 10 one-minute windows
            Map<String, BigDecimal> want = new TreeMap<>();
            Map<String, Integer> wantWindows = new TreeMap<>();
            for (int t = 0; t < TEAMS; t++) {
                want.put("team-" + t, new BigDecimal("0.075"));
                wantWindows.put("team-" + t, MINUTES);
            }
            assertThat(windows).as("windows on spend.team-costs after the broker's retention ran").isEqualTo(wantWindows);
            Map<String, String> total = new TreeMap<>();
            api.forEach((team, usd) -> total.put(team, usd.stripTrailingZeros().toPlainString()));
            Map<String, String> wantTotal = new TreeMap<>();
            want.forEach((team, usd) -> wantTotal.put(team, usd.toPlainString()));
            assertThat(total).isEqualTo(wantTotal);
        }
    }

    @Test
    void runSwitchesResultsTopicsAnOlderVersionMadeToTheBrokersClock(@TempDir Path state) throws Exception {
        String prefix = "bf-old-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> overrides = TestApps.config(cluster, prefix, "spend-monitor", state, 1);
        // what an older version made: spend.team-costs and the window store's changelog keeping CreateTime
        String costs = prefix + "spend.team-costs";
        String changelog = prefix + "spend-monitor-" + io.spendmonitor.streams.topology.SpendTopology.WINDOW_STORE + "-changelog";
        cluster.createTopics(1, Map.of("retention.ms", String.valueOf(TimeUnit.DAYS.toMillis(7))), costs);
        cluster.createTopics(1, Map.of("cleanup.policy", "compact,delete"), changelog);
        assertThat(timestampType(costs)).isEqualTo("CreateTime");

        try (SpendApplication app = new SpendApplication(SpendConfig.of(overrides), SpendListener.NONE)) {
            app.start();
            assertThat(timestampType(costs)).isEqualTo("LogAppendTime");
            assertThat(timestampType(changelog)).isEqualTo("LogAppendTime");
            // the topics it created itself are stamped by the broker from the start
            assertThat(timestampType(prefix + "spend.alerts")).isEqualTo("LogAppendTime");
            assertThat(timestampType(prefix + "llm.token-usage")).as("input keeps its produce time").isEqualTo("CreateTime");
        }
    }

    private String timestampType(String topic) throws Exception {
        try (Admin admin = admin()) {
            var resource = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                    .get(Topics.TIMESTAMP_TYPE).value();
        }
    }

    /** Calls {@code from} until {@code to} of the backfill: call i is team i % TEAMS, in minute i / (TEAMS * PER_MINUTE). */
    private static void send(KafkaProducer<String, SpecificRecord> producer, Topics topics, Instant t0, int from, int to) {
        long spacingMs = 60_000L / (TEAMS * PER_MINUTE);
        for (int i = from; i < to; i++) {
            String team = "team-" + (i % TEAMS);
            producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, call("call-" + i, team, t0.plusMillis(i * spacingMs), 1000)));
        }
        producer.flush();
    }

    private static TokenUsage call(String id, String team, Instant at, long tokens) {
        return TokenUsage.newBuilder().setEventId(id).setTimestamp(at).setTeam(team).setApplication("backfill")
                .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(tokens).setOutputTokens(tokens).build();
    }

    private static void price(KafkaProducer<String, SpecificRecord> producer, Topics topics) {
        PriceEntry entry = new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                .setInputUsdPerMtok(new BigDecimal("0.150000000")).setCachedInputUsdPerMtok(new BigDecimal("0.075000000"))
                .setCacheWriteUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                .setEffectiveFrom(Instant.parse("2020-01-01T00:00:00Z")).build());
        producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(entry), entry));
        producer.flush();
    }

    /** Until the app has committed every input record it was sent. */
    private void awaitConsumed(SpendApplication app, Topics topics) {
        String group = app.config().asMap().get("application.id").toString();
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                List<TopicPartition> partitions = admin.describeTopics(List.of(topics.tokenUsage().name())).allTopicNames().get()
                        .get(topics.tokenUsage().name()).partitions().stream()
                        .map(p -> new TopicPartition(topics.tokenUsage().name(), p.partition())).toList();
                Map<TopicPartition, Long> end = new HashMap<>();
                for (var e : admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                        .all().get().entrySet()) {
                    end.put(e.getKey(), e.getValue().offset());
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                return partitions.stream().allMatch(p -> end.get(p) == 0
                        || committed.get(p) != null && committed.get(p).offset() >= end.get(p));
            });
        }
    }

    /**
     * Waits until the broker's retention has deleted an old record of a fresh control topic, twice:
     * the second deletion comes from a pass that started after the first, so every log was looked at
     * in between.
     */
    private void awaitRetentionPass(String controlTopic) throws Exception {
        cluster.createTopics(1, Map.of("retention.ms", String.valueOf(TimeUnit.DAYS.toMillis(1))), controlTopic);
        TopicPartition tp = new TopicPartition(controlTopic, 0);
        try (Admin admin = admin();
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     cluster.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (int pass = 1; pass <= 2; pass++) {
                long old = Instant.now().minus(Duration.ofDays(10)).toEpochMilli();
                raw.send(new ProducerRecord<>(controlTopic, 0, old, "old", new byte[1])).get();
                raw.send(new ProducerRecord<>(controlTopic, 0, old, "old", new byte[1])).get(); // a second, so the log rolls
                long mustPass = pass;
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                        admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset() >= 2 * mustPass);
            }
        }
    }

    private List<TeamCostWindow> readWindows(Topics topics) {
        List<TeamCostWindow> windows = new java.util.ArrayList<>();
        try (KafkaConsumer<String, TeamCostWindow> consumer = TestApps.costsConsumer(cluster)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.teamCosts().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(200))) {
                    windows.add(r.value());
                }
            }
        }
        return windows;
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()));
    }
}
