package io.spendmonitor.streams;

import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.schemas.Topics;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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
}
