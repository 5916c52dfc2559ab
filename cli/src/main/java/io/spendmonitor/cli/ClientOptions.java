package io.spendmonitor.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The options every command that talks to Kafka shares. Precedence, lowest first: the config
 * file, {@code -X key=value}, then {@code --bootstrap-servers} / {@code --schema-registry}.
 * Any Kafka client property (TLS, SASL, ...) passes through to every client the command makes.
 */
public final class ClientOptions {
    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:SPEND_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers (env SPEND_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry"}, paramLabel = "URL",
            defaultValue = "${env:SPEND_SCHEMA_REGISTRY}",
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

    /** The merged configuration; fails with a clear message when an address is missing. */
    public Map<String, Object> config(boolean needsRegistry) {
        Map<String, Object> config = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (IOException e) {
                throw new CliException("cannot read config file " + configFile + ": " + e.getMessage());
            }
            file.stringPropertyNames().forEach(k -> config.put(k, file.getProperty(k).trim()));
        }
        config.putAll(properties);
        if (bootstrapServers != null && !bootstrapServers.isBlank()) {
            config.put("bootstrap.servers", bootstrapServers.trim());
        }
        if (schemaRegistry != null && !schemaRegistry.isBlank()) {
            config.put("schema.registry.url", schemaRegistry.trim());
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
}
