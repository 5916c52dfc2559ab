package io.spendmonitor.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real schema registry (Apicurio Registry, from this project's {@code registry-app} module) run as a
 * child process on a free loopback port, with Confluent's REST API at {@link #url()}. The child dies
 * with this JVM, even when this JVM is SIGKILLed: a bash watchdog between the two polls our pid.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** System property naming the registry's runnable jar. */
    public static final String JAR_PROPERTY = "spend.registry.jar";
    /** Environment variable naming the registry's runnable jar. */
    public static final String JAR_ENV = "SPEND_REGISTRY_JAR";
    /** The jar's location relative to the project root. */
    public static final String JAR_RELATIVE_PATH = "registry-app/target/quarkus-app/quarkus-run.jar";
    /** The Confluent-compatible API, relative to the registry's root. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;
    private static final int LOG_TAIL_LINES = 40;

    /*
     * $1 = our pid, $2 = the temp dir, $3... = the java command. Starts java in the background and forwards
     * TERM/INT/HUP to it; when we are gone it stops java and removes the temp dir that we no longer can.
     * "Gone" also covers an unreaped zombie: the watchdog's own parent pid changes once we die (Linux /proc).
     * Stopping is TERM, then KILL after 10 s. "sleep & wait" keeps the traps responsive.
     */
    private static final String WATCHDOG = String.join("\n",
            "parent=$1; dir=$2; shift 2",
            "\"$@\" &",
            "child=$!",
            "stop() {",
            "  kill -TERM \"$child\" 2>/dev/null",
            "  for _ in $(seq 1 100); do kill -0 \"$child\" 2>/dev/null || return; sleep 0.1; done",
            "  kill -KILL \"$child\" 2>/dev/null",
            "}",
            "parent_alive() {",
            "  kill -0 \"$parent\" 2>/dev/null || return 1",
            "  [ -r /proc/$$/stat ] || return 0",
            "  read -r _ _ _ ppid _ < /proc/$$/stat; [ \"$ppid\" = \"$parent\" ]",
            "}",
            "trap 'stop; exit 0' TERM INT HUP",
            "while kill -0 \"$child\" 2>/dev/null; do",
            "  if ! parent_alive; then stop; rm -rf \"$dir\"; exit 0; fi",
            "  sleep 1 & wait $!",
            "done",
            "wait \"$child\"");

    private final Process watchdog;
    private final Path dir;
    private final Path logFile;
    private final int port;
    private boolean closed;

    private EmbeddedSchemaRegistry(Process watchdog, Path dir, Path logFile, int port) {
        this.watchdog = watchdog;
        this.dir = dir;
        this.logFile = logFile;
        this.port = port;
    }

    /** Starts the registry found by {@link #locateJar()}. */
    public static EmbeddedSchemaRegistry start() {
        return start(locateJar(), DEFAULT_READY_TIMEOUT);
    }

    /**
     * Starts the registry from {@code jar}, waits until {@code /health/ready} answers 200 and sets the
     * global compatibility to BACKWARD.
     */
    public static EmbeddedSchemaRegistry start(Path jar, Duration readyTimeout) {
        return start(jar, readyTimeout, () -> FreePorts.pick(1)[0]);
    }

    /** As {@link #start(Path, Duration)}, with the port of each attempt from {@code ports} (tests force a race). */
    static EmbeddedSchemaRegistry start(Path jar, Duration readyTimeout, IntSupplier ports) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("schema registry jar " + jar + " does not exist; " + buildHint());
        }
        for (int attempt = 1; ; attempt++) {
            EmbeddedSchemaRegistry registry = launch(jar, ports.getAsInt());
            try {
                registry.awaitReady(readyTimeout);
                putCompatibility(registry.url(), "BACKWARD");
                return registry;
            } catch (RuntimeException e) {
                boolean bindRace = !registry.watchdog.isAlive() && isBindFailureLog(registry.logTail());
                registry.close();
                // the picked port is released before the child binds it, so another process may win the race
                if (attempt >= START_ATTEMPTS || !bindRace) {
                    throw e;
                }
                LOG.warn("schema registry could not bind its port, retrying");
            }
        }
    }

    /**
     * The registry's runnable jar: system property {@value #JAR_PROPERTY}, else env {@value #JAR_ENV}, else
     * {@value #JAR_RELATIVE_PATH} under the working directory or one of its parents.
     */
    public static Path locateJar() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(JAR_ENV);
        }
        if (configured != null && !configured.isBlank()) {
            Path jar = Paths.get(configured).toAbsolutePath();
            if (Files.isRegularFile(jar)) {
                return jar;
            }
            // fall through: a stale setting should not hide a jar that the walk below finds
            LOG.debug("configured registry jar {} does not exist, searching from the working directory", jar);
        }
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path jar = d.resolve(JAR_RELATIVE_PATH);
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException("schema registry jar not found (looked at -D" + JAR_PROPERTY + "="
                + System.getProperty(JAR_PROPERTY) + ", $" + JAR_ENV + "=" + System.getenv(JAR_ENV)
                + " and " + JAR_RELATIVE_PATH + " above " + Paths.get("").toAbsolutePath() + "); " + buildHint());
    }

    private static String buildHint() {
        return "build it from the project root with: mvn -B -f registry-app/pom.xml package";
    }

    /**
     * Whether the registry's log says it lost its port: Vert.x's "Address already in use", or Quarkus's
     * own "Port N seems to be in use by another process".
     */
    static boolean isBindFailureLog(String log) {
        return log.contains("already in use") || log.contains("seems to be in use");
    }

    private static EmbeddedSchemaRegistry launch(Path jar, int port) {
        Path dir = TempDirs.create("spend-registry-");
        Path logFile = dir.resolve("registry.log");
        Path tmp = dir.resolve("tmp");
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", WATCHDOG, "spend-registry-watchdog",
                Long.toString(ProcessHandle.current().pid()), dir.toString(),
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC",
                "-Djava.io.tmpdir=" + tmp,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-jar", jar.toString()));
        try {
            Files.createDirectories(tmp);
            Process p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            return new EmbeddedSchemaRegistry(p, dir, logFile, port);
        } catch (IOException e) {
            TempDirs.deleteRecursively(dir);
            throw new UncheckedIOException("could not start the schema registry (" + String.join(" ", cmd) + ")", e);
        }
    }

    private void awaitReady(Duration timeout) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/health/ready"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    LOG.info("schema registry ready at {} after {} ms", url(), (System.nanoTime() - t0) / 1_000_000);
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            if (System.nanoTime() > deadline) {
                throw startFailure("did not become ready within " + timeout.toSeconds() + " s");
            }
            // paces the polling and notices at once when the child has died
            try {
                watchdog.onExit().get(200, TimeUnit.MILLISECONDS);
                throw startFailure("exited with code " + watchdog.exitValue() + " before it was ready");
            } catch (TimeoutException stillRunning) {
                // poll again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private IllegalStateException startFailure(String what) {
        return new IllegalStateException("schema registry at " + baseUrl() + " " + what + "; last lines of "
                + logFile + ":\n" + logTail());
    }

    /** PUT {@code {url}/config}: sets the registry's global compatibility level. */
    static void putCompatibility(String url, String level) {
        HttpRequest put = HttpRequest.newBuilder(URI.create(url + "/config"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}"))
                .build();
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(put, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("PUT " + put.uri() + " answered " + r.statusCode() + ": " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("PUT " + put.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring the schema registry", e);
        }
    }

    /** The last lines the child wrote. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** The Confluent-compatible API, i.e. what clients take as {@code schema.registry.url}. */
    public String url() {
        return baseUrl() + CCOMPAT_PATH;
    }

    /** The registry's root, e.g. {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The watchdog process; the registry JVM is its child. */
    public ProcessHandle process() {
        return watchdog.toHandle();
    }

    /** The temp dir holding the child's log and tmp files; gone after {@link #close()}. */
    public Path directory() {
        return dir;
    }

    public Path logFile() {
        return logFile;
    }

    /** Stops the registry (TERM, KILL after 10 s) and deletes its temp dir; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ProcessHandle> tree = new ArrayList<>(watchdog.descendants().toList());
        tree.add(watchdog.toHandle());
        watchdog.destroy(); // TERM: the watchdog forwards it and escalates to KILL after 10 s
        try {
            watchdog.onExit().get(STOP_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warn("schema registry watchdog did not stop in time, killing it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                h.destroyForcibly();
                h.onExit().join();
            }
        }
        TempDirs.deleteRecursively(dir);
    }
}
