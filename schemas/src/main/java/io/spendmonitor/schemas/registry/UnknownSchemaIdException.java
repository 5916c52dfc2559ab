package io.spendmonitor.schemas.registry;

/** The registry has no schema with this id: the bytes were written against another registry, or are not ours. */
public class UnknownSchemaIdException extends SchemaRegistryException {
    private final int schemaId;

    public UnknownSchemaIdException(int schemaId, int httpStatus, int errorCode) {
        super("schema id " + schemaId + " is unknown to the schema registry", httpStatus, errorCode);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }

    @Override
    public String reason() {
        return "unknown-schema-id";
    }
}
