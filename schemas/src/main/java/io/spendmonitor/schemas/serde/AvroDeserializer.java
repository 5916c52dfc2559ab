package io.spendmonitor.schemas.serde;

import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryException;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Confluent-framed Avro. With a target class, every writer schema is resolved to that
 * class's schema (so v1 data is read by v2 code, defaults filled in); without one, records come
 * back as {@link org.apache.avro.generic.GenericRecord} in their writer's schema.
 * Failures are {@link AvroSerdeException}s whose reason says what was wrong with the bytes.
 */
public class AvroDeserializer<T> implements Deserializer<T> {
    /** Fully qualified name of the generated class to read values (or keys) as. */
    public static final String SPECIFIC_VALUE_TYPE = "specific.avro.value.type";
    public static final String SPECIFIC_KEY_TYPE = "specific.avro.key.type";

    private SchemaRegistryClient registry;
    private boolean ownsRegistry;
    private Class<? extends SpecificRecord> targetClass;
    private Schema readerSchema;
    private SpecificData specificModel;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    /** Each writer schema compiled for the length check, by schema id (as many as the readers). */
    private final Map<Integer, AvroLengthCheck.Compiled> lengthChecks = new ConcurrentHashMap<>();
    /**
     * The direct reader of each schema id written with exactly the target class's schema (see
     * {@link DirectRecordReader}); ids of other schemas have none. Filled with the readers.
     */
    private final Map<Integer, DirectRecordReader> directReaders = new ConcurrentHashMap<>();
    private boolean direct = true;
    /**
     * Each thread's decoder, configured anew for every record (Kafka Streams shares one deserializer
     * among its stream threads): a new one per record, with its buffers, was ~1.5% of a stream thread.
     */
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroDeserializer() {
    }

    /** Reads into {@code targetClass}, or generic records when it is null. */
    public AvroDeserializer(SchemaRegistryClient registry, Class<T> targetClass) {
        this.registry = registry;
        setTarget(targetClass);
    }

    @SuppressWarnings("unchecked")
    private void setTarget(Class<?> target) {
        if (target == null) {
            return;
        }
        if (!SpecificRecord.class.isAssignableFrom(target)) {
            throw new IllegalArgumentException(target.getName() + " is not a generated Avro class");
        }
        this.targetClass = (Class<? extends SpecificRecord>) target;
        this.specificModel = SpecificData.getForClass(target);
        this.readerSchema = specificModel.getSchema(target);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Object type = configs.get(isKey ? SPECIFIC_KEY_TYPE : SPECIFIC_VALUE_TYPE);
        if (type != null && targetClass == null) {
            try {
                setTarget(type instanceof Class<?> c ? c : Class.forName(type.toString()));
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("class '" + type + "' not found", e);
            }
        }
        if (registry == null) {
            registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(configs));
            ownsRegistry = true;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        int id = WireFormat.schemaId(bytes);
        DatumReader<Object> reader = readers.get(id);
        if (reader == null) {
            reader = readerFor(id, topic);
            readers.put(id, reader);
        }
        DirectRecordReader directReader = direct ? directReaders.get(id) : null;
        if (directReader != null) {
            Object record = directReader.read(bytes, WireFormat.HEADER_SIZE);
            if (record != null) {
                return (T) record;
            }
            // something unusual: the general path below reads it, or says exactly what is wrong
        }
        // lengths first: the decoder allocates what a length prefix claims before it reads the bytes
        String malformed = lengthChecks.get(id).problem(bytes, WireFormat.HEADER_SIZE);
        if (malformed != null) {
            throw new AvroSerdeException("undecodable", "bytes with schema id " + id + " in topic '" + topic
                    + "' are not valid Avro for that schema: " + malformed);
        }
        try {
            BinaryDecoder reuse = decoders.get();
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_SIZE,
                    bytes.length - WireFormat.HEADER_SIZE, reuse);
            if (decoder != reuse) {
                decoders.set(decoder);
            }
            Object record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new AvroSerdeException("undecodable", "record with schema id " + id + " has "
                        + "trailing bytes after the Avro data");
            }
            return (T) record;
        } catch (IOException | RuntimeException e) {
            if (e instanceof AvroSerdeException serdeException) {
                throw serdeException;
            }
            throw new AvroSerdeException("undecodable", "bytes with schema id " + id + " in topic '" + topic
                    + "' are not valid Avro for that schema: " + e, e);
        }
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> readerFor(int id, String topic) {
        Schema writer;
        try {
            writer = registry.getById(id);
        } catch (SchemaRegistryException e) {
            throw new AvroSerdeException(e.reason(), "cannot read record in topic '" + topic + "': " + e.getMessage(), e);
        }
        lengthChecks.put(id, AvroLengthCheck.compile(writer)); // once per id, with the reader
        if (targetClass == null) {
            return new GenericDatumReader<>(writer, writer, GenericData.get());
        }
        var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            // not cached: a later registry fix or another id must not be shadowed by this failure
            throw new AvroSerdeException("wrong-schema", "record in topic '" + topic + "' was written as "
                    + writer.getFullName() + " (schema id " + id + "), which cannot be read as "
                    + readerSchema.getFullName() + ": " + compatibility.getDescription());
        }
        if (writer.equals(readerSchema)) {
            DirectRecordReader directReader = DirectRecordReader.compile(readerSchema, specificModel);
            if (directReader != null) {
                directReaders.put(id, directReader);
            }
        }
        return (DatumReader<Object>) (DatumReader<?>) new SpecificDatumReader<>(writer, readerSchema, specificModel);
    }

    /** Whether records may be read by the direct reader (the default); false reads every one through Avro. For tests. */
    void direct(boolean enabled) {
        this.direct = enabled;
    }

    /** Whether records of {@code schemaId} have a direct reader (once one of them was read). For tests. */
    boolean hasDirectReader(int schemaId) {
        return directReaders.containsKey(schemaId);
    }

    @Override
    public void close() {
        if (ownsRegistry && registry != null) {
            try {
                registry.close();
            } catch (Exception ignored) {
                // nothing to release
            }
        }
    }
}
