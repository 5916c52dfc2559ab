package io.spendmonitor.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
 * {@link Options#withBrokers(int)} starts several brokers forming one KRaft quorum instead (see
 * {@link EmbeddedKafkaBroker#startCluster(int, Map)}: with three or more, replication factor 3 and
 * {@code min.insync.replicas=2} for every topic created without its own setting).
 */
public final class LocalCluster implements KafkaCluster {

    public static final String KIND = "embedded";

    /** Start options; immutable, use the {@code with...} methods. */
    public static final class Options {
        private final Map<String, String> brokerProperties;
        private final Path registryJar;
        private final Duration registryReadyTimeout;
        private final int brokers;
        private final SaslSsl saslSsl;

        private Options(Map<String, String> brokerProperties, Path registryJar, Duration registryReadyTimeout, int brokers) {
            this(brokerProperties, registryJar, registryReadyTimeout, brokers, null);
        }

        private Options(Map<String, String> brokerProperties, Path registryJar, Duration registryReadyTimeout, int brokers,
                        SaslSsl saslSsl) {
            this.saslSsl = saslSsl;
            this.brokerProperties = Map.copyOf(brokerProperties);
            this.registryJar = registryJar;
            this.registryReadyTimeout = Objects.requireNonNull(registryReadyTimeout);
            if (brokers < 1) {
                throw new IllegalArgumentException("brokers must be at least 1, not " + brokers);
            }
            this.brokers = brokers;
        }

        public static Options defaults() {
            return new Options(Map.of(), null, EmbeddedSchemaRegistry.DEFAULT_READY_TIMEOUT, 1);
        }

        /** Broker configs added to (and overriding) the defaults, on every broker. */
        public Options withBrokerProperties(Map<String, String> properties) {
            Map<String, String> merged = new HashMap<>(brokerProperties);
            merged.putAll(properties);
            return new Options(merged, registryJar, registryReadyTimeout, brokers, saslSsl);
        }

        /** The registry's runnable jar; by default {@link EmbeddedSchemaRegistry#locateJar()}. */
        public Options withRegistryJar(Path jar) {
            return new Options(brokerProperties, jar, registryReadyTimeout, brokers, saslSsl);
        }

        public Options withRegistryReadyTimeout(Duration timeout) {
            return new Options(brokerProperties, registryJar, timeout, brokers, saslSsl);
        }

        /** How many KRaft brokers (each also a controller voter) form the cluster; default 1. */
        public Options withBrokers(int count) {
            return new Options(brokerProperties, registryJar, registryReadyTimeout, count, saslSsl);
        }

        /**
         * Adds a SASL_SSL (SCRAM-SHA-512) listener for clients to the broker (single broker only):
         * {@link LocalCluster#saslSslBootstrapServers()}; users with {@link LocalCluster#createScramUser}.
         */
        public Options withSaslSsl(SaslSsl listener) {
            return new Options(brokerProperties, registryJar, registryReadyTimeout, brokers, listener);
        }

        /** The SASL_SSL listener, or null (the default: PLAINTEXT only). */
        public SaslSsl saslSsl() {
            return saslSsl;
        }

        public int brokers() {
            return brokers;
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

    private final List<EmbeddedKafkaBroker> brokers;
    private final EmbeddedSchemaRegistry registry;
    private final Thread shutdownHook;
    private boolean closed;

    private LocalCluster(List<EmbeddedKafkaBroker> brokers, EmbeddedSchemaRegistry registry) {
        this.brokers = List.copyOf(brokers);
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
            CompletableFuture<List<EmbeddedKafkaBroker>> broker = CompletableFuture.supplyAsync(
                    () -> EmbeddedKafkaBroker.startCluster(options.brokers(), options.brokerProperties(), options.saslSsl()), pool);
            CompletableFuture<EmbeddedSchemaRegistry> registry =
                    CompletableFuture.supplyAsync(() -> EmbeddedSchemaRegistry.start(jar, options.registryReadyTimeout()), pool);
            try {
                CompletableFuture.allOf(broker, registry).join();
            } catch (CompletionException e) {
                // allOf waits for both, so whichever did start can be closed here
                RuntimeException failure = unwrap(e);
                closeQuietly(broker.thenApply(list -> (AutoCloseable) () -> EmbeddedKafkaBroker.closeAll(list)), failure);
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
        if (started.isCompletedExceptionally() || !started.isDone()) {
            return;
        }
        try {
            started.join().close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** The first broker (node id 1); the only one unless started {@link Options#withBrokers(int) with more}. */
    public EmbeddedKafkaBroker broker() {
        return brokers.get(0);
    }

    /** Every broker, in node-id order. */
    public List<EmbeddedKafkaBroker> brokers() {
        return brokers;
    }

    /** The broker with this {@code node.id}. */
    public EmbeddedKafkaBroker broker(int nodeId) {
        return brokers.stream().filter(b -> b.nodeId() == nodeId).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no broker with node id " + nodeId));
    }

    /** The SASL_SSL listener's {@code bootstrap.servers}; only with {@link Options#withSaslSsl}. */
    public String saslSslBootstrapServers() {
        return broker().saslSslBootstrapServers();
    }

    /** See {@link EmbeddedKafkaBroker#createScramUser}. */
    public void createScramUser(String user, String password, Path truststore, String truststorePassword) {
        broker().createScramUser(user, password, truststore, truststorePassword);
    }

    public EmbeddedSchemaRegistry registry() {
        return registry;
    }

    @Override
    public String bootstrapServers() {
        return EmbeddedKafkaBroker.bootstrapServers(brokers);
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
        String what = brokers.size() == 1 ? " broker (KRaft) at " : " cluster of " + brokers.size() + " KRaft brokers at ";
        return "embedded Kafka " + AppInfoParser.getVersion() + what + bootstrapServers()
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
            EmbeddedKafkaBroker.closeAll(brokers);
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
