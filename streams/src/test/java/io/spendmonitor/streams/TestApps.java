package io.spendmonitor.streams;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** The settings a test's own instance of the app needs on the shared test cluster. */
final class TestApps {
    private TestApps() {
    }

    /**
     * Brokers and registry of {@code cluster}; topics, and the application id {@code prefix + appName},
     * under {@code prefix} (so tests sharing the cluster never meet); state in {@code stateDir};
     * {@code partitions} partitions for the topics the app creates. A mutable map: tests add to it.
     */
    static Map<String, Object> config(KafkaCluster cluster, String prefix, String appName, Path stateDir, int partitions) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put("application.id", prefix + appName);
        config.put("state.dir", stateDir.toString());
        config.put(Topics.PREFIX_CONFIG, prefix);
        config.put(SpendApplication.TOPIC_PARTITIONS, String.valueOf(partitions));
        return config;
    }

    /**
     * A consumer of team windows as a downstream reader sees them: committed transactions only
     * (read_committed), from the earliest record, in a group of its own. Not yet subscribed.
     */
    static KafkaConsumer<String, TeamCostWindow> costsConsumer(KafkaCluster cluster) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "costs-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, TeamCostWindow.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()));
    }
}
