package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.config.SpendConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Map;
import java.util.Properties;

/** Kafka Streams properties for the spend topology: the user's config wins, defaults fill in. */
public final class SpendStreamsConfig {
    private SpendStreamsConfig() {
    }

    public static Properties properties(SpendConfig config, SpendListener listener) {
        Properties props = new Properties();
        for (Map.Entry<String, Object> e : config.asMap().entrySet()) {
            props.put(e.getKey(), e.getValue());
        }
        props.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
        props.putIfAbsent(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, org.apache.kafka.common.serialization.Serdes.StringSerde.class);
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // results are minute windows: a transaction a second (exactly-once's default is 100 ms) costs
        // nothing a user sees and cuts the commit overhead per event several times
        props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        // changelogs and results compressed: the team windows and states are repetitive (model names,
        // small numbers in wide fields), lz4 sends 2.4 times fewer bytes to the broker (bench: 50 -> 21
        // bytes an event) and a restore reads as many fewer back. A compression the user chose wins,
        // also one given without the producer prefix (a prefixed default would override it).
        if (!props.containsKey(ProducerConfig.COMPRESSION_TYPE_CONFIG)) {
            props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        }
        // and in batches of up to 256 KiB: each new batch sets up its own compressor (lz4's buffers,
        // 128 KiB), which at the 16 KiB default was ~3 % of the stream thread; a commit sends what it
        // has anyway, so larger batches only mean fewer of them (and fewer for the broker to take in)
        if (!props.containsKey(ProducerConfig.BATCH_SIZE_CONFIG)) {
            props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
        }
        // changelogs carry event time, which may be ahead of the broker's clock (see Topics)
        props.putIfAbsent(StreamsConfig.topicPrefix(io.spendmonitor.schemas.Topics.FUTURE_TIMESTAMPS), String.valueOf(Long.MAX_VALUE));
        // every RocksDB store shares one bounded cache (memtables included): memory does not grow with state
        props.putIfAbsent(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        BoundedRocksDbMemory.memoryMb(config.asMap().get(BoundedRocksDbMemory.MEMORY_MB)); // fail fast on a bad value
        props.put(DeadLetterHandlers.LISTENER_CONFIG, listener);
        return props;
    }
}
