package io.spendmonitor.schemas.serde;

import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Kafka {@link Serde} of Confluent-framed Avro, for one generated class or for generic records. */
public final class AvroSerde<T> implements Serde<T> {
    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    public static <T extends SpecificRecord> AvroSerde<T> specific(Class<T> type, SchemaRegistryClient registry,
                                                                   AvroSerdeConfig config, boolean isKey) {
        return new AvroSerde<>(new AvroSerializer<>(registry, config, isKey), new AvroDeserializer<>(registry, type));
    }

    public static <T extends SpecificRecord> AvroSerde<T> specificValue(Class<T> type, SchemaRegistryClient registry) {
        return specific(type, registry, AvroSerdeConfig.defaults(), false);
    }

    public static AvroSerde<GenericRecord> generic(SchemaRegistryClient registry, AvroSerdeConfig config, boolean isKey) {
        return new AvroSerde<>(new AvroSerializer<>(registry, config, isKey), new AvroDeserializer<>(registry, null));
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
