package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.config.SpendConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class SpendStreamsConfigTest {
    private static final String PREFIXED = StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG);

    private static Map<String, Object> producerConfig(Map<String, Object> user) {
        Properties props = SpendStreamsConfig.properties(SpendConfig.of(user), SpendListener.NONE);
        // what Kafka Streams gives its producers, prefixed settings over plain ones
        return new StreamsConfig(props).getProducerConfigs("client");
    }

    private static Map<String, Object> base() {
        return new java.util.HashMap<>(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "app", StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092"));
    }

    @Test
    void theProducersCompressWithLz4ByDefault() {
        assertThat(producerConfig(base())).containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    }

    @Test
    void theProducersBatchUpTo256KiBUnlessTheUserSaysOtherwise() {
        assertThat(producerConfig(base())).containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        Map<String, Object> plain = base();
        plain.put(ProducerConfig.BATCH_SIZE_CONFIG, 32_768);
        assertThat(producerConfig(plain)).containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 32_768);
    }

    @Test
    void aCompressionTheUserChoseWinsWithOrWithoutThePrefix() {
        Map<String, Object> plain = base();
        plain.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        assertThat(producerConfig(plain)).containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        Map<String, Object> prefixed = base();
        prefixed.put(PREFIXED, "none");
        assertThat(producerConfig(prefixed)).containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    }
}
