package io.spendmonitor.schemas;

import io.spendmonitor.schemas.serde.AvroSerdeConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers every tool that builds Kafka clients from spend-monitor's merged configuration shares. */
public final class ClientConfigs {
    private ClientConfigs() {
    }

    /**
     * The Kafka client part of a configuration: spend.*, the registry's and the serdes' settings and
     * any key/value serializer classes left out (TLS, SASL and everything else kept).
     */
    public static Map<String, Object> kafkaProperties(Map<String, ?> config) {
        Map<String, Object> p = new LinkedHashMap<>();
        config.forEach((k, v) -> {
            if (!k.startsWith("spend.") && !k.startsWith("schema.registry.") && !k.startsWith("basic.auth.")
                    && !k.startsWith("bearer.auth.") && !k.equals(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS)
                    && !k.endsWith(".subject.name.strategy") && !k.startsWith("specific.avro.")
                    && !k.equals("key.serializer") && !k.equals("value.serializer")) {
                p.put(k, v);
            }
        });
        return p;
    }

    /** A message for people from a client exception: its message and its causes', each once. */
    public static String messageOf(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !s.toString().contains(m)) {
                s.append(s.length() == 0 ? "" : ": ").append(m);
            }
        }
        return s.length() == 0 ? e.getClass().getSimpleName() : s.toString();
    }
}
