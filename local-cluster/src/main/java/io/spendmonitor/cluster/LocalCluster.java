package io.spendmonitor.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.kafka.common.utils.internals.AppInfoParser;

/**
 * A real Kafka broker in this JVM ({@link EmbeddedKafkaBroker}) plus a real schema registry child process
 * ({@link EmbeddedSchemaRegistry}), started in parallel. Closed by a shutdown hook if the JVM exits first.
 */
public final class LocalCluster implements KafkaCluster {

    public static final String KIND = "embedded";

    /** Start options; immutable, use the {@code with...} methods. */
    public static final class Options {
        private final Map<String, String> brokerProperties;
        private final Path registryJar;
        private final Duration registryReadyTimeout;

        private Options(Map<String, String> brokerProperties, Path registryJar, Duration registryReadyTimeout) {
            this.brokerProperties = Map.copyOf(brokerProperties);
            this.registryJar = registryJar;
            this.registryReadyTimeout = Objects.requireNonNull(registryReadyTimeout);
        }

        public static Options defaults() {
            return new Options(Map.of(), null, EmbeddedSchemaRegistry.DEFAULT_READY_TIMEOUT);
        }

        /** Broker configs added to (and overriding) the single-node defaults. */
        public Options withBrokerProperties(Map<String, String> properties) {
            Map<String, String> merged = new HashMap<>(brokerProperties);
            merged.putAll(properties);
            return new Options(merged, registryJar, registryReadyTimeout);
        }

        /** The registry's runnable jar; by default {@link EmbeddedSchemaRegistry#locateJar()}. */
        public Options withRegistryJar(Path jar) {
            return new Options(brokerProperties, jar, registryReadyTimeout);
        }

        public Options withRegistryReadyTimeout(Duration timeout) {
            return new Options(brokerProperties, registryJar, timeout);
        }

        public Map<String, String> brokerProperties() {
            return brokerProperties;
        }

        public Path registryJar() {
            return registryJar;
        }

        public Duration registryReadyTimeout() {
            return registryReadyTimeout;
        }
    }

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private final Thread shutdownHook;
    private boolean closed;

    private LocalCluster(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry) {
        this.broker = broker;
        this.registry = registry;
        this.shutdownHook = new Thread(this::close, "spend-local-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static LocalCluster start() {
        return start(Options.defaults());
    }

    /** Starts broker and registry in parallel; returns when both serve. */
    public static LocalCluster start(Options options) {
        // locate the jar first: a missing jar should fail before a broker is started for nothing
        Path jar = options.registryJar() != null ? options.registryJar() : EmbeddedSchemaRegistry.locateJar();
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "spend-local-cluster-start");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletableFuture<EmbeddedKafkaBroker> broker =
                    CompletableFuture.supplyAsync(() -> EmbeddedKafkaBroker.start(options.brokerProperties()), pool);
            CompletableFuture<EmbeddedSchemaRegistry> registry =
                    CompletableFuture.supplyAsync(() -> EmbeddedSchemaRegistry.start(jar, options.registryReadyTimeout()), pool);
            try {
                CompletableFuture.allOf(broker, registry).join();
            } catch (CompletionException e) {
                // allOf waits for both, so whichever did start can be closed here
                RuntimeException failure = unwrap(e);
                closeQuietly(broker, failure);
                closeQuietly(registry, failure);
                throw failure;
            }
            return new LocalCluster(broker.join(), registry.join());
        } finally {
            pool.shutdown();
        }
    }

    private static RuntimeException unwrap(CompletionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException("local cluster failed to start", cause);
    }

    private static void closeQuietly(CompletableFuture<? extends AutoCloseable> started, RuntimeException failure) {
        if (started.isCompletedExceptionally()) {
            return;
        }
        try {
            started.join().close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    public EmbeddedSchemaRegistry registry() {
        return registry;
    }

    @Override
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    public String schemaRegistryUrl() {
        return registry.url();
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String describe() {
        return "embedded Kafka " + AppInfoParser.getVersion() + " broker (KRaft) at " + bootstrapServers()
                + " + Apicurio registry at " + schemaRegistryUrl();
    }

    /** Stops registry and broker and removes their temp dirs; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; this call does the work
            }
        }
        try {
            registry.close();
        } finally {
            broker.close();
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
