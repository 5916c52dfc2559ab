package io.spendmonitor.schemas.registry;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API that the serdes and tools need. Implementations
 * cache: a schema registered or looked up once is not asked for again.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} under {@code subject}, without registering it. */
    int lookup(String subject, Schema schema);

    /** The schema with this global id. */
    Schema getById(int id);

    /** The latest version registered under {@code subject}. */
    RegisteredSchema latest(String subject);

    /** Sets the compatibility level of one subject, or the global default when subject is null. */
    void setCompatibility(String subject, String level);

    @Override
    default void close() {
    }

    /** A schema as the registry holds it. */
    record RegisteredSchema(String subject, int id, int version, Schema schema) {
    }
}
