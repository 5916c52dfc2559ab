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
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final Path dir;
    private final String clusterId;
    private final int port;
    private final int controllerPort;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dir, String clusterId, int port, int controllerPort) {
        this.server = server;
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
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, dir, clusterId, port, controllerPort);
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

    /** Shuts the broker down, waits for it, and deletes its temp dir; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            TempDirs.deleteRecursively(dir);
        }
    }
}
