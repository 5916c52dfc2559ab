package io.spendmonitor.schemas.registry;

/**
 * The TLS handshake with the registry failed: an untrusted, expired or wrong-host certificate, or no
 * common protocol. Retrying will not help; the message carries the JDK's reason.
 */
public class SchemaRegistryTlsException extends SchemaRegistryException {
    public SchemaRegistryTlsException(String message, Throwable cause) {
        super(message, -1, -1, cause);
    }

    @Override
    public String reason() {
        return "registry-tls";
    }
}
