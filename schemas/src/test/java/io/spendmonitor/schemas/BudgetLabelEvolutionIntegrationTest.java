package io.spendmonitor.schemas;

import io.spendmonitor.avro.TeamBudget;
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
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TeamBudget v2 adds {@code label} (optional map, default null): a budget of the calls carrying one
 * label. Through the real registry under BACKWARD: a tool still on v1 and one on v2 write budgets
 * to the same topic, and a v2 reader reads both (the v1 budget as a team budget).
 */
@ExtendWith(KafkaClusterExtension.class)
class BudgetLabelEvolutionIntegrationTest {
    private final KafkaCluster cluster;

    BudgetLabelEvolutionIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void aV1TeamBudgetAndAV2LabelBudgetShareATopicAndBothAreRead() throws Exception {
        String topic = "it-budget-label-" + UUID.randomUUID();
        cluster.createTopics(1, topic);
        RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        registry.setCompatibility(topic + "-value", "BACKWARD");
        Schema v1 = SchemaEvolution.without(TeamBudget.getClassSchema(), Set.of("label"));
        assertThat(v1.getField("label")).isNull();
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl());
        TeamBudget team = TeamBudget.newBuilder().setTeam("search").setEffectiveFrom(Instant.parse("2026-11-01T00:00:00Z")).build();
        TeamBudget label = TeamBudget.newBuilder(team).setDailyUsd(new BigDecimal("50.000000000"))
                .setLabel(Map.of("customer", "acme")).build();

        try (KafkaProducer<String, GenericRecord> oldTool = new KafkaProducer<>(producerConfig);
             KafkaProducer<String, TeamBudget> newTool = new KafkaProducer<>(producerConfig)) {
            oldTool.send(new ProducerRecord<>(topic, BudgetKeys.key(team), SchemaEvolution.oldRecord(v1, team))).get();
            newTool.send(new ProducerRecord<>(topic, BudgetKeys.key(label), label)).get();
        }

        List<byte[]> raw = SchemaEvolution.readRaw(cluster, topic, 2);
        assertThat(WireFormat.schemaId(raw.get(0))).isNotEqualTo(WireFormat.schemaId(raw.get(1)));
        AvroDeserializer<TeamBudget> reader = new AvroDeserializer<>(registry, TeamBudget.class);
        List<TeamBudget> read = raw.stream().map(bytes -> reader.deserialize(topic, bytes)).toList();
        assertThat(read.get(0).getTeam()).isEqualTo("search");
        assertThat(read.get(0).getLabel()).isNull();
        assertThat(BudgetKeys.label(read.get(0))).isNull();
        assertThat(read.get(1)).isEqualTo(label);
        assertThat(BudgetKeys.key(read.get(1))).isEqualTo("search\u001Fcustomer=acme");
    }
}
