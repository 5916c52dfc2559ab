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
 * TokenUsage v2 adds {@code labels} (map, default {}). Through the real registry under BACKWARD: a
 * producer still on v1 and one on v2 write to the same topic, before and after each other, and a v2
 * consumer reads every record (v1 records with empty labels).
 */
@ExtendWith(KafkaClusterExtension.class)
class LabelsEvolutionIntegrationTest {
    private final KafkaCluster cluster;

    LabelsEvolutionIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aV1ProducerAndAV2ProducerShareATopicAndBothAreRead() throws Exception {
        String topic = "it-labels-" + UUID.randomUUID();
        cluster.createTopics(1, topic);
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        registry.setCompatibility(topic + "-value", "BACKWARD");
        Schema v1 = SchemaEvolution.without(TokenUsage.getClassSchema(), java.util.Set.of("labels"));
        assertThat(v1.getField("labels")).isNull();
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl());

        TokenUsage labelled = TokenUsage.newBuilder(Fixtures.tokenUsage("v2-1"))
                .setLabels(Map.of("customer", "acme", "feature", "search-box")).build();
        try (KafkaProducer<String, GenericRecord> oldProducer = new KafkaProducer<>(producerConfig);
             KafkaProducer<String, TokenUsage> newProducer = new KafkaProducer<>(producerConfig)) {
            // the old service first registers v1, the upgraded one then registers v2, the old one keeps writing
            oldProducer.send(new ProducerRecord<>(topic, "search", SchemaEvolution.oldRecord(v1, Fixtures.tokenUsage("v1-1")))).get();
            newProducer.send(new ProducerRecord<>(topic, "search", labelled)).get();
            RecordMetadata last = oldProducer.send(new ProducerRecord<>(topic, "search", SchemaEvolution.oldRecord(v1, Fixtures.tokenUsage("v1-2")))).get();
            assertThat(last.offset()).isEqualTo(2);
        }

        List<byte[]> raw = SchemaEvolution.readRaw(cluster, topic, 3);
        AvroDeserializer<TokenUsage> reader = new AvroDeserializer<>(registry, TokenUsage.class);
        List<TokenUsage> read = raw.stream().map(bytes -> reader.deserialize(topic, bytes)).toList();

        // two schema ids on one topic: v1 (records 1 and 3) and v2 (record 2)
        assertThat(WireFormat.schemaId(raw.get(0))).isEqualTo(WireFormat.schemaId(raw.get(2)))
                .isNotEqualTo(WireFormat.schemaId(raw.get(1)));
        assertThat(read).extracting(TokenUsage::getEventId).containsExactly("v1-1", "v2-1", "v1-2");
        assertThat(read.get(0).getLabels()).isEmpty();
        assertThat(read.get(1).getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of("customer", "acme", "feature", "search-box"));
        assertThat(read.get(2).getLabels()).isEmpty();
        assertThat(read.get(0).getCachedInputTokens()).isEqualTo(1024);
        assertThat(read.get(1)).isEqualTo(labelled);
    }
}
