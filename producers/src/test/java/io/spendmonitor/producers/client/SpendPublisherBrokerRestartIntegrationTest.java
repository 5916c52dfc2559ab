package io.spendmonitor.producers.client;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.EmbeddedKafkaBroker;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The reliability issue's scenario: the broker restarts while a service publishes steadily. Nothing
 * is lost, nothing is duplicated (idempotent producer), what was buffered during the outage is
 * delivered once the broker is back, and no publish() call holds its caller past maxBlock.
 *
 * <p>It runs its own {@link EmbeddedKafkaBroker} (the suite's shared broker must never be restarted)
 * and borrows only the shared cluster's schema registry, which is not restarted.
 *
 * <p>Run with both of the Kafka 4 client's {@code metadata.recovery.strategy} values. With
 * {@code rebootstrap} (the client's own default; SpendPublisher sets {@code none} unless told otherwise) the producer, finding
 * its only broker gone, falls back to the bootstrap address and forgets the topic's partitions: every
 * send() during the outage waits max.block.ms for metadata and the event is dropped (counted, its stage
 * failed). With {@code none} it keeps the partitions it knew and buffers until the broker is back, so
 * nothing is dropped. Either way nothing that was accepted is lost or duplicated.
 */
@ExtendWith(KafkaClusterExtension.class)
class SpendPublisherBrokerRestartIntegrationTest {
    private static final List<String> TEAMS = List.of("search", "legal", "support", "growth");
    private static final String TOPIC = "llm.token-usage";
    private static final int EVENTS = 3_000;
    private static final int STOP_AFTER = 1_000;
    private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Duration OUTAGE = Duration.ofSeconds(3);
    private static final Duration MAX_BLOCK = Duration.ofMillis(50);
    @ParameterizedTest(name = "metadata.recovery.strategy={0}")
    @ValueSource(strings = {"none", "rebootstrap"})
    void brokerRestartLosesAndDuplicatesNothingAndNeverBlocksTheCaller(String recoveryStrategy, KafkaCluster shared)
            throws Exception {
        String registryUrl = shared.schemaRegistryUrl();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }

            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            AtomicReferenceArray<CompletableFuture<RecordMetadata>> stages = new AtomicReferenceArray<>(EVENTS);
            AtomicInteger publishedCalls = new AtomicInteger();
            AtomicLong worstNanos = new AtomicLong();
            AtomicLong worstDuringOutageNanos = new AtomicLong();
            AtomicInteger publishedDuringOutage = new AtomicInteger();
            AtomicReference<Throwable> publisherError = new AtomicReference<>();
            AtomicBoolean brokerDown = new AtomicBoolean();
            // the caller pauses after STOP_AFTER calls until the broker is down, so its later calls surely
            // fall into the outage (a broker's controlled shutdown can outlast the rest of a fixed-pace run)
            CountDownLatch brokerStopped = new CountDownLatch(1);

            SpendPublisher publisher = SpendPublisher.builder()
                    .bootstrapServers(bootstrap)
                    .schemaRegistryUrl(registryUrl)
                    .maxBlock(MAX_BLOCK)
                    .bufferBytes(64L * 1024 * 1024)   // a 3 s outage of ~1 KiB events needs a few MiB at most
                    .maxPendingEvents(EVENTS)         // warm-up queue: no start-up drop whatever the timing
                    .closeTimeout(Duration.ofSeconds(60))
                    .property("metadata.recovery.strategy", recoveryStrategy)
                    .meterRegistry(meters)
                    .build();
            try {
                Thread caller = new Thread(() -> {
                    Random random = new Random(20250620L);
                    long start = System.nanoTime();
                    try {
                        for (int i = 0; i < EVENTS; i++) {
                            if (i == STOP_AFTER) {
                                brokerStopped.await();
                                start = System.nanoTime() - i * PACE_NANOS; // the same pace again, no burst
                            }
                            TokenUsage event = call(random, i);
                            long t0 = System.nanoTime();
                            CompletableFuture<RecordMetadata> stage = publisher.publish(event).toCompletableFuture();
                            long took = System.nanoTime() - t0;
                            stages.set(i, stage);
                            worstNanos.accumulateAndGet(took, Math::max);
                            if (brokerDown.get()) {
                                worstDuringOutageNanos.accumulateAndGet(took, Math::max);
                                publishedDuringOutage.incrementAndGet();
                            }
                            publishedCalls.incrementAndGet();
                            // steady pace, about one call a millisecond, whatever each call took
                            long next = start + (i + 1) * PACE_NANOS;
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait);
                            }
                        }
                    } catch (Throwable t) {
                        publisherError.set(t);
                    }
                }, "restart-it-caller");
                caller.setDaemon(true); // never outlives a failed test (it waits for the broker's stop)
                caller.start();

                await().atMost(Duration.ofSeconds(60)).until(() -> publishedCalls.get() >= STOP_AFTER);
                long stopStart = System.nanoTime();
                broker.stop();
                brokerDown.set(true);
                brokerStopped.countDown();
                long stopMs = (System.nanoTime() - stopStart) / 1_000_000;
                int callsAtStop = publishedCalls.get();
                long downSince = System.nanoTime();
                double sentAtStop = sent(meters);
                // the outage lasts OUTAGE, and until the caller has had calls return while the broker is down: a
                // publish() that waited for the broker would hold it here, and this wait would time out
                await().pollInterval(Duration.ofMillis(100)).atMost(OUTAGE.plusSeconds(60))
                        .until(() -> System.nanoTime() - downSince >= OUTAGE.toNanos()
                                && (publishedDuringOutage.get() >= 10 || publishedCalls.get() == EVENTS));
                double sentWhileDown = sent(meters) - sentAtStop;
                brokerDown.set(false);
                int callsAtRestart = publishedCalls.get();
                long restartStart = System.nanoTime();
                broker.restart();
                long restartMs = (System.nanoTime() - restartStart) / 1_000_000;
                assertThat(broker.bootstrapServers()).isEqualTo(bootstrap);

                caller.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(caller.isAlive()).as("the caller thread finished").isFalse();
                assertThat(publisherError.get()).as("publish() never threw").isNull();
                assertThat(publishedCalls.get()).isEqualTo(EVENTS);

                // buffered events are delivered once the broker is back: every stage completes
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> IntStream.range(0, EVENTS).allMatch(i -> stages.get(i).isDone()));

                System.out.printf("broker restart [" + recoveryStrategy + "]: stop took %d ms after %d calls, down %d ms (%d calls, %.0f acks while down),"
                                + " restart took %d ms (at call %d); worst publish() %.1f ms overall, %.1f ms while down%n",
                        stopMs, callsAtStop, OUTAGE.toMillis(), publishedDuringOutage.get(), sentWhileDown, restartMs,
                        callsAtRestart, worstNanos.get() / 1e6, worstDuringOutageNanos.get() / 1e6);
            } finally {
                publisher.close(); // flushes
            }

            Set<String> delivered = new HashSet<>();
            Set<String> dropped = new HashSet<>();
            Map<String, Throwable> failed = new HashMap<>();
            for (int i = 0; i < EVENTS; i++) {
                CompletableFuture<RecordMetadata> stage = stages.get(i);
                String id = eventId(i);
                try {
                    stage.join();
                    delivered.add(id);
                } catch (CompletionException e) {
                    if (e.getCause() instanceof EventDroppedException) {
                        dropped.add(id);
                    } else {
                        failed.put(id, e.getCause());
                    }
                }
            }
            List<String> log = readTopic(bootstrap, registryUrl);
            Map<String, Integer> copies = new HashMap<>();
            log.forEach(id -> copies.merge(id, 1, Integer::sum));
            System.out.printf("broker restart [" + recoveryStrategy + "]: %d events published, %d acknowledged, %d dropped, %d failed;"
                            + " %d records in the topic, %d distinct%n",
                    EVENTS, delivered.size(), dropped.size(), failed.size(), log.size(), copies.size());

            // the caller never waited for the broker: calls kept returning while it was down (a call held until
            // the broker came back would have returned after the outage). How long a call takes is measured in
            // PublisherBenchmark.publisherPublishLatency, not asserted here: a GC pause is no defect.
            assertThat(publishedDuringOutage.get()).as("publish() calls that returned while the broker was down")
                    .isGreaterThanOrEqualTo(Math.min(10, EVENTS - STOP_AFTER));
            assertThat(failed).as("delivery failures: the 120 s delivery.timeout.ms covers a 3 s outage").isEmpty();
            assertThat(counter(meters, "sent")).isEqualTo(delivered.size());
            assertThat(counter(meters, "dropped")).as("every dropped event is counted").isEqualTo(dropped.size());
            assertThat(counter(meters, "failed")).isZero();
            assertThat(delivered.size() + dropped.size()).isEqualTo(EVENTS);

            assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey))
                    .as("no event twice (idempotent producer)").isEmpty();
            assertThat(copies.keySet()).as("every event not dropped is in the topic, and only those")
                    .isEqualTo(delivered);
            assertThat(counter(meters, "dropped"))
                    .as("drops by reason add up").isEqualTo(meters.get(SpendPublisher.DROPPED_METER)
                            .tags("type", "token_usage").counters().stream().mapToDouble(c -> c.count()).sum());
            if (recoveryStrategy.equals("none")) {
                assertThat(dropped).as("the producer buffers through a 3 s outage: nothing is dropped").isEmpty();
            }
        }
    }

    /** Reads the topic from the beginning to its end offsets after the flush: every record, duplicates included. */
    private static List<String> readTopic(String bootstrap, String registryUrl) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                "schema.registry.url", registryUrl,
                AvroDeserializer.SPECIFIC_VALUE_TYPE, TokenUsage.class.getName());
        AvroDeserializer<TokenUsage> values = new AvroDeserializer<>();
        values.configure(config, false);
        List<String> ids = new ArrayList<>();
        try (KafkaConsumer<String, TokenUsage> consumer = new KafkaConsumer<>(config, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            assertThat(partitions).hasSize(3);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, TokenUsage> record : consumer.poll(Duration.ofMillis(200))) {
                    assertThat(record.key()).isEqualTo(record.value().getTeam());
                    ids.add(record.value().getEventId());
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
        }
        return ids;
    }

    private static TokenUsage call(Random random, int i) {
        long input = 100 + random.nextInt(5000);
        return SpendPublisher.tokenUsageBuilder()
                .setEventId(eventId(i))
                .setTimestamp(Instant.parse("2025-06-20T10:00:00Z").plusMillis(i))
                .setTeam(TEAMS.get(random.nextInt(TEAMS.size())))
                .setApplication("restart-it")
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setInputTokens(input)
                .setCachedInputTokens(random.nextInt((int) input / 2))
                .setOutputTokens(random.nextInt(800))
                .build();
    }

    private static String eventId(int i) {
        return "restart-it-" + i;
    }

    private static double sent(SimpleMeterRegistry meters) {
        return counter(meters, "sent");
    }

    private static double counter(SimpleMeterRegistry meters, String result) {
        return meters.get(SpendPublisher.EVENTS_METER).tags("type", "token_usage", "result", result).counter().count();
    }
}
