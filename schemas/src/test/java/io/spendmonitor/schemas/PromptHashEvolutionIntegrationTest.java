package io.spendmonitor.schemas;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TokenUsage v3 adds {@code prompt_hash} (optional string, default null). Through the real registry
 * under BACKWARD: a producer still on v2 and one on v3 write to the same topic, before and after each
 * other, and a v3 consumer reads every record (v2 records without a hash).
 */
@ExtendWith(KafkaClusterExtension.class)
class PromptHashEvolutionIntegrationTest {
    private final KafkaCluster cluster;

    PromptHashEvolutionIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aV2ProducerAndAV3ProducerShareATopicAndBothAreRead() throws Exception {
        String topic = "it-prompt-hash-" + UUID.randomUUID();
        cluster.createTopics(1, topic);
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        registry.setCompatibility(topic + "-value", "BACKWARD");
        Schema v1 = SchemaEvolution.without(TokenUsage.getClassSchema(), java.util.Set.of("prompt_hash"));
        assertThat(v1.getField("prompt_hash")).isNull();
        assertThat(v1.getField("labels")).isNotNull();
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl());

        TokenUsage labelled = TokenUsage.newBuilder(Fixtures.tokenUsage("new-1"))
                .setPromptHash("ae67335d42044eb931506543fa22760daf315b49dfd4a573a68c689f69e43822").build();
        try (KafkaProducer<String, GenericRecord> oldProducer = new KafkaProducer<>(producerConfig);
             KafkaProducer<String, TokenUsage> newProducer = new KafkaProducer<>(producerConfig)) {
            // the old service first registers v2, the upgraded one then registers v3, the old one keeps writing
            oldProducer.send(new ProducerRecord<>(topic, "search", SchemaEvolution.oldRecord(v1, Fixtures.tokenUsage("old-1")))).get();
            newProducer.send(new ProducerRecord<>(topic, "search", labelled)).get();
            RecordMetadata last = oldProducer.send(new ProducerRecord<>(topic, "search", SchemaEvolution.oldRecord(v1, Fixtures.tokenUsage("old-2")))).get();
            assertThat(last.offset()).isEqualTo(2);
        }

        List<byte[]> raw = SchemaEvolution.readRaw(cluster, topic, 3);
        AvroDeserializer<TokenUsage> reader = new AvroDeserializer<>(registry, TokenUsage.class);
        List<TokenUsage> read = raw.stream().map(bytes -> reader.deserialize(topic, bytes)).toList();

        // two schema ids on one topic: v1 (records 1 and 3) and v2 (record 2)
        assertThat(WireFormat.schemaId(raw.get(0))).isEqualTo(WireFormat.schemaId(raw.get(2)))
                .isNotEqualTo(WireFormat.schemaId(raw.get(1)));
        assertThat(read).extracting(TokenUsage::getEventId).containsExactly("old-1", "new-1", "old-2");
        assertThat(read.get(0).getPromptHash()).isNull();
        assertThat(read.get(1).getPromptHash()).isEqualTo("ae67335d42044eb931506543fa22760daf315b49dfd4a573a68c689f69e43822");
        assertThat(read.get(2).getPromptHash()).isNull();
        assertThat(read.get(0).getCachedInputTokens()).isEqualTo(1024);
        assertThat(read.get(1)).isEqualTo(labelled);
    }
}
