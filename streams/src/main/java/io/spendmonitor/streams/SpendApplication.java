package io.spendmonitor.streams;

import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.topology.SpendListener;
import io.spendmonitor.streams.topology.SpendStreamsConfig;
import io.spendmonitor.streams.topology.SpendTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import io.spendmonitor.streams.topology.CommittedSpend;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The spend topology as a running Kafka Streams application: creates missing topics (unless told
 * not to), starts, and closes cleanly. {@code main} of the {@code run} command wires this.
 */
public final class SpendApplication implements AutoCloseable {
    /** Create missing topics at start (default true); partitions of the event topics when it does. */
    public static final String CREATE_TOPICS = "spend.topics.create";
    public static final String TOPIC_PARTITIONS = "spend.topics.partitions";
    public static final String TOPIC_REPLICATION = "spend.topics.replication-factor";

    private static final Logger log = LoggerFactory.getLogger(SpendApplication.class);

    private final SpendConfig config;
    private final SchemaRegistryClient registry;
    private final Topics topics;
    private final PriceCatalog catalog = new PriceCatalog();
    private final Topology topology;
    private final KafkaStreams streams;
    private final ThreadRecovery recovery;

    public SpendApplication(SpendConfig config, SpendListener listener) {
        this(config, listener, new CommittedSpend());
    }

    /** @param committed where the live spend of this instance's teams is published once committed (for the metrics) */
    public SpendApplication(SpendConfig config, SpendListener listener, CommittedSpend committed) {
        this.config = config;
        this.registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config.asMap()));
        this.topics = Topics.fromConfig(config.asMap(), registry);
        this.topology = SpendTopology.build(config, topics, catalog, listener, System::currentTimeMillis, committed);
        Properties props = SpendStreamsConfig.properties(config, listener);
        this.streams = new KafkaStreams(topology, props, new Clients(committed));
        this.recovery = ThreadRecovery.fromConfig(config.asMap());
        streams.setUncaughtExceptionHandler(recovery);
    }

    /** Kafka's own clients; each stream thread's producer tells {@link CommittedSpend} when its transactions commit. */
    private record Clients(CommittedSpend committed) implements KafkaClientSupplier {
        @Override
        public Admin getAdmin(Map<String, Object> config) {
            return Admin.create(config);
        }

        @Override
        public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
            return committed.transactional(new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()),
                    config.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG) != null);
        }

        @Override
        public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
            return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        @Override
        public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
            return getConsumer(config);
        }

        @Override
        public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
            return getConsumer(config);
        }
    }

    public Topics topics() {
        return topics;
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** What a failed stream thread does to this instance, and how often it happened. */
    public ThreadRecovery threadRecovery() {
        return recovery;
    }

    public PriceCatalog catalog() {
        return catalog;
    }

    public SpendConfig config() {
        return config;
    }

    /** Creates missing topics (when enabled) and starts processing. */
    public void start() {
        if (!"false".equalsIgnoreCase(config.string(CREATE_TOPICS))) {
            createMissingTopics();
        }
        streams.start();
    }

    void createMissingTopics() {
        Map<String, Object> adminConfig = new HashMap<>();
        config.asMap().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                adminConfig.put(k, v);
            }
        });
        int partitions = Integer.parseInt(String.valueOf(config.asMap().getOrDefault(TOPIC_PARTITIONS, "6")));
        short replication = Short.parseShort(String.valueOf(config.asMap().getOrDefault(TOPIC_REPLICATION, "1")));
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec<?, ?> spec : topics.all()) {
                if (!existing.contains(spec.name())) {
                    missing.add(topics.newTopic(spec, partitions, java.util.Optional.of(replication)));
                }
            }
            if (!missing.isEmpty()) {
                log.info("creating topics {}", missing.stream().map(NewTopic::name).toList());
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            stampOnAppend(admin, existing);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot check or create the spend-monitor topics: " + e.getMessage(), e);
        }
    }

    /**
     * Topics made by an older version keep event time as their records' timestamps, which the broker's
     * retention deletes by (a backfill's results were gone minutes after they were written): the
     * results topics and the window stores' changelogs that exist already are switched to the
     * broker's clock ({@link Topics#TIMESTAMP_TYPE}). Without the right to alter them, it says what to run.
     */
    private void stampOnAppend(Admin admin, Set<String> existing) throws InterruptedException {
        List<String> names = new ArrayList<>();
        for (TopicSpec<?, ?> spec : topics.all()) {
            if (Topics.APPEND_TIME.equals(spec.configs().get(Topics.TIMESTAMP_TYPE)) && existing.contains(spec.name())) {
                names.add(spec.name());
            }
        }
        Object appId = config.asMap().get("application.id");
        for (String store : SpendTopology.APPEND_TIME_STORES) {
            String changelog = appId + "-" + store + "-changelog";
            if (existing.contains(changelog)) {
                names.add(changelog);
            }
        }
        if (names.isEmpty()) {
            return;
        }
        List<ConfigResource> stale = new ArrayList<>();
        try {
            var described = admin.describeConfigs(names.stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                    .toList()).all().get(30, TimeUnit.SECONDS);
            described.forEach((resource, topicConfig) -> {
                var type = topicConfig.get(Topics.TIMESTAMP_TYPE);
                if (type == null || !Topics.APPEND_TIME.equals(type.value())) {
                    stale.add(resource);
                }
            });
            if (stale.isEmpty()) {
                return;
            }
            Map<ConfigResource, Collection<AlterConfigOp>> ops = new HashMap<>();
            stale.forEach(r -> ops.put(r, List.of(new AlterConfigOp(
                    new ConfigEntry(Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME),
                    AlterConfigOp.OpType.SET))));
            admin.incrementalAlterConfigs(ops).all().get(30, TimeUnit.SECONDS);
            log.info("{}={} set on {}: their records carry event time, which retention would delete by",
                    Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME, stale.stream().map(ConfigResource::name).toList());
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            log.warn("could not check or set {}={} on {} ({}); records of back-dated events may be deleted by retention "
                            + "before they are read: run kafka-configs.sh --alter --entity-type topics --entity-name <topic> "
                            + "--add-config {}={} for each", Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME,
                    stale.isEmpty() ? names : stale.stream().map(ConfigResource::name).toList(),
                    cause.toString(), Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public void close(Duration timeout) {
        streams.close(timeout);
        registry.close();
    }
}
