package io.spendmonitor.schemas.serde;

import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryException;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes Avro records (generated specific classes or {@link org.apache.avro.generic.GenericRecord})
 * in Confluent's wire format, registering or looking up the schema in the registry.
 * Usable as a Kafka {@code value.serializer} class (configured from the client properties) or
 * constructed with a shared {@link SchemaRegistryClient}.
 */
public class AvroSerializer<T> implements Serializer<T> {
    private SchemaRegistryClient registry;
    private boolean ownsRegistry;
    private AvroSerdeConfig config = AvroSerdeConfig.defaults();
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistryClient registry, AvroSerdeConfig config, boolean isKey) {
        this.registry = registry;
        this.config = config;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        this.config = AvroSerdeConfig.fromConfig(configs);
        if (registry == null) {
            registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(configs));
            ownsRegistry = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroSerializer is not configured: no schema registry");
        }
        if (!(data instanceof GenericContainer container)) {
            throw new AvroSerdeException("undecodable", "AvroSerializer writes Avro records only, got " + data.getClass().getName());
        }
        Schema schema = container.getSchema();
        String subject = config.strategy(isKey).subject(topic, isKey, schema);
        int id;
        try {
            id = config.autoRegisterSchemas() ? registry.register(subject, schema) : registry.lookup(subject, schema);
        } catch (SchemaRegistryException e) {
            throw new AvroSerdeException(e.reason(), "cannot write " + schema.getFullName() + " to topic '" + topic
                    + "' (subject '" + subject + "'): " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        WireFormat.writeHeader(out, id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writers.computeIfAbsent(schema, s -> writerFor(data, s)).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new AvroSerdeException("undecodable", "cannot encode " + schema.getFullName() + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Object data, Schema schema) {
        if (data instanceof SpecificRecord) {
            // the generated class's own model carries its logical-type conversions (BigDecimal, Instant)
            SpecificData model = SpecificData.getForClass(data.getClass());
            return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema, model);
        }
        return new GenericDatumWriter<>(schema, GenericData.get());
    }

    @Override
    public void close() {
        if (ownsRegistry && registry != null) {
            try {
                registry.close();
            } catch (Exception ignored) {
                // closing a registry client releases nothing that matters
            }
        }
    }
}
