package io.spendmonitor.cluster;

import java.time.Duration;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Kafka and Confluent's Schema Registry in Docker containers, via Testcontainers. Needs a Docker engine and
 * the (optional) Testcontainers dependencies; {@link KafkaClusters#start()} only picks it when both are there.
 */
public final class ContainerCluster implements KafkaCluster {

    public static final String KIND = "testcontainers";
    public static final String DEFAULT_KAFKA_IMAGE = "apache/kafka:4.1.0";
    public static final String DEFAULT_REGISTRY_IMAGE = "confluentinc/cp-schema-registry:7.9.0";

    private static final String KAFKA_ALIAS = "kafka";
    private static final int KAFKA_INTERNAL_PORT = 19092;
    private static final int REGISTRY_PORT = 8081;

    private final Network network;
    private final KafkaContainer kafka;
    private final GenericContainer<?> registry;
    private final String kafkaImage;
    private final String registryImage;
    private boolean closed;

    private ContainerCluster(Network network, KafkaContainer kafka, GenericContainer<?> registry,
                             String kafkaImage, String registryImage) {
        this.network = network;
        this.kafka = kafka;
        this.registry = registry;
        this.kafkaImage = kafkaImage;
        this.registryImage = registryImage;
    }

    /** Whether Testcontainers finds a Docker engine; false on any failure, including missing classes. */
    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) { // NoClassDefFoundError when Testcontainers is not on the classpath
            return false;
        }
    }

    public static ContainerCluster start() {
        return start(DEFAULT_KAFKA_IMAGE, DEFAULT_REGISTRY_IMAGE);
    }

    public static ContainerCluster start(String kafkaImage, String registryImage) {
        if (!dockerAvailable()) {
            throw new IllegalStateException("Testcontainers finds no Docker engine; use the embedded cluster ("
                    + KafkaClusters.CHOICE + "=" + LocalCluster.KIND + " or unset " + KafkaClusters.CHOICE + ")");
        }
        Network network = Network.newNetwork();
        KafkaContainer kafka = new KafkaContainer(DockerImageName.parse(kafkaImage))
                .withNetwork(network)
                .withNetworkAliases(KAFKA_ALIAS)
                // a listener the registry container reaches by alias on the shared network
                .withListener(KAFKA_ALIAS + ":" + KAFKA_INTERNAL_PORT)
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withEnv("KAFKA_NUM_PARTITIONS", "6")
                // retention enforced within a second, as on the embedded broker (EmbeddedKafkaBroker)
                .withEnv("KAFKA_LOG_RETENTION_CHECK_INTERVAL_MS", "1000");
        GenericContainer<?> registry = new GenericContainer<>(DockerImageName.parse(registryImage))
                .withNetwork(network)
                .withNetworkAliases("schema-registry")
                .withExposedPorts(REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:" + REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS",
                        "PLAINTEXT://" + KAFKA_ALIAS + ":" + KAFKA_INTERNAL_PORT)
                .dependsOn(kafka)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(2)));
        ContainerCluster cluster = new ContainerCluster(network, kafka, registry, kafkaImage, registryImage);
        try {
            registry.start(); // starts kafka first (dependsOn)
            EmbeddedSchemaRegistry.putCompatibility(cluster.schemaRegistryUrl(), "BACKWARD");
            return cluster;
        } catch (RuntimeException e) {
            try {
                cluster.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public String bootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public String schemaRegistryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(REGISTRY_PORT);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String describe() {
        return "Kafka (" + kafkaImage + ") at " + bootstrapServers()
                + " + Confluent Schema Registry (" + registryImage + ") at " + schemaRegistryUrl();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            registry.stop();
            kafka.stop();
        } finally {
            network.close();
        }
    }

    @Override
    public String toString() {
        return kind() + ": " + describe();
    }
}
