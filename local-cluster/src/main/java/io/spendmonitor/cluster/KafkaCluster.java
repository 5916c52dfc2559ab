package io.spendmonitor.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A running Kafka cluster plus a schema registry speaking Confluent's REST API. Either
 * {@link LocalCluster} (in-JVM broker + registry child process) or {@link ContainerCluster}
 * (Testcontainers); {@link KafkaClusters#start()} picks one.
 */
public interface KafkaCluster extends AutoCloseable {

    /** {@code bootstrap.servers} for clients, e.g. {@code 127.0.0.1:40123}. */
    String bootstrapServers();

    /** {@code schema.registry.url} for serdes, e.g. {@code http://127.0.0.1:40124/apis/ccompat/v7}. */
    String schemaRegistryUrl();

    /** {@code "embedded"} or {@code "testcontainers"}. */
    String kind();

    /** One human-readable line saying what runs where. */
    String describe();

    /**
     * Creates topics with the given partition count and topic configs, and the cluster's default
     * replication factor (1 on one broker, 3 on three or more).
     */
    default void createTopics(int partitions, Map<String, String> configs, String... names) {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(new NewTopic(name, java.util.Optional.of(partitions), java.util.Optional.empty()).configs(configs));
        }
        createTopics(topics);
    }

    /** Creates topics with the given partition count and default configs. */
    default void createTopics(int partitions, String... names) {
        createTopics(partitions, Map.of(), names);
    }

    /** Creates the given topics and waits until the controller has created them all. */
    default void createTopics(List<NewTopic> topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("could not create topics "
                    + Arrays.toString(topics.stream().map(NewTopic::name).toArray()) + ": " + cause, cause);
        }
    }

    /** Stops everything and removes temporary files; idempotent. */
    @Override
    void close();
}
