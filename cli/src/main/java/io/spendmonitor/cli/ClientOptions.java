package io.spendmonitor.cli;

import io.spendmonitor.streams.config.ConfigKeys;
import io.spendmonitor.streams.config.SpendConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options every command that talks to Kafka shares. Precedence, lowest first: the config
 * file, the environment ({@code SPEND_WINDOW_GRACE} for {@code spend.window.grace}, for every
 * setting; {@code SPEND_BOOTSTRAP_SERVERS}, {@code SPEND_SCHEMA_REGISTRY}), {@code -X key=value},
 * then {@code --bootstrap-servers} / {@code --schema-registry} (a command's own options go above).
 * Any Kafka client property (TLS, SASL, ...) passes through to every client the command makes;
 * an unknown {@code spend.*} key is a usage error naming the nearest known one.
 */
public final class ClientOptions {
    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (env SPEND_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry"}, paramLabel = "URL",
            description = "Schema Registry URL (env SPEND_SCHEMA_REGISTRY).")
    String schemaRegistry;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file: Kafka client properties (security.protocol, sasl.*, ssl.*), "
                    + "schema.registry.* / basic.auth.* and spend.* settings.")
    Path configFile;

    @Option(names = {"-X", "--property"}, paramLabel = "KEY=VALUE",
            description = "One more client or spend.* property; repeatable.")
    Map<String, String> properties = new LinkedHashMap<>();

    /** The process environment; a test puts its own here. */
    Map<String, String> env = System.getenv();

    /** Environment variables of settings that are not spend.* keys, or that keep a shorter name than their key's. */
    static final Map<String, String> ENV_ALIASES = Map.of(
            "SPEND_BOOTSTRAP_SERVERS", "bootstrap.servers",
            "SPEND_SCHEMA_REGISTRY", "schema.registry.url",
            "SPEND_NOTIFY_PAGERDUTY_KEY", "spend.notify.pagerduty.routing-key");

    /** The merged configuration; fails with a clear message when an address is missing or a setting unknown. */
    public Map<String, Object> config(boolean needsRegistry) {
        Map<String, Object> config;
        try {
            config = configFile == null ? new LinkedHashMap<>() : SpendConfig.readFile(configFile);
            ENV_ALIASES.forEach((variable, key) -> putIfSet(config, key, env.get(variable)));
            config.putAll(ConfigKeys.fromEnvironment(env));
            config.putAll(properties);
            putIfSet(config, "bootstrap.servers", bootstrapServers);
            putIfSet(config, "schema.registry.url", schemaRegistry);
            ConfigKeys.check(config);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (!config.containsKey("bootstrap.servers")) {
            throw new CliException("no Kafka address: pass --bootstrap-servers HOST:PORT (or set bootstrap.servers in --config); "
                    + "'spend-monitor local' prints one");
        }
        if (needsRegistry && !config.containsKey("schema.registry.url")) {
            throw new CliException("no Schema Registry address: pass --schema-registry URL (or set schema.registry.url in --config); "
                    + "'spend-monitor local' prints one");
        }
        return config;
    }

    /** Whether a Kafka address was given by option or environment (the config file not counted). */
    boolean hasBootstrapOption() {
        return (bootstrapServers != null && !bootstrapServers.isBlank()) || isSet(env.get("SPEND_BOOTSTRAP_SERVERS"));
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    private static void putIfSet(Map<String, Object> config, String key, String value) {
        if (isSet(value)) {
            config.put(key, value.trim());
        }
    }
}
