package io.spendmonitor.schemas.registry;

/** The registry refused a schema because it breaks the subject's compatibility rule (BACKWARD by default). */
public class IncompatibleSchemaException extends SchemaRegistryException {
    private final String subject;

    public IncompatibleSchemaException(String subject, String registryMessage, int httpStatus, int errorCode) {
        super("schema for subject '" + subject + "' is incompatible with its earlier versions"
                + (registryMessage == null || registryMessage.isBlank() ? "" : ": " + registryMessage)
                + " (new fields need defaults; fields cannot change type)", httpStatus, errorCode);
        this.subject = subject;
    }

    public String subject() {
        return subject;
    }

    @Override
    public String reason() {
        return "incompatible-schema";
    }
}
