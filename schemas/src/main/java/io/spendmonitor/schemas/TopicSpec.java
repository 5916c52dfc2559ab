package io.spendmonitor.schemas;

import org.apache.kafka.common.serialization.Serde;

import java.util.Map;

/**
 * One topic of the contract: its name, the serdes of its keys and values, and how it is kept.
 * {@code configs} are the topic-level settings it is created with (cleanup policy, retention).
 */
public record TopicSpec<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, boolean compacted,
                              Map<String, String> configs) {
    public TopicSpec {
        configs = Map.copyOf(configs);
    }
}
