package io.spendmonitor.schemas.serde;

import java.util.Map;

/** Serde settings, named as Confluent's serdes name them so existing client configs carry over. */
public record AvroSerdeConfig(boolean autoRegisterSchemas, SubjectNameStrategy keySubjectStrategy,
                              SubjectNameStrategy valueSubjectStrategy) {
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

    public static AvroSerdeConfig defaults() {
        return new AvroSerdeConfig(true, SubjectNameStrategy.TOPIC, SubjectNameStrategy.TOPIC);
    }

    public static AvroSerdeConfig fromConfig(Map<String, ?> config) {
        Object auto = config.get(AUTO_REGISTER_SCHEMAS);
        boolean autoRegister = auto == null || parseBoolean(auto.toString());
        return new AvroSerdeConfig(autoRegister,
                SubjectNameStrategy.parse(string(config.get(KEY_SUBJECT_NAME_STRATEGY))),
                SubjectNameStrategy.parse(string(config.get(VALUE_SUBJECT_NAME_STRATEGY))));
    }

    public SubjectNameStrategy strategy(boolean isKey) {
        return isKey ? keySubjectStrategy : valueSubjectStrategy;
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }

    private static boolean parseBoolean(String value) {
        return switch (value.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + AUTO_REGISTER_SCHEMAS + "' must be true or false, got '" + value + "'");
        };
    }
}
