package io.spendmonitor.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM,
 * on free loopback ports, with its data in a temp dir that {@link #close()} removes.
 *
 * <p>For failure tests it can be {@link #stop() stopped} and {@link #restart() restarted}: the same
 * node, cluster id, ports and log dir, so clients reconnect to the address they already know and
 * find the data written before the stop.
 *
 * <p>{@link #startCluster(int, Map)} starts several such nodes forming one cluster: every node is a
 * broker and a controller voter (a real Raft quorum), and with three or more nodes every topic the
 * cluster creates by default, the consumer-offsets and transaction-state logs included, gets
 * replication factor 3 and {@code min.insync.replicas=2}. Nodes of a cluster run without controlled
 * shutdown, so {@link #kill()} looks like a crash to the others: no leadership hand-off, the controller
 * fences the silent node only after {@code broker.session.timeout.ms}.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;
    /** A restart must bind the ports it had; retry while the old sockets are released or someone else holds them. */
    private static final int RESTART_ATTEMPTS = 10;
    private static final Duration RESTART_BACKOFF = Duration.ofMillis(500);

    private final Properties props;
    private final int nodeId;
    private final Path dir;
    private final String clusterId;
    private final int port;
    private final int controllerPort;
    /** The port of the SASL_SSL listener, or -1 without one. */
    private final int saslSslPort;
    /** The running server; null while {@link #stop() stopped}. */
    private KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Properties props, Path dir, String clusterId, int port,
                                int controllerPort) {
        this(server, props, dir, clusterId, port, controllerPort, -1);
    }

    private EmbeddedKafkaBroker(KafkaRaftServer server, Properties props, Path dir, String clusterId, int port,
                                int controllerPort, int saslSslPort) {
        this.saslSslPort = saslSslPort;
        this.server = server;
        this.props = props;
        this.nodeId = Integer.parseInt(props.getProperty("node.id"));
        this.dir = dir;
        this.clusterId = clusterId;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Starts a broker with the default single-node settings. */
    public static EmbeddedKafkaBroker start() {
        return start(Map.of());
    }

    /**
     * Starts a broker; {@code extraProperties} are broker configs that override the defaults.
     * Returns once the broker answers an Admin {@code describeCluster}.
     */
    public static EmbeddedKafkaBroker start(Map<String, String> extraProperties) {
        return start(extraProperties, null);
    }

    /**
     * Starts a broker that also has a SASL_SSL listener for clients ({@link #saslSslBootstrapServers()}),
     * TLS with {@code saslSsl}'s keystore and SCRAM-SHA-512 authentication (users made with
     * {@link #createScramUser}); the PLAINTEXT listener stays for the broker itself (inter-broker) and
     * for test set-up. Null {@code saslSsl} is {@link #start(Map)}.
     */
    public static EmbeddedKafkaBroker start(Map<String, String> extraProperties, SaslSsl saslSsl) {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(extraProperties, saslSsl);
            } catch (RuntimeException e) {
                // the picked ports are released before the broker binds them, so another process may win the race
                if (attempt >= START_ATTEMPTS || !FreePorts.isBindFailure(e)) {
                    throw e;
                }
                LOG.warn("Kafka broker could not bind its ports, retrying: {}", e.toString());
            }
        }
    }

    private static EmbeddedKafkaBroker startOnce(Map<String, String> extraProperties, SaslSsl saslSsl) {
        long t0 = System.nanoTime();
        int[] ports = FreePorts.pick(saslSsl == null ? 2 : 3);
        int saslSslPort = saslSsl == null ? -1 : ports[2];
        int port = ports[0];
        int controllerPort = ports[1];
        Path dir = TempDirs.create("spend-kafka-");
        String clusterId = Uuid.randomUuid().toString();
        KafkaRaftServer server = null;
        try {
            Properties props = brokerProperties(dir.resolve("logs"), port, controllerPort);
            if (saslSsl != null) {
                saslSsl.addListener(props, saslSslPort);
            }
            props.putAll(extraProperties);
            format(props, dir, clusterId, true);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, props, dir, clusterId, port, controllerPort, saslSslPort);
            broker.awaitServing();
            LOG.info("Kafka {} broker (KRaft) serving at {}{} after {} ms", AppInfoParser.getVersion(),
                    broker.bootstrapServers(), saslSsl == null ? "" : " (SASL_SSL at " + broker.saslSslBootstrapServers() + ")",
                    (System.nanoTime() - t0) / 1_000_000);
            return broker;
        } catch (RuntimeException | Error e) {
            if (server != null) {
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            TempDirs.deleteRecursively(dir);
            throw e;
        }
    }

    /**
     * Starts {@code nodes} combined broker + controller nodes forming one cluster (node ids 1..n, a
     * static voter set of all of them) and returns them in node-id order once every one answers an
     * Admin {@code describeCluster}. One node is {@link #start(Map)}. With n ≥ 3 the defaults are
     * replication factor 3 and {@code min.insync.replicas=2} for every topic created without its own
     * setting (and for the offsets and transaction logs); with n = 2 they are 2 and 1.
     * {@code extraProperties} override the defaults on every node.
     */
    public static List<EmbeddedKafkaBroker> startCluster(int nodes, Map<String, String> extraProperties) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + nodes);
        }
        if (nodes == 1) {
            return List.of(start(extraProperties));
        }
        return startCluster(nodes, extraProperties, null);
    }

    /** {@link #startCluster(int, Map)} with a SASL_SSL listener on a single node (not supported on several yet). */
    public static List<EmbeddedKafkaBroker> startCluster(int nodes, Map<String, String> extraProperties, SaslSsl saslSsl) {
        if (nodes == 1) {
            return List.of(start(extraProperties, saslSsl));
        }
        if (saslSsl != null) {
            throw new IllegalArgumentException("a SASL_SSL listener is supported on a single broker only, not on " + nodes);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return startClusterOnce(nodes, extraProperties);
            } catch (RuntimeException e) {
                if (attempt >= START_ATTEMPTS || !FreePorts.isBindFailure(e)) {
                    throw e;
                }
                LOG.warn("Kafka cluster could not bind its ports, retrying: {}", e.toString());
            }
        }
    }

    private static List<EmbeddedKafkaBroker> startClusterOnce(int nodes, Map<String, String> extraProperties) {
        long t0 = System.nanoTime();
        int[] ports = FreePorts.pick(2 * nodes);
        String clusterId = Uuid.randomUuid().toString();
        StringJoiner voters = new StringJoiner(",");
        for (int i = 0; i < nodes; i++) {
            voters.add((i + 1) + "@127.0.0.1:" + ports[nodes + i]);
        }
        List<Path> dirs = new ArrayList<>();
        List<Properties> allProps = new ArrayList<>();
        List<KafkaRaftServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                Path dir = TempDirs.create("spend-kafka-" + (i + 1) + "-");
                dirs.add(dir);
                Properties props = clusterNodeProperties(dir.resolve("logs"), i + 1, nodes, ports[i], ports[nodes + i],
                        voters.toString());
                props.putAll(extraProperties);
                format(props, dir, clusterId, false);
                allProps.add(props);
            }
            for (Properties props : allProps) {
                servers.add(new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM));
            }
            // a node's startup waits for an elected controller, which needs a majority of the voters: start all at once
            List<CompletableFuture<Void>> started = new ArrayList<>();
            for (KafkaRaftServer s : servers) {
                started.add(CompletableFuture.runAsync(s::startup, runnable -> {
                    Thread t = new Thread(runnable, "spend-kafka-node-start");
                    t.setDaemon(true);
                    t.start();
                }));
            }
            try {
                CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
            List<EmbeddedKafkaBroker> brokers = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                brokers.add(new EmbeddedKafkaBroker(servers.get(i), allProps.get(i), dirs.get(i), clusterId, ports[i],
                        ports[nodes + i]));
            }
            for (EmbeddedKafkaBroker b : brokers) {
                b.awaitServing();
            }
            LOG.info("Kafka {} cluster of {} KRaft nodes serving at {} after {} ms", AppInfoParser.getVersion(), nodes,
                    bootstrapServers(brokers), (System.nanoTime() - t0) / 1_000_000);
            return brokers;
        } catch (RuntimeException | Error e) {
            shutdownAll(servers, e);
            dirs.forEach(TempDirs::deleteRecursively);
            throw e;
        }
    }

    private static void shutdownAll(List<KafkaRaftServer> servers, Throwable failure) {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (KafkaRaftServer s : servers) {
            stopping.add(CompletableFuture.runAsync(() -> {
                s.shutdown();
                s.awaitShutdown();
            }, runnable -> {
                Thread t = new Thread(runnable, "spend-kafka-node-stop");
                t.setDaemon(true);
                t.start();
            }));
        }
        for (CompletableFuture<Void> f : stopping) {
            try {
                f.join();
            } catch (CompletionException suppressed) {
                failure.addSuppressed(suppressed.getCause());
            }
        }
    }

    /** The comma-separated {@code bootstrap.servers} of all the given nodes. */
    public static String bootstrapServers(List<EmbeddedKafkaBroker> brokers) {
        StringJoiner all = new StringJoiner(",");
        brokers.forEach(b -> all.add(b.bootstrapServers()));
        return all.toString();
    }

    /**
     * Closes every node of a cluster at once: one by one, the last ones would wait for a controller
     * quorum that is already gone. A node that has not shut down within {@link #CLOSE_TIMEOUT} (a
     * survivor of a lost quorum can wait for it forever) is abandoned with a warning; its data dir is
     * still removed.
     */
    public static void closeAll(List<EmbeddedKafkaBroker> brokers) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (EmbeddedKafkaBroker b : brokers) {
            closing.add(CompletableFuture.runAsync(b::close, runnable -> {
                Thread t = new Thread(runnable, "spend-kafka-node-close");
                t.setDaemon(true);
                t.start();
            }));
        }
        RuntimeException failure = null;
        for (int i = 0; i < closing.size(); i++) {
            try {
                closing.get(i).get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                EmbeddedKafkaBroker b = brokers.get(i);
                LOG.warn("Kafka node {} at {} did not shut down within {} s; abandoning it", b.nodeId(),
                        b.bootstrapServers(), CLOSE_TIMEOUT.toSeconds());
                TempDirs.deleteRecursively(b.dir);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while closing the Kafka cluster", e);
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    static Properties clusterNodeProperties(Path logDir, int nodeId, int nodes, int port, int controllerPort, String voters) {
        Properties p = brokerProperties(logDir, port, controllerPort);
        p.remove("controller.quorum.bootstrap.servers");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", voters);
        int replication = Math.min(nodes, 3);
        String minIsr = Integer.toString(Math.max(1, replication - 1));
        String rf = Integer.toString(replication);
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", rf);
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("unclean.leader.election.enable", "false");
        // kill() is a crash as the cluster sees it: no hand-off of leadership before the node goes
        p.put("controlled.shutdown.enable", "false");
        return p;
    }

    static Properties brokerProperties(Path logDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", "localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "6");
        // our code creates every topic explicitly (see KafkaCluster#createTopics)
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "6");
        // exactly-once on a single node needs the transaction state log to fit on it
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // retention enforced within a second (Kafka's default looks every 5 minutes, the first time
        // 30 s after start): a record a topic's retention.ms deletes is gone before a test or the demo
        // reads it, instead of only in runs that happen to last past the next check
        p.put("log.retention.check.interval.ms", "1000");
        p.put("log.initial.task.delay.ms", "1000");
        return p;
    }

    private static void format(Properties props, Path dir, String clusterId, boolean standalone) {
        Path propsFile = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            props.store(out, "spend-monitor embedded broker");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + propsFile, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            String[] args = standalone
                    ? new String[] {"format", "-t", clusterId, "-c", propsFile.toString(), "--standalone"}
                    : new String[] {"format", "-t", clusterId, "-c", propsFile.toString()};
            rc = StorageTool.execute(args, ps);
        }
        if (rc != 0) {
            throw new IllegalStateException("Kafka storage format failed (exit " + rc + "): "
                    + output.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitServing() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            int timeoutMs = (int) READY_TIMEOUT.toMillis();
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                    .nodes().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka broker at " + bootstrapServers() + " did not serve within "
                    + READY_TIMEOUT.toSeconds() + " s", e);
        }
    }

    /** {@code 127.0.0.1:<port>} of the PLAINTEXT listener. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * {@code 127.0.0.1:<port>} of the SASL_SSL listener.
     *
     * @throws IllegalStateException if the broker was started without one
     */
    public String saslSslBootstrapServers() {
        if (saslSslPort < 0) {
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers() + " has no SASL_SSL listener");
        }
        return "127.0.0.1:" + saslSslPort;
    }

    /** Whether the broker has a SASL_SSL listener. */
    public boolean hasSaslSsl() {
        return saslSslPort >= 0;
    }

    /**
     * Creates (or replaces) a SCRAM-SHA-512 user through the Admin API (on the PLAINTEXT listener), and
     * returns once the SASL_SSL listener accepts that user's password (a client trusting {@code truststore}).
     */
    public void createScramUser(String user, String password, Path truststore, String truststorePassword) {
        SaslSsl.createScramUser(bootstrapServers(), saslSslBootstrapServers(), user, password,
                SaslSsl.clientProperties(user, password, truststore, truststorePassword), READY_TIMEOUT);
    }

    /** This node's {@code node.id} (1 for a single broker). */
    public int nodeId() {
        return nodeId;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public String clusterId() {
        return clusterId;
    }

    /** The temp dir holding the config and the log dirs; gone after {@link #close()}. */
    public Path directory() {
        return dir;
    }

    /** Whether the broker is running: started or restarted, and neither stopped nor closed. */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Shuts the broker down and waits for it, keeping its data dir, ports and identity for
     * {@link #restart()}; clients see a broker that went away. Does nothing if already stopped.
     *
     * @throws IllegalStateException if the broker is closed
     */
    public synchronized void stop() {
        requireOpen();
        if (server == null) {
            return;
        }
        long t0 = System.nanoTime();
        KafkaRaftServer running = server;
        server = null;
        running.shutdown();
        running.awaitShutdown();
        LOG.info("Kafka broker at {} stopped after {} ms (data kept in {})", bootstrapServers(),
                (System.nanoTime() - t0) / 1_000_000, dir);
    }

    /**
     * Stops the node abruptly, as a crash looks to the rest of the cluster: no controlled shutdown, so
     * it leads its partitions (and coordinates its groups and transactions) until the controller fences
     * it after {@code broker.session.timeout.ms}; the data dir stays for {@link #restart()}. Within one
     * JVM the process cannot really die, so its sockets close as they would on {@code kill -9}, but the
     * logs are flushed; a lost page cache is not simulated.
     *
     * @throws IllegalStateException if the node runs with controlled shutdown (a single broker from
     *         {@link #start(Map)}), or is closed
     */
    public synchronized void kill() {
        requireOpen();
        if (!"false".equals(props.getProperty("controlled.shutdown.enable"))) {
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers()
                    + " runs with controlled shutdown; kill() needs a node of startCluster()");
        }
        stop();
    }

    /**
     * Starts the broker again, stopping it first if it runs: same node id, cluster id, ports and log
     * dir, so what was written before is still there. Returns once it answers an Admin
     * {@code describeCluster}. A port that cannot be bound yet (the old sockets still closing, or
     * another process took it meanwhile) is retried for a few seconds.
     *
     * @throws IllegalStateException if the broker is closed, or does not come back
     */
    public synchronized void restart() {
        requireOpen();
        stop();
        long t0 = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            KafkaRaftServer restarted = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            try {
                restarted.startup();
                server = restarted;
                break;
            } catch (RuntimeException | Error e) {
                try {
                    restarted.shutdown();
                    restarted.awaitShutdown();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                if (attempt >= RESTART_ATTEMPTS || !FreePorts.isBindFailure(e)) {
                    throw e;
                }
                LOG.warn("Kafka broker could not bind {} / {} again (attempt {}), retrying: {}",
                        port, controllerPort, attempt, e.toString());
                pause(RESTART_BACKOFF);
            }
        }
        try {
            awaitServing();
        } catch (RuntimeException e) {
            try {
                stop();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        LOG.info("Kafka broker serving again at {} after {} ms", bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers() + " is closed");
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while restarting the Kafka broker", e);
        }
    }

    /** Shuts the broker down (unless stopped), waits for it, and deletes its temp dir; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (server != null) {
                KafkaRaftServer running = server;
                server = null;
                running.shutdown();
                running.awaitShutdown();
            }
        } finally {
            TempDirs.deleteRecursively(dir);
        }
    }
}
