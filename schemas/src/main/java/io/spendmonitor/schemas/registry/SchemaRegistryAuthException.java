package io.spendmonitor.schemas.registry;

/** The registry refused our credentials (401) or our rights (403). Retrying will not help. */
public class SchemaRegistryAuthException extends SchemaRegistryException {
    public SchemaRegistryAuthException(String message, int httpStatus, int errorCode) {
        super(message, httpStatus, errorCode);
    }

    @Override
    public String reason() {
        return "registry-auth";
    }
}
