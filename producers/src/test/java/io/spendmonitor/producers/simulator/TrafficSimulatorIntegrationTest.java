package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The crossover scenario into a real broker and registry: 30 simulated minutes in about 3 real seconds. */
@ExtendWith(KafkaClusterExtension.class)
class TrafficSimulatorIntegrationTest {

    @Test
    void crossoverAtSixHundredTimesRealTimeReachesBothInputTopics(KafkaCluster cluster) throws InterruptedException {
        String prefix = "simulator-it.";
        Map<String, Object> config = Map.of("bootstrap.servers", cluster.bootstrapServers(),
                "schema.registry.url", cluster.schemaRegistryUrl(), Topics.PREFIX_CONFIG, prefix);
        Topics topics;
        try (RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())) {
            topics = Topics.fromConfig(config, registry);
        }
        cluster.createTopics(List.of(
                new NewTopic(topics.tokenUsage().name(), 3, (short) 1).configs(topics.tokenUsage().configs()),
                new NewTopic(topics.gpuUtilization().name(), 3, (short) 1).configs(topics.gpuUtilization().configs()),
                new NewTopic(topics.priceCatalog().name(), 1, (short) 1).configs(topics.priceCatalog().configs()),
                new NewTopic(topics.teamBudgets().name(), 1, (short) 1).configs(topics.teamBudgets().configs())));

        Instant start = ScenarioSettings.defaultStart(Clock.systemUTC());
        ScenarioSettings settings = ScenarioSettings.of(CrossoverScenario.NAME).withStart(start)
                .withDuration(Duration.ofMinutes(30)).withSpeed(600).withLoadPrices(true);
        List<String> notes = Collections.synchronizedList(new ArrayList<>());
        TrafficSimulator.Listener listener = new TrafficSimulator.Listener() {
            @Override
            public void progress(TrafficSimulator.Progress progress) {
                notes.add(progress.describe());
            }

            @Override
            public void note(String message) {
                notes.add(message);
            }
        };
        TrafficSimulator.Progress progress;
        try (TrafficSimulator.Running run = TrafficSimulator.start(config, settings, listener)) {
            assertThat(run.awaitTermination(Duration.ofSeconds(60))).isTrue();
            assertThat(run.failure()).isEmpty();
            assertThat(run.completed()).isTrue();
            progress = run.progress();
        }
        assertThat(progress.acknowledged()).isEqualTo(progress.sent());
        assertThat(progress.gpuSamplesSent()).isEqualTo(30 * 8); // 2 GPUs, every 15 s, 30 minutes
        assertThat(notes).anyMatch(n -> n.startsWith("loaded the default price catalog"))
                .anyMatch(n -> n.startsWith("published the budget of support (daily $40, monthly -)"))
                .anyMatch(n -> n.startsWith("finished: sent " + progress.sent() + " events"));

        Instant end = start.plus(Duration.ofMinutes(30));
        List<ConsumerRecord<String, TokenUsage>> calls = read(cluster, topics.tokenUsage().name(), TokenUsage.class,
                progress.tokenUsageSent());
        assertThat(calls).hasSize((int) progress.tokenUsageSent());
        Set<String> ids = new HashSet<>();
        Set<String> teams = new HashSet<>();
        for (ConsumerRecord<String, TokenUsage> r : calls) {
            TokenUsage u = r.value();
            assertThat(r.key()).isEqualTo(u.getTeam());
            assertThat(ids.add(u.getEventId())).isTrue();
            assertThat(u.getTimestamp()).isAfterOrEqualTo(start).isBefore(end);
            assertThat(u.getInputTokens()).isGreaterThanOrEqualTo(u.getCachedInputTokens() + u.getCacheWriteInputTokens());
            assertThat(u.getOutputTokens()).isPositive();
            // produce time, not event time, is the record's Kafka timestamp
            assertThat(r.timestamp()).isGreaterThan(end.minus(Duration.ofHours(3)).toEpochMilli());
            teams.add(u.getTeam());
        }
        // analytics makes 0.6 to 3 calls a minute depending on the hour of the day: there, but not counted on
        assertThat(teams).contains("search", "support", "research").isSubsetOf("search", "support", "research", "analytics");
        assertThat(calls.stream().filter(r -> r.key().equals("search")).count()).isGreaterThan(30 * 70);

        List<ConsumerRecord<String, GpuUtilization>> samples = read(cluster, topics.gpuUtilization().name(), GpuUtilization.class, 240);
        assertThat(samples).hasSize(240).allSatisfy(r -> {
            GpuUtilization g = r.value();
            assertThat(r.key()).isEqualTo("research");
            assertThat(g.getDeployment()).isEqualTo("research-llama70b");
            assertThat(g.getModel()).isEqualTo("llama-3.1-70b");
            assertThat(g.getGpuModel()).isEqualTo("H100-80GB");
            assertThat(g.getIntervalSeconds()).isEqualTo(15.0);
            assertThat(g.getUtilization()).isBetween(0.04, 0.08);
            assertThat(g.getTimestamp()).isAfterOrEqualTo(start).isBefore(end);
        });

        assertThat(read(cluster, topics.priceCatalog().name(), PriceEntry.class, 40)).hasSizeGreaterThanOrEqualTo(40);
        assertThat(read(cluster, topics.teamBudgets().name(), TeamBudget.class, 1)).singleElement()
                .satisfies(r -> assertThat(r.value().getDailyUsd()).isEqualByComparingTo("40"));
    }

    @Test
    void aMissingTopicIsOneClearErrorBeforeAnythingIsSent(KafkaCluster cluster) {
        Map<String, Object> config = Map.of("bootstrap.servers", cluster.bootstrapServers(),
                "schema.registry.url", cluster.schemaRegistryUrl(), Topics.PREFIX_CONFIG, "simulator-missing.");
        assertThatThrownBy(() -> TrafficSimulator.start(config, ScenarioSettings.of(IdleGpusScenario.NAME),
                TrafficSimulator.Listener.silent()))
                .isInstanceOf(SimulatorException.class)
                .hasMessageContaining("topic 'simulator-missing.llm.token-usage' does not exist")
                .hasMessageContaining("--create-topics");
    }

    /** At least {@code count} records of {@code topic} from its beginning (assigned partitions, no group). */
    private static <T extends SpecificRecord> List<ConsumerRecord<String, T>> read(KafkaCluster cluster, String topic,
                                                                                  Class<T> type, long count) {
        List<ConsumerRecord<String, T>> records = new ArrayList<>();
        try (RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
             KafkaConsumer<String, T> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                     new StringDeserializer(), new AvroDeserializer<>(registry, type))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count && partitions.stream().allMatch(p -> consumer.position(p) >= endOffsets.get(p));
            });
        }
        return records;
    }
}
