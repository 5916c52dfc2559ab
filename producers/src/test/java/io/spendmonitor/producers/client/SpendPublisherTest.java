package io.spendmonitor.producers.client;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The publisher's contract on a MockProducer and an in-memory registry: no broker needed. */
class SpendPublisherTest {
    private static final Instant NOW = Instant.parse("2025-06-20T10:15:30.123Z");
    private static final String TOKEN_TOPIC = "prod.llm.token-usage";
    private static final String GPU_TOPIC = "prod.gpu.utilization";

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<SpendPublisher> publishers = new ArrayList<>();

    @AfterEach
    void closePublishers() {
        publishers.forEach(SpendPublisher::close);
    }

    private static MockProducer<String, byte[]> producer(boolean autoComplete, String... topics) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> partitions = new ArrayList<>();
        for (String topic : topics) {
            partitions.add(new PartitionInfo(topic, 0, node, new Node[]{node}, new Node[]{node}));
        }
        Cluster cluster = new Cluster("test", List.of(node), partitions, Set.of(), Set.of());
        return new MockProducer<>(cluster, autoComplete, null, new StringSerializer(), new ByteArraySerializer());
    }

    private SpendPublisher publisher(MockProducer<String, byte[]> producer, OverflowPolicy policy, int maxPending) {
        SpendPublisher publisher = SpendPublisher.builder()
                .producer(producer)
                .schemaRegistryClient(registry)
                .topicPrefix("prod.")
                .meterRegistry(meters)
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .overflowPolicy(policy)
                .maxPendingEvents(maxPending)
                .closeTimeout(Duration.ofMillis(300))
                .build();
        publishers.add(publisher);
        return publisher;
    }

    private SpendPublisher publisher(MockProducer<String, byte[]> producer) {
        return publisher(producer, OverflowPolicy.DROP, 100);
    }

    private static TokenUsage call(String team) {
        TokenUsage usage = new TokenUsage();
        usage.setTeam(team);
        usage.setApplication("checkout");
        usage.setProvider("openai");
        usage.setModel("gpt-4o-mini");
        usage.setInputTokens(1200L);
        usage.setCachedInputTokens(1024L);
        usage.setCacheWriteInputTokens(0L);
        usage.setOutputTokens(80L);
        return usage;
    }

    private static GpuUtilization gpuSample() {
        return GpuUtilization.newBuilder().setTimestamp(NOW).setNode("gpu-node-1").setGpuId("GPU-1").setGpuModel("H100-80GB")
                .setTeam("search").setUtilization(0.5).setIntervalSeconds(15.0).build();
    }

    private static <T> T await5s(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private TokenUsage decodeToken(ProducerRecord<String, byte[]> record) {
        return new AvroDeserializer<>(registry, TokenUsage.class).deserialize(record.topic(), record.value());
    }

    private double count(String meter, String... tags) {
        return meters.get(meter).tags(tags).counter().count();
    }

    @Test
    void publishesKeyedByTeamAndFillsEventIdAndTimestamp() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC, GPU_TOPIC);
        SpendPublisher publisher = publisher(producer);
        TokenUsage event = call("search");
        event.setEventId(" ");

        RecordMetadata metadata = await5s(publisher.publish(event));

        assertThat(metadata.topic()).isEqualTo(TOKEN_TOPIC);
        ProducerRecord<String, byte[]> record = producer.history().get(0);
        assertThat(record.key()).isEqualTo("search");
        TokenUsage sent = decodeToken(record);
        assertThat(sent.getEventId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(sent.getTimestamp()).isEqualTo(NOW);
        assertThat(sent.getInputTokens()).isEqualTo(1200);
        assertThat(sent.getCachedInputTokens()).isEqualTo(1024);
        assertThat(sent.getAttributes()).isEmpty();
        assertThat(event.getEventId()).as("the caller's object is not modified").isEqualTo(" ");
        assertThat(event.getTimestamp()).isNull();
        assertThat(count(SpendPublisher.EVENTS_METER, "type", "token_usage", "result", "sent")).isEqualTo(1);

        // once ready, an event is handed over on the caller's thread: the given event_id is kept
        TokenUsage second = call("search");
        second.setEventId("call-42");
        second.setTimestamp(NOW.minusSeconds(60));
        await5s(publisher.publish(second));
        assertThat(decodeToken(producer.history().get(1)).getEventId()).isEqualTo("call-42");
        assertThat(decodeToken(producer.history().get(1)).getTimestamp()).isEqualTo(NOW.minusSeconds(60));

        await5s(publisher.publish(gpuSample()));
        assertThat(producer.history().get(2).topic()).isEqualTo(GPU_TOPIC);
        assertThat(producer.history().get(2).key()).isEqualTo("search");
    }

    @Test
    void invalidEventsAreTheCallersBugAndThrow() {
        SpendPublisher publisher = publisher(producer(true, TOKEN_TOPIC, GPU_TOPIC));
        TokenUsage noTeam = call(" ");
        assertThatThrownBy(() -> publisher.publish(noTeam)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token_usage: team is empty [missing-team]");
        TokenUsage negative = call("search");
        negative.setOutputTokens(-1L);
        assertThatThrownBy(() -> publisher.publish(negative)).hasMessage("token_usage: output_tokens must not be negative, got -1 [negative-tokens]");
        TokenUsage tooManyCached = call("search");
        tooManyCached.setCacheWriteInputTokens(200L); // 1024 cached + 200 written > 1200 input
        assertThatThrownBy(() -> publisher.publish(tooManyCached)).hasMessageContaining("exceed input_tokens").hasMessageEndingWith("[inconsistent-tokens]");
        TokenUsage subNano = call("search");
        subNano.setReportedCostUsd(new BigDecimal("0.0000000001"));
        assertThatThrownBy(() -> publisher.publish(subNano)).hasMessageContaining("at most 9 decimals").hasMessageEndingWith("[bad-reported-cost]");
        TokenUsage noModel = call("search");
        noModel.setModel(null);
        assertThatThrownBy(() -> publisher.publish(noModel)).hasMessage("token_usage: model is empty [missing-field]");

        GpuUtilization overFull = gpuSample();
        overFull.setUtilization(1.5);
        assertThatThrownBy(() -> publisher.publish(overFull)).hasMessageContaining("between 0 and 1").hasMessageEndingWith("[bad-utilization]");
        GpuUtilization noInterval = gpuSample();
        noInterval.setIntervalSeconds(0.0);
        assertThatThrownBy(() -> publisher.publish(noInterval)).hasMessageContaining("interval_seconds must be greater than 0").hasMessageEndingWith("[bad-interval]");
        assertThatThrownBy(() -> publisher.publish((TokenUsage) null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void moneyIsKeptExactAtNanoDollars() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC, GPU_TOPIC);
        SpendPublisher publisher = publisher(producer);
        TokenUsage event = call("search");
        event.setReportedCostUsd(new BigDecimal("0.0012345"));
        await5s(publisher.publish(event));
        assertThat(decodeToken(producer.history().get(0)).getReportedCostUsd()).isEqualTo(new BigDecimal("0.001234500"));
    }

    @Test
    void aFullBufferDropsAndCountsInsteadOfBlocking() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC);
        SpendPublisher publisher = publisher(producer);
        await5s(publisher.publish(call("search")));
        producer.sendException = new BufferExhaustedException("Failed to allocate 1200 bytes within the configured max blocking time 50 ms");

        CompletionStage<RecordMetadata> stage = publisher.publish(call("search"));

        assertThatThrownBy(() -> await5s(stage)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(EventDroppedException.class).hasMessageContaining("buffer-full");
        assertThat(count(SpendPublisher.DROPPED_METER, "type", "token_usage", "reason", "buffer-full")).isEqualTo(1);
        assertThat(count(SpendPublisher.EVENTS_METER, "type", "token_usage", "result", "dropped")).isEqualTo(1);
        assertThat(count(SpendPublisher.EVENTS_METER, "type", "token_usage", "result", "failed")).isZero();

        producer.sendException = new TimeoutException("Topic prod.llm.token-usage not present in metadata after 50 ms.");
        publisher.publish(call("search"));
        assertThat(count(SpendPublisher.DROPPED_METER, "type", "token_usage", "reason", "metadata-timeout")).isEqualTo(1);
    }

    @Test
    void theThrowPolicyThrowsWhatItDrops() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC);
        SpendPublisher publisher = publisher(producer, OverflowPolicy.THROW, 100);
        await5s(publisher.publish(call("search")));
        producer.sendException = new BufferExhaustedException("full");

        assertThatThrownBy(() -> publisher.publish(call("search"))).isInstanceOf(EventDroppedException.class)
                .satisfies(e -> assertThat(((EventDroppedException) e).reason()).isEqualTo(DropReason.BUFFER_FULL));
        assertThat(count(SpendPublisher.DROPPED_METER, "type", "token_usage", "reason", "buffer-full")).isEqualTo(1);
    }

    @Test
    void aDeliveryFailureAfterHandOverCountsAsFailed() throws Exception {
        MockProducer<String, byte[]> producer = producer(false, TOKEN_TOPIC);
        SpendPublisher publisher = publisher(producer);
        CompletionStage<RecordMetadata> stage = publisher.publish(call("search"));
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 1);

        producer.errorNext(new TimeoutException("Expiring 1 record(s) for prod.llm.token-usage-0: 120000 ms has passed"));

        assertThatThrownBy(() -> await5s(stage)).cause().isInstanceOf(TimeoutException.class);
        assertThat(count(SpendPublisher.EVENTS_METER, "type", "token_usage", "result", "failed")).isEqualTo(1);
        assertThat(count(SpendPublisher.EVENTS_METER, "type", "token_usage", "result", "dropped")).isZero();
    }

    @Test
    void eventsWaitForReadinessInABoundedQueueAsCopies() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC);
        producer.partitionsForException = new TimeoutException("Topic prod.llm.token-usage not present in metadata after 50 ms.");
        SpendPublisher publisher = publisher(producer, OverflowPolicy.DROP, 2);
        TokenUsage first = call("search");
        CompletionStage<RecordMetadata> queued1 = publisher.publish(first);
        CompletionStage<RecordMetadata> queued2 = publisher.publish(call("search"));
        CompletionStage<RecordMetadata> overflow = publisher.publish(call("search"));
        first.setModel("changed-after-publish");

        assertThat(overflow.toCompletableFuture()).isCompletedExceptionally();
        assertThat(count(SpendPublisher.DROPPED_METER, "type", "token_usage", "reason", "not-ready")).isEqualTo(1);
        assertThat(meters.get(SpendPublisher.PENDING_METER).tags("type", "token_usage").gauge().value()).isEqualTo(2);
        assertThat(producer.history()).isEmpty();

        producer.partitionsForException = null; // metadata arrives: the queue is sent in order
        await5s(queued1);
        await5s(queued2);
        assertThat(producer.history()).hasSize(2);
        assertThat(decodeToken(producer.history().get(0)).getModel()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void closeDropsWhatCouldNotBeSentAndLaterEventsAreDropped() {
        MockProducer<String, byte[]> producer = producer(true); // the topic never shows up
        SpendPublisher publisher = publisher(producer);
        CompletableFuture<RecordMetadata> queued = publisher.publish(call("search")).toCompletableFuture();

        publisher.close();

        assertThat(queued).isCompletedExceptionally();
        assertThatThrownBy(queued::join).cause().isInstanceOf(EventDroppedException.class).hasMessageContaining("closed");
        assertThat(publisher.publish(call("search")).toCompletableFuture()).isCompletedExceptionally();
        assertThat(count(SpendPublisher.DROPPED_METER, "type", "token_usage", "reason", "closed")).isEqualTo(2);
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void publishUsageNormalisesTheProvidersUsageObject() throws Exception {
        MockProducer<String, byte[]> producer = producer(true, TOKEN_TOPIC);
        SpendPublisher publisher = publisher(producer);

        await5s(publisher.publishUsage("legal", "contract-review", "anthropic", "claude-sonnet-4",
                UsageNormalizerTest.usage("anthropic-cache-read-write.json"),
                b -> b.setLatencyMs(1830L).setAttributes(Map.of("route", "/review"))));

        ProducerRecord<String, byte[]> record = producer.history().get(0);
        assertThat(record.key()).isEqualTo("legal");
        TokenUsage sent = decodeToken(record);
        // 21 uncached + 2048 cache reads + 188 cache writes
        assertThat(sent.getInputTokens()).isEqualTo(2257);
        assertThat(sent.getCachedInputTokens()).isEqualTo(2048);
        assertThat(sent.getCacheWriteInputTokens()).isEqualTo(188);
        assertThat(sent.getOutputTokens()).isEqualTo(393);
        assertThat(sent.getProvider()).isEqualTo("anthropic");
        assertThat(sent.getLatencyMs()).isEqualTo(1830L);
        assertThat(sent.getAttributes()).containsEntry("route", "/review");
        assertThat(sent.getTimestamp()).isEqualTo(NOW);
        assertThat(sent.getEventId()).isNotBlank();

        assertThatThrownBy(() -> publisher.publishUsage("legal", "contract-review", "openai", "gpt-4o",
                UsageNormalizerTest.usage("anthropic-cache-read-write.json"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> publisher.publishUsage("", "contract-review", "openai", "gpt-4o",
                UsageNormalizerTest.usage("openai-chat-cached.json"))).hasMessage("token_usage: team is empty [missing-team]");
    }

    @Test
    void clientPropertiesPassThroughButTheDeliveryGuaranteesDoNot() {
        Map<String, Object> config = SpendPublisher.builder()
                .maxBlock(Duration.ofMillis(80))
                .linger(Duration.ofMillis(7))
                .bufferBytes(8 << 20)
                .producerConfig(Map.of("bootstrap.servers", "k:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                        "ssl.truststore.location", "/etc/kafka/truststore.jks", "acks", "1", "enable.idempotence", "false",
                        "schema.registry.url", "https://r:8081", "basic.auth.user.info", "u:p", "spend.topic.prefix", "prod.",
                        "auto.register.schemas", "false"));
        assertThat(config).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks").containsEntry("bootstrap.servers", "k:9093")
                .containsEntry("acks", "all").containsEntry("enable.idempotence", true).containsEntry("compression.type", "lz4")
                .containsEntry("max.block.ms", 80L).containsEntry("linger.ms", 7).containsEntry("buffer.memory", 8L << 20)
                .doesNotContainKeys("schema.registry.url", "basic.auth.user.info", "spend.topic.prefix", "auto.register.schemas");
    }

    @Test
    void theBuilderExplainsWhatIsMissing() {
        assertThatThrownBy(() -> SpendPublisher.builder().schemaRegistryUrl("http://r:8081").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> SpendPublisher.builder().bootstrapServers("k:9092").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schemaRegistryUrl");
        assertThatThrownBy(() -> SpendPublisher.builder().maxBlock(Duration.ZERO)).hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> SpendPublisher.builder().producer(producer(true)).schemaRegistryClient(registry)
                .topicPrefix("bad prefix!").build()).hasMessageContaining("spend.topic.prefix");
    }
}
