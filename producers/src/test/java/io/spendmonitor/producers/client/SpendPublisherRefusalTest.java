package io.spendmonitor.producers.client;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient.RegisteredSchema;
import io.spendmonitor.schemas.registry.SchemaRegistryAuthException;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryTlsException;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Refused credentials or a failed TLS handshake, from Kafka or from the registry, do not heal by
 * retrying: the waiting event and every later one fail with the cause instead of waiting until close.
 */
class SpendPublisherRefusalTest {
    private static final String TOPIC = "prod.llm.token-usage";

    private static MockProducer<String, byte[]> producer() {
        Node node = new Node(0, "localhost", 9092);
        Cluster cluster = new Cluster("test", List.of(node),
                List.of(new PartitionInfo(TOPIC, 0, node, new Node[]{node}, new Node[]{node})), Set.of(), Set.of());
        return new MockProducer<>(cluster, true, null, new StringSerializer(), new ByteArraySerializer());
    }

    private static TokenUsage call() {
        return SpendPublisher.tokenUsageBuilder().setEventId("c-1").setTimestamp(Instant.parse("2026-01-10T10:00:00Z"))
                .setTeam("search").setApplication("chat").setProvider("openai").setModel("gpt-4o-mini")
                .setInputTokens(10).setOutputTokens(1).build();
    }

    /** A registry whose register and lookup throw what {@code failure} gives. */
    private static SchemaRegistryClient refusingRegistry(Supplier<RuntimeException> failure) {
        InMemorySchemaRegistryClient inner = new InMemorySchemaRegistryClient();
        return new SchemaRegistryClient() {
            @Override
            public int register(String subject, Schema schema) {
                throw failure.get();
            }

            @Override
            public int lookup(String subject, Schema schema) {
                throw failure.get();
            }

            @Override
            public Schema getById(int id) {
                return inner.getById(id);
            }

            @Override
            public RegisteredSchema latest(String subject) {
                return inner.latest(subject);
            }

            @Override
            public void setCompatibility(String subject, String level) {
                inner.setCompatibility(subject, level);
            }
        };
    }

    private static void assertBothFailWith(SpendPublisher publisher, Class<? extends Throwable> type, String message) {
        try (publisher) {
            CompletableFuture<?> first = publisher.publish(call()).toCompletableFuture();
            // generous bound for "eventually": the failure comes from the background thread's first attempt
            assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(type).hasMessageContaining(message);
            CompletableFuture<?> later = publisher.publish(call()).toCompletableFuture();
            assertThat(later).isCompletedExceptionally(); // at once: no second wait
            assertThatThrownBy(later::get).cause().isInstanceOf(type);
        }
    }

    @Test
    void refusedRegistryCredentialsFailTheEventInsteadOfRetrying() {
        SpendPublisher publisher = SpendPublisher.builder().producer(producer())
                .schemaRegistryClient(refusingRegistry(() -> new SchemaRegistryAuthException(
                        "schema registry refused the request (HTTP 401): check basic.auth.user.info / bearer.auth.token", 401, 401)))
                .topicPrefix("prod.").closeTimeout(Duration.ofMillis(300)).build();
        assertBothFailWith(publisher, SchemaRegistryAuthException.class, "HTTP 401");
    }

    @Test
    void aFailedRegistryHandshakeFailsTheEvent() {
        SpendPublisher publisher = SpendPublisher.builder().producer(producer())
                .schemaRegistryClient(refusingRegistry(() -> new SchemaRegistryTlsException("TLS handshake with the schema registry failed: "
                        + "NotAfter: ...", null)))
                .topicPrefix("prod.").closeTimeout(Duration.ofMillis(300)).build();
        assertBothFailWith(publisher, SchemaRegistryTlsException.class, "TLS handshake");
    }

    @Test
    void kafkaAuthenticationFailuresFailTheEvent() {
        MockProducer<String, byte[]> sasl = producer();
        sasl.partitionsForException = new SaslAuthenticationException("Authentication failed during authentication due to "
                + "invalid credentials with SASL mechanism SCRAM-SHA-512");
        assertBothFailWith(SpendPublisher.builder().producer(sasl).schemaRegistryClient(new InMemorySchemaRegistryClient())
                .topicPrefix("prod.").closeTimeout(Duration.ofMillis(300)).build(), SaslAuthenticationException.class, "Authentication failed");

        MockProducer<String, byte[]> tls = producer();
        tls.partitionsForException = new SslAuthenticationException("SSL handshake failed");
        assertBothFailWith(SpendPublisher.builder().producer(tls).schemaRegistryClient(new InMemorySchemaRegistryClient())
                .topicPrefix("prod.").closeTimeout(Duration.ofMillis(300)).build(), SslAuthenticationException.class, "SSL handshake failed");
    }

    @Test
    void onlyRefusalsAreFinal() {
        assertThat(SpendPublisher.isRefusal(new SaslAuthenticationException("x"))).isTrue();
        assertThat(SpendPublisher.isRefusal(new IllegalStateException("wrapped", new SslAuthenticationException("x")))).isTrue();
        assertThat(SpendPublisher.isRefusal(new org.apache.kafka.common.errors.TimeoutException("metadata"))).isFalse();
        assertThat(SpendPublisher.isRefusal(new io.spendmonitor.schemas.registry.SchemaRegistryUnavailableException("down", 503, null)))
                .isFalse();
    }
}
