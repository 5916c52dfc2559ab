package io.spendmonitor.cli;

import io.spendmonitor.cluster.LocalCluster;
import io.spendmonitor.producers.ingest.IngestService;
import io.spendmonitor.producers.simulator.ScenarioSettings;
import io.spendmonitor.producers.simulator.TrafficSimulator;
import io.spendmonitor.streams.SpendService;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.notify.AlertNotifier;
import io.spendmonitor.streams.topology.SpendListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code spend-monitor demo}: a real broker and registry, the default prices, the app with its
 * HTTP port, the notifier printing alerts to the console, and the {@code crossover} simulation
 * running faster than real time. Ctrl-C stops everything and removes every file it made.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Everything on this machine in one command, with simulated traffic.",
                "A real Kafka broker and Schema Registry, the default",
                "price catalog, the app (/metrics, the query API and the live page), alerts printed to the console",
                "and simulated traffic of four teams (the 'crossover' scenario, 60x faster than real time).",
                "Prints bootstrap.servers=, schema.registry.url= and app.url= lines; Ctrl-C stops it all."},
        footer = {"", "Examples:", "  spend-monitor demo", "  spend-monitor demo --no-simulator     # only the default prices: publish your own events"})
public final class DemoCommand implements Runnable {
    @Option(names = "--no-simulator", description = "Load the default prices but simulate no traffic.")
    boolean noSimulator;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "HTTP port of the app (default ${DEFAULT-VALUE}; a free one when that is taken).")
    int httpPort;

    @Option(names = "--speed", defaultValue = "60", description = "Simulated seconds per real second (default ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--scenario", defaultValue = "crossover", description = "Simulation scenario (default ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed of the simulation (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public void run() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Deque<AutoCloseable> toClose = new ArrayDeque<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("stopping the simulator, the app, the registry and the broker...");
            closeAll(toClose, err);
            err.println("stopped; every temporary file removed");
            stopped.countDown();
        }, "spend-monitor-demo-stop"));
        long started = System.nanoTime();
        err.println("demo: starting a real Kafka broker (KRaft) and Schema Registry...");
        LocalCluster cluster;
        try {
            cluster = LocalCluster.start();
        } catch (RuntimeException e) {
            throw new CliException("could not start the local cluster: " + e.getMessage());
        }
        synchronized (toClose) {
            toClose.push(cluster);
        }
        LocalCommand.createTopics(cluster, "", 6);
        out.println("bootstrap.servers=" + cluster.bootstrapServers());
        out.println("schema.registry.url=" + cluster.schemaRegistryUrl());
        out.flush();

        Path stateDir = tempDir("spend-demo-state");
        synchronized (toClose) {
            toClose.push(() -> deleteTree(stateDir));
        }
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put("application.id", "spend-monitor-demo");
        config.put("state.dir", stateDir.toString());
        config.put("spend.notify.console", "true");
        // the simulator runs --speed times faster than real time, so its events run ahead of the wall
        // clock: this app accepts a month ahead (a real deployment keeps the 1-minute default)
        config.put("spend.timestamp.max-ahead", "P30D");
        // a fresh cluster each run: the notifier can read the alerts topic from its beginning
        config.put("spend.notify.consumer.auto.offset.reset", "earliest");

        int loaded = SpendMonitorCli.newCommandLine().execute("prices", "load", "--no-progress",
                "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl());
        if (loaded != 0) {
            throw new CliException("could not load the default prices (exit " + loaded + ")");
        }

        AtomicInteger alerts = new AtomicInteger();
        SpendListener countAlerts = new SpendListener() {
            @Override
            public void alert(AlertTransition transition) {
                alerts.incrementAndGet();
            }
        };
        IngestService ingest = IngestRoutes.service(config, null);
        synchronized (toClose) {
            toClose.push(ingest);
        }
        SpendService service = RunCommand.start(SpendConfig.of(config), new SpendService.Options("127.0.0.1", freeOr(httpPort),
                "127.0.0.1", 5L * 1024 * 1024, app -> IngestRoutes.register(app, ingest), countAlerts));
        synchronized (toClose) {
            toClose.push(service);
        }
        AlertNotifier notifier = AlertNotifier.create(config, service.meters(), out);
        notifier.start();
        synchronized (toClose) {
            toClose.push(notifier);
        }
        out.println("app.url=" + service.url());
        out.flush();
        // the demo is 'run --ingest-allow-anonymous' on loopback: nothing else on the network reaches it
        err.println("demo: listening on 127.0.0.1 only; HTTP ingest takes events without a token (--ingest-allow-anonymous),"
                + " /api and /metrics need none");

        TrafficSimulator.Running simulation = null;
        if (!noSimulator) {
            ScenarioSettings settings;
            try {
                settings = ScenarioSettings.of(scenario).withSpeed(speed).withSeed(seed);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), 2);
            }
            simulation = TrafficSimulator.start(config, settings, progressEvery(err, alerts));
            synchronized (toClose) {
                toClose.push(simulation);
            }
        }
        err.printf("%nready in %.0f s.%n", (System.nanoTime() - started) / 1e9);
        err.println(guide(service.url(), noSimulator, cluster));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String guide(String url, boolean noSimulator, LocalCluster cluster) {
        StringBuilder g = new StringBuilder();
        g.append("What to look at:\n");
        g.append("  ").append(url).append("/                 the live page: spend rate, API vs self-hosted, idle GPUs, break-even\n");
        g.append("  ").append(url).append("/api/teams        every team as JSON;  /api/alerts  alerts now and recent\n");
        g.append("  ").append(url).append("/metrics          what Prometheus scrapes\n");
        if (noSimulator) {
            g.append("  No simulated traffic: publish your own events, e.g.\n");
            g.append("    ./spend-monitor publish -b ").append(cluster.bootstrapServers()).append(" -r ")
                    .append(cluster.schemaRegistryUrl()).append(" events.jsonl\n");
            g.append("    curl -H 'Content-Type: application/x-ndjson' --data-binary @events.jsonl ").append(url)
                    .append("/ingest/token-usage\n");
        } else {
            g.append("  Simulated traffic, 60 simulated minutes a real minute: 'search' calls gpt-4o-mini more and more and\n");
            g.append("  crosses the break-even of self-hosting llama-3.1-8b (SELF_HOSTING_CHEAPER within a minute or two);\n");
            g.append("  'research' self-hosts llama-3.1-70b on idle H100s (SELF_HOSTING_DEARER, then IDLE_CAPACITY).\n");
            g.append("  Alerts print here as they fire. In another terminal: ./spend-monitor teams --url ").append(url).append('\n');
        }
        g.append("Ctrl-C stops everything.");
        return g.toString();
    }

    private static TrafficSimulator.Listener progressEvery(PrintStream err, AtomicInteger alerts) {
        return new TrafficSimulator.Listener() {
            private long lastPrint;

            @Override
            public void progress(TrafficSimulator.Progress progress) {
                // every 5 s from the simulator; a line every 20 s is enough beside the alerts
                long now = System.nanoTime();
                if (now - lastPrint >= 19_000_000_000L) {
                    lastPrint = now;
                    err.println("demo: " + progress.describe() + "; " + alerts.get() + " alert transition(s) so far");
                }
            }

            @Override
            public void note(String message) {
                err.println("demo: " + message);
            }
        };
    }

    /** {@code preferred} when it is free, else any free port. */
    static int freeOr(int preferred) {
        if (preferred == 0) {
            return 0;
        }
        try (ServerSocket probe = new ServerSocket(preferred, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return preferred;
        } catch (IOException taken) {
            System.err.println("demo: port " + preferred + " is taken; using a free one");
            return 0;
        }
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new CliException("cannot create a temporary directory: " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void closeAll(Deque<AutoCloseable> toClose, PrintStream err) {
        while (true) {
            AutoCloseable next;
            synchronized (toClose) {
                next = toClose.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                err.println("while stopping: " + e.getMessage());
            }
        }
    }
}
