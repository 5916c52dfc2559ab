package io.spendmonitor.schemas.registry;

/**
 * A Schema Registry call failed. Subclasses name the failures a caller acts on differently;
 * {@link #reason()} is a short stable code used in dead-letter headers and metric labels.
 */
public class SchemaRegistryException extends RuntimeException {
    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, int httpStatus, int errorCode) {
        this(message, httpStatus, errorCode, null);
    }

    /** HTTP status of the registry's answer, or -1 when none came. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's error_code (Confluent: 40403 unknown schema, 409 incompatible, ...); -1 when absent. */
    public int errorCode() {
        return errorCode;
    }

    public String reason() {
        return "registry-error";
    }
}
