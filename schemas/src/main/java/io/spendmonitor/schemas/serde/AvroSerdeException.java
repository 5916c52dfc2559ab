package io.spendmonitor.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that could not be turned into a record, or a record that could not be turned into bytes.
 * {@link #reason()} is a short stable code (for the dead-letter reason header and metrics):
 * {@code undecodable}, {@code unknown-schema-id}, {@code wrong-schema}, {@code registry-unavailable},
 * {@code incompatible-schema}, {@code registry-auth}, {@code registry-tls}, {@code registry-error}.
 */
public class AvroSerdeException extends SerializationException {
    private final String reason;

    public AvroSerdeException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public AvroSerdeException(String reason, String message) {
        this(reason, message, null);
    }

    public String reason() {
        return reason;
    }

    /**
     * True when the failure is the registry's (unreachable) or our access to it (refused credentials, a
     * failed TLS handshake), not the data's: every other record would fail the same way, so stop or
     * retry later rather than dead-letter.
     */
    public boolean isTransient() {
        return reason.equals("registry-unavailable") || reason.equals("registry-auth") || reason.equals("registry-tls");
    }
}
