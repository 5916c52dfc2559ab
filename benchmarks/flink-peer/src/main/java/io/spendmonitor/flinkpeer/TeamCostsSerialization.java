package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** A team window as the topology writes it: keyed by team, Avro through the registry, stamped window end - 1. */
final class TeamCostsSerialization implements KafkaRecordSerializationSchema<TeamCostWindow> {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private final String registryUrl;
    private transient AvroSerializer<TeamCostWindow> values;

    TeamCostsSerialization(String topic, String registryUrl) {
        this.topic = topic;
        this.registryUrl = registryUrl;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        values = new AvroSerializer<>(RestSchemaRegistryClient.forUrl(registryUrl), AvroSerdeConfig.defaults(), false);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(TeamCostWindow w, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, w.getTeam().getBytes(StandardCharsets.UTF_8),
                values.serialize(topic, w));
    }
}
