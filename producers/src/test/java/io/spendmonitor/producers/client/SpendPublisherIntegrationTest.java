package io.spendmonitor.producers.client;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The publisher against a real broker and registry, and against a broker that is not there. */
@ExtendWith(KafkaClusterExtension.class)
class SpendPublisherIntegrationTest {
    private static final List<String> TEAMS = List.of("search", "legal", "support", "growth");
    private static final Duration MAX_BLOCK = Duration.ofMillis(50);

    private static TokenUsage call(Random random, int i) {
        long input = 100 + random.nextInt(5000);
        long cached = random.nextInt((int) input / 2);
        return SpendPublisher.tokenUsageBuilder()
                .setEventId("it-" + i)
                .setTimestamp(Instant.parse("2025-06-20T10:00:00Z").plusMillis(i))
                .setTeam(TEAMS.get(random.nextInt(TEAMS.size())))
                .setApplication("it")
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setInputTokens(input)
                .setCachedInputTokens(cached)
                .setOutputTokens(random.nextInt(800))
                .build();
    }

    @Test
    void aThousandCallsArriveExactlyOnceKeyedByTeam(KafkaCluster cluster) {
        String prefix = "publisher-it.";
        String topic = prefix + "llm.token-usage";
        cluster.createTopics(3, topic);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Map<String, TokenUsage> published = new HashMap<>();
        Random random = new Random(20250620L);
        try (SpendPublisher publisher = SpendPublisher.builder()
                .bootstrapServers(cluster.bootstrapServers())
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .topicPrefix(prefix)
                .meterRegistry(meters)
                .build()) {
            for (int i = 0; i < 1000; i++) {
                TokenUsage event = call(random, i);
                published.put(event.getEventId(), event);
                publisher.publish(event);
            }
        } // close() flushes

        assertThat(meters.get(SpendPublisher.EVENTS_METER).tags("type", "token_usage", "result", "sent").counter().count()).isEqualTo(1000);
        assertThat(meters.get(SpendPublisher.EVENTS_METER).tags("type", "token_usage", "result", "dropped").counter().count()).isZero();

        Map<String, Integer> seen = new HashMap<>();
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "publisher-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                "schema.registry.url", cluster.schemaRegistryUrl(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, TokenUsage.class.getName());
        try (KafkaConsumer<String, TokenUsage> consumer = new KafkaConsumer<>(config, new StringDeserializer(), avroDeserializer(config))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, TokenUsage> record : consumer.poll(Duration.ofMillis(200))) {
                    TokenUsage event = record.value();
                    assertThat(record.key()).isEqualTo(event.getTeam());
                    assertThat(event).isEqualTo(published.get(event.getEventId()));
                    seen.merge(event.getEventId(), 1, Integer::sum);
                }
                return seen.size() == published.size();
            });
            consumer.poll(Duration.ofMillis(500)).forEach(r -> seen.merge(r.value().getEventId(), 1, Integer::sum));
        }
        assertThat(seen.keySet()).isEqualTo(published.keySet());
        assertThat(Set.copyOf(seen.values())).as("each event exactly once").containsExactly(1);
    }

    @Test
    void aDeadBrokerNeverHoldsTheCallerPastTheMaximum(KafkaCluster cluster) throws IOException {
        String deadBroker = "127.0.0.1:" + freePort();
        Random random = new Random(7L);

        // default: events wait for the topic's metadata in a bounded queue, then overflow as drops
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SpendPublisher publisher = SpendPublisher.builder()
                .bootstrapServers(deadBroker)
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .topicPrefix("dead-broker.")
                .maxBlock(MAX_BLOCK)
                .maxPendingEvents(20)
                .closeTimeout(Duration.ofMillis(500))
                .meterRegistry(meters)
                .build()) {
            // the call never waits for the broker: once the 20-event queue is full, each call's outcome
            // (a drop, the overflow policy) is decided before publish() returns
            int decidedAtReturn = 0;
            for (int i = 0; i < 100; i++) {
                CompletableFuture<RecordMetadata> stage = publisher.publish(call(random, i)).toCompletableFuture();
                if (stage.isDone()) {
                    decidedAtReturn++;
                    assertThat(stage).isCompletedExceptionally();
                }
            }
            assertThat(decidedAtReturn).as("calls dropped at once, not held for the dead broker").isEqualTo(80);
            assertThat(meters.get(SpendPublisher.DROPPED_METER).tags("type", "token_usage", "reason", "not-ready").counter().count()).isEqualTo(80);
        }
        assertThat(meters.get(SpendPublisher.DROPPED_METER).tags("type", "token_usage", "reason", "closed").counter().count()).isEqualTo(20);

        // straight into the producer: each send waits for metadata for max.block.ms, then drops
        SimpleMeterRegistry direct = new SimpleMeterRegistry();
        try (SpendPublisher publisher = SpendPublisher.builder()
                .bootstrapServers(deadBroker)
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .topicPrefix("dead-broker.")
                .maxBlock(MAX_BLOCK)
                .closeTimeout(Duration.ofMillis(500))
                .meterRegistry(direct)
                .awaitTopicMetadata(false)
                .build()) {
            publisher.publish(call(random, 0)); // registers the schema; the queue is sent once it is
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    direct.get(SpendPublisher.DROPPED_METER).tags("type", "token_usage", "reason", "metadata-timeout").counter().count() == 1);
            for (int i = 1; i <= 10; i++) {
                // each call gives up after max.block.ms on the caller's thread: it returns with the drop
                // already applied, instead of waiting for a broker that does not come
                CompletableFuture<RecordMetadata> stage = publisher.publish(call(random, i)).toCompletableFuture();
                assertThat(stage).isCompletedExceptionally();
                assertThatThrownBy(stage::join).hasCauseInstanceOf(EventDroppedException.class)
                        .cause().satisfies(e -> assertThat(((EventDroppedException) e).reason()).isEqualTo(DropReason.METADATA_TIMEOUT));
            }
            assertThat(direct.get(SpendPublisher.DROPPED_METER).tags("type", "token_usage", "reason", "metadata-timeout").counter().count()).isEqualTo(11);
        }
    }

    private static AvroDeserializer<TokenUsage> avroDeserializer(Map<String, Object> config) {
        AvroDeserializer<TokenUsage> deserializer = new AvroDeserializer<>();
        deserializer.configure(config, false);
        return deserializer;
    }

    /** A port nothing listens on: bound, then released. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
