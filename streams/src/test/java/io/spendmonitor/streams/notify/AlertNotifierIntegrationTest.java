package io.spendmonitor.streams.notify;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The notifier on the real broker and registry, across restarts of its group: transitions written
 * transactionally (as the topology writes them) reach Slack and the webhook once each; a new
 * notifier in the same group delivers only what is new; one closed while the webhook is down
 * leaves the transition uncommitted, and the next notifier delivers it to the webhook only, since
 * Slack already has it.
 */
@ExtendWith(KafkaClusterExtension.class)
class AlertNotifierIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern SLACK_ALERT_ID = Pattern.compile("alert `([^`]*)`");

    private final KafkaCluster cluster;
    private final RecordingHttpServer server = RecordingHttpServer.start();

    AlertNotifierIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void deliversEachTransitionOnceAcrossRestarts() throws Exception {
        String prefix = "notify-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put(Topics.PREFIX_CONFIG, prefix);
        config.put("application.id", prefix + "spend-monitor");
        config.put(NotifierConfig.WEBHOOK_URL, server.uri("/hook").toString());
        config.put(NotifierConfig.WEBHOOK_SECRET, "integration-secret");
        config.put(NotifierConfig.SLACK_URL, server.uri("/slack").toString());
        config.put(NotifierConfig.RETRY_INITIAL_BACKOFF, "50");
        config.put(NotifierConfig.RETRY_MAX_BACKOFF, "200");
        config.put(NotifierConfig.RETRY_MAX_ATTEMPTS, "1000");
        config.put(NotifierConfig.CLOSE_TIMEOUT, "PT1S");
        // the test writes before the group first reads
        config.put(NotifierConfig.CONSUMER_PREFIX + "auto.offset.reset", "earliest");
        String group = NotifierConfig.fromConfig(config).groupId();

        try (SchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            TopicSpec<String, SpendAlert> alerts = Topics.fromConfig(config, registry).alerts();
            cluster.createTopics(2, alerts.configs(), alerts.name());
            Instant t0 = Instant.parse("2026-03-02T10:15:00Z");
            List<SpendAlert> firstThree = List.of(SampleAlerts.cheaper("search", "FIRING", t0),
                    SampleAlerts.idle("ml", "vllm-llama"), SampleAlerts.cheaper("search", "RESOLVED", t0.plusSeconds(600)));
            SpendAlert fourth = SampleAlerts.budget("ads", "80%");
            SpendAlert fifth = SampleAlerts.budget("ads", "100%");

            try (KafkaProducer<String, SpendAlert> producer = producer(alerts, prefix)) {
                send(producer, alerts, firstThree);

                try (AlertNotifier first = AlertNotifier.create(config, new SimpleMeterRegistry())) {
                    first.start();
                    await().atMost(WAIT).until(() -> server.accepted("/hook").size() == 3 && server.accepted("/slack").size() == 3);
                    await().atMost(WAIT).until(() -> caughtUp(admin, group, alerts.name()));
                }
                assertThat(deliveredIds()).containsExactlyInAnyOrderElementsOf(ids(firstThree));
                assertThat(slackIds()).containsExactlyInAnyOrderElementsOf(ids(firstThree));
                // one team's FIRING reached the webhook before its RESOLVED
                assertThat(deliveredIds().stream().filter(id -> id.startsWith("search|")).toList())
                        .containsExactly(firstThree.get(0).getAlertId(), firstThree.get(2).getAlertId());

                try (AlertNotifier second = AlertNotifier.create(config, new SimpleMeterRegistry())) {
                    second.start();
                    send(producer, alerts, List.of(fourth));
                    await().atMost(WAIT).until(() -> server.accepted("/hook").size() >= 4 && server.accepted("/slack").size() >= 4);
                    await().atMost(WAIT).until(() -> caughtUp(admin, group, alerts.name()));
                }
                assertThat(deliveredIds()).hasSize(4).last().isEqualTo(fourth.getAlertId());
                assertThat(slackIds()).hasSize(4).last().isEqualTo(fourth.getAlertId());

                // the webhook is down when the next transition comes (Slack is not), and the notifier stops meanwhile
                server.answer("/hook", 503);
                SimpleMeterRegistry thirdMeters = new SimpleMeterRegistry();
                try (AlertNotifier third = AlertNotifier.create(config, thirdMeters)) {
                    third.start();
                    send(producer, alerts, List.of(fifth));
                    await().atMost(WAIT).until(() -> server.accepted("/slack").size() == 5
                            && count(thirdMeters, "webhook", "retried") > 0);
                    assertThat(third.pending()).isEqualTo(1);
                }
                server.answer("/hook", 200);
                SimpleMeterRegistry fourthMeters = new SimpleMeterRegistry();
                try (AlertNotifier fourthNotifier = AlertNotifier.create(config, fourthMeters)) {
                    fourthNotifier.start();
                    await().atMost(WAIT).until(() -> server.accepted("/hook").size() >= 5);
                    await().atMost(WAIT).until(() -> caughtUp(admin, group, alerts.name()));
                }
                assertThat(deliveredIds()).hasSize(5).last().isEqualTo(fifth.getAlertId());
                // Slack had it before the restart: the commit said so, and it was not sent again
                assertThat(slackIds()).hasSize(5).last().isEqualTo(fifth.getAlertId());
                assertThat(count(fourthMeters, "slack", "duplicate")).isEqualTo(1);
                assertThat(count(fourthMeters, "slack", "sent")).isZero();
            }
        }
    }

    private List<String> deliveredIds() {
        return server.accepted("/hook").stream().map(r -> r.header("Idempotency-Key")).toList();
    }

    /** The alert ids of the accepted Slack messages (each names its alert in the context line). */
    private List<String> slackIds() {
        return server.accepted("/slack").stream().map(r -> {
            Matcher id = SLACK_ALERT_ID.matcher(r.json().at("/blocks/3/elements/0/text").asText());
            assertThat(id.find()).isTrue();
            return id.group(1);
        }).toList();
    }

    private static double count(SimpleMeterRegistry meters, String channel, String result) {
        return meters.get(NotifierMetrics.NOTIFICATIONS).tag("channel", channel).tag("result", result).counter().count();
    }

    private static List<String> ids(List<SpendAlert> alerts) {
        return alerts.stream().map(SpendAlert::getAlertId).toList();
    }

    /** The group's committed offsets have reached the end of every partition: it has read and finished everything. */
    private static boolean caughtUp(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                        .collect(Collectors.toMap(Function.identity(), p -> OffsetSpec.latest())))
                .all().get(10, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        return partitions.stream().allMatch(p -> committed.get(p) != null && committed.get(p).offset() == ends.get(p));
    }

    /** Transactional, as the topology's exactly-once output is (so the topic holds commit markers too). */
    private KafkaProducer<String, SpendAlert> producer(TopicSpec<String, SpendAlert> alerts, String prefix) {
        KafkaProducer<String, SpendAlert> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "alerts-writer"),
                alerts.keySerde().serializer(), alerts.valueSerde().serializer());
        producer.initTransactions();
        return producer;
    }

    private static void send(KafkaProducer<String, SpendAlert> producer, TopicSpec<String, SpendAlert> alerts, List<SpendAlert> batch) {
        producer.beginTransaction();
        for (SpendAlert alert : batch) {
            producer.send(new ProducerRecord<>(alerts.name(), alert.getTeam(), alert));
        }
        producer.commitTransaction();
    }
}
