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
import java.util.Map;
import java.util.Properties;
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
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;
    /** A restart must bind the ports it had; retry while the old sockets are released or someone else holds them. */
    private static final int RESTART_ATTEMPTS = 10;
    private static final Duration RESTART_BACKOFF = Duration.ofMillis(500);

    private final Properties props;
    private final Path dir;
    private final String clusterId;
    private final int port;
    private final int controllerPort;
    /** The running server; null while {@link #stop() stopped}. */
    private KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Properties props, Path dir, String clusterId, int port,
                                int controllerPort) {
        this.server = server;
        this.props = props;
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
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(extraProperties);
            } catch (RuntimeException e) {
                // the picked ports are released before the broker binds them, so another process may win the race
                if (attempt >= START_ATTEMPTS || !FreePorts.isBindFailure(e)) {
                    throw e;
                }
                LOG.warn("Kafka broker could not bind its ports, retrying: {}", e.toString());
            }
        }
    }

    private static EmbeddedKafkaBroker startOnce(Map<String, String> extraProperties) {
        long t0 = System.nanoTime();
        int[] ports = FreePorts.pick(2);
        int port = ports[0];
        int controllerPort = ports[1];
        Path dir = TempDirs.create("spend-kafka-");
        String clusterId = Uuid.randomUuid().toString();
        KafkaRaftServer server = null;
        try {
            Properties props = brokerProperties(dir.resolve("logs"), port, controllerPort);
            props.putAll(extraProperties);
            format(props, dir, clusterId);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, props, dir, clusterId, port, controllerPort);
            broker.awaitServing();
            LOG.info("Kafka {} broker (KRaft) serving at {} after {} ms", AppInfoParser.getVersion(),
                    broker.bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
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
        return p;
    }

    private static void format(Properties props, Path dir, String clusterId) {
        Path propsFile = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            props.store(out, "spend-monitor embedded broker");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + propsFile, e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(
                    new String[] {"format", "-t", clusterId, "-c", propsFile.toString(), "--standalone"}, ps);
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
