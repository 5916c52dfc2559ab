package io.spendmonitor.schemas.registry;

/** The registry could not be reached, or kept answering 5xx, after every retry. Retryable later. */
public class SchemaRegistryUnavailableException extends SchemaRegistryException {
    public SchemaRegistryUnavailableException(String message, int httpStatus, Throwable cause) {
        super(message, httpStatus, -1, cause);
    }

    @Override
    public String reason() {
        return "registry-unavailable";
    }
}
