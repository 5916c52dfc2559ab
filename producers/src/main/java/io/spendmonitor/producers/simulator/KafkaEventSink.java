package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.producers.catalog.DefaultPriceCatalog;
import io.spendmonitor.producers.jsonl.AdminTopicCheck;
import io.spendmonitor.producers.jsonl.Destination;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventLinePublisher;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.PublishResult;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Sends simulated events with one plain idempotent {@link KafkaProducer} ({@code acks=all}, lz4,
 * batched) and our {@link AvroSerializer}, keyed by team.
 *
 * <p>Not {@link io.spendmonitor.producers.client.SpendPublisher}: that one is built for services,
 * which it must never hold up, so it drops events when Kafka falls behind. A load generator wants the
 * opposite: back-pressure. {@code send} blocks while the producer's buffer is full, the simulation
 * falls behind its schedule (the progress line says by how much) and every event still arrives, so the
 * costs the topology computes are the scenario's. One producer also carries the price catalog and
 * the budgets, which the publisher does not publish.
 */
final class KafkaEventSink implements EventSink {
    static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    static final int DEFAULT_PARTITIONS = 6;

    private final SchemaRegistryClient registry;
    private final Topics topics;
    private final Producer<String, Object> producer;
    private final Admin admin;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();

    /** {@code admin} may be null in tests that check no topic. */
    KafkaEventSink(SchemaRegistryClient registry, Topics topics, Producer<String, Object> producer, Admin admin) {
        this.registry = registry;
        this.topics = topics;
        this.producer = producer;
        this.admin = admin;
    }

    /** Clients for {@code config}: Kafka client properties, schema.registry.*, spend.topic.prefix. */
    static KafkaEventSink open(Map<String, Object> config) {
        if (config.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
            throw new IllegalArgumentException("no Kafka address: set bootstrap.servers");
        }
        if (config.get(SchemaRegistrySettings.URL) == null) {
            throw new IllegalArgumentException("no Schema Registry address: set schema.registry.url");
        }
        RestSchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
        KafkaProducer<String, Object> producer = null;
        try {
            Topics topics = Topics.fromConfig(config, registry);
            AvroSerializer<Object> values = new AvroSerializer<>(registry, AvroSerdeConfig.fromConfig(config), false);
            producer = new KafkaProducer<>(producerConfig(config), new StringSerializer(), values);
            Admin admin = Admin.create(adminConfig(config));
            return new KafkaEventSink(registry, topics, producer, admin);
        } catch (RuntimeException e) {
            if (producer != null) {
                producer.close(Duration.ZERO);
            }
            registry.close();
            throw e;
        }
    }

    Topics topics() {
        return topics;
    }

    /** Fails with a clear message when an input topic is missing (or creates it, with {@code createMissing}). */
    void ensureTopics(boolean createMissing, boolean budgets, Consumer<String> notes) {
        AdminTopicCheck check = new AdminTopicCheck(admin, ADMIN_TIMEOUT, createMissing, DEFAULT_PARTITIONS, notes);
        check.ensureExists(Destination.TOKEN_USAGE, topics.tokenUsage());
        check.ensureExists(Destination.GPU_UTILIZATION, topics.gpuUtilization());
        if (budgets) {
            check.ensureExists(Destination.TEAM_BUDGETS, topics.teamBudgets());
        }
    }

    /** Publishes the bundled default catalog (as {@code spend-monitor prices load} does) and waits for it. */
    void loadDefaultPrices(boolean createMissing, Consumer<String> notes) {
        AdminTopicCheck check = new AdminTopicCheck(admin, ADMIN_TIMEOUT, createMissing, DEFAULT_PARTITIONS, notes);
        EventLinePublisher publisher = EventLinePublisher.to(producer, topics, check, new EventLinePublisher.Listener() {
            @Override
            public void rejected(LineError error) {
                notes.accept("default catalog: " + error.describe());
            }
        }, null);
        PublishResult result;
        try (BufferedReader catalog = DefaultPriceCatalog.open()) {
            result = publisher.publish(catalog, new EventLineParser().acceptingOnly(EventType.pricesAndBudgets()));
        } catch (IOException e) {
            throw new SimulatorException("cannot read " + DefaultPriceCatalog.description() + ": " + e.getMessage(), e);
        }
        if (result.exitCode() != 0) {
            throw new SimulatorException("could not load " + DefaultPriceCatalog.description() + ": "
                    + (result.failure() != null ? result.failure() : result.summary()));
        }
        notes.accept("loaded " + DefaultPriceCatalog.description() + " into " + topics.priceCatalog().name() + ": "
                + result.summary());
    }

    /** Publishes the budgets and waits until Kafka has them. */
    void publishBudgets(List<TeamBudget> budgets, Consumer<String> notes) {
        for (TeamBudget budget : budgets) {
            try {
                producer.send(new ProducerRecord<>(topics.teamBudgets().name(), io.spendmonitor.schemas.BudgetKeys.key(budget), budget))
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SimulatorException("interrupted while publishing the budget of " + budget.getTeam(), e);
            } catch (ExecutionException | TimeoutException | KafkaException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                throw new SimulatorException("could not publish the budget of " + budget.getTeam() + " to "
                        + topics.teamBudgets().name() + ": " + cause.getMessage(), cause);
            }
            notes.accept("published the budget of " + budget.getTeam() + " (daily "
                    + (budget.getDailyUsd() == null ? "-" : "$" + budget.getDailyUsd().stripTrailingZeros().toPlainString())
                    + ", monthly " + (budget.getMonthlyUsd() == null ? "-" : "$" + budget.getMonthlyUsd().stripTrailingZeros().toPlainString())
                    + ") to " + topics.teamBudgets().name());
        }
    }

    /** Throws once a delivery has failed: with Kafka gone, every further send would wait max.block.ms for nothing. */
    @Override
    public void send(SimulatedEvent event) {
        throwIfFailed();
        String topic = event.isTokenUsage() ? topics.tokenUsage().name() : topics.gpuUtilization().name();
        try {
            // no record timestamp: Kafka stamps produce time; the event time is in the payload
            producer.send(new ProducerRecord<>(topic, event.team(), event.value()), (metadata, exception) -> {
                if (exception == null) {
                    acknowledged.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, "Kafka did not accept an event for " + topic + ": " + exception.getMessage());
                }
            });
        } catch (InterruptException e) {
            throw new SimulatorException("interrupted while sending to " + topic, e);
        } catch (KafkaException e) {
            // serialization (registry unreachable, schema refused) or a producer that cannot go on
            throw new SimulatorException("cannot send to " + topic + ": " + messageOf(e), e);
        }
        throwIfFailed(); // a send that waited for metadata in vain reports it to the callback, not by throwing
    }

    private void throwIfFailed() {
        String failure = firstFailure.get();
        if (failure != null) {
            throw new SimulatorException(failure);
        }
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public long acknowledged() {
        return acknowledged.get();
    }

    @Override
    public long failed() {
        return failed.get();
    }

    @Override
    public Optional<String> firstFailure() {
        return Optional.ofNullable(firstFailure.get());
    }

    @Override
    public void close() {
        try {
            producer.close(CLOSE_TIMEOUT); // sends what is buffered, waits at most that long
        } finally {
            try {
                if (admin != null) {
                    admin.close(Duration.ofSeconds(5));
                }
            } finally {
                registry.close();
            }
        }
    }

    static Map<String, Object> producerConfig(Map<String, Object> config) {
        Map<String, Object> p = kafkaProperties(config);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(128 * 1024));
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "spend-monitor-simulator");
        return p;
    }

    static Map<String, Object> adminConfig(Map<String, Object> config) {
        Map<String, Object> a = kafkaProperties(config);
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, "spend-monitor-simulator-admin");
        a.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(ADMIN_TIMEOUT.toMillis()));
        return a;
    }

    /** The Kafka client part of the configuration: our spend.* and the registry's settings left out. */
    static Map<String, Object> kafkaProperties(Map<String, Object> config) {
        return io.spendmonitor.schemas.ClientConfigs.kafkaProperties(config);
    }

    static String messageOf(Throwable e) {
        return io.spendmonitor.schemas.ClientConfigs.messageOf(e);
    }
}
