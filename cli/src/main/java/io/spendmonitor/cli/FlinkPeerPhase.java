package io.spendmonitor.cli;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `bench --flink`: our topology with evaluation switched off ({@code spend.bench.evaluation.enabled=false})
 * and the Flink peer (benchmarks/flink-peer), each in its own JVM with the same heap, on the same
 * input topics, alternating; each reports its rate (first event processed to the last) and its
 * peak resident memory (VmHWM).
 */
final class FlinkPeerPhase {
    /** One child's report. */
    record Run(double eventsPerS, long peakRssKiB) {
    }

    private static final Pattern REPORT = Pattern.compile("events_per_s=(\\d+) vmhwm_kib=(-?\\d+)");

    private final Map<String, Object> config;
    private final Path peerJar;
    private final String heap;
    private final List<String> jvmOptions;
    private final long timeoutS;

    FlinkPeerPhase(Map<String, Object> config, Path peerJar, String heap, List<String> jvmOptions, long timeoutS) {
        this.config = config;
        this.peerJar = peerJar;
        this.heap = heap;
        this.jvmOptions = jvmOptions;
        this.timeoutS = timeoutS;
    }

    /** The peer jar next to this build (benchmarks/flink-peer/target/flink-peer.jar), or null when not found. */
    static Path defaultPeerJar() {
        try {
            Path here = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // cli/target/spend-monitor.jar or cli/target/classes
            Path root = here.getParent().getParent().getParent();
            return root.resolve("benchmarks/flink-peer/target/flink-peer.jar");
        } catch (Exception e) {
            return null;
        }
    }

    /** Parallelism of the peer: our stream threads. */
    static int streamThreads(Map<String, Object> config) {
        Object threads = config.get("num.stream.threads");
        return threads == null ? 1 : Integer.parseInt(threads.toString().strip());
    }

    Run ours(String applicationId, long events, String name) {
        Path work = tempDir();
        Properties p = new Properties();
        config.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty("spend.topics.create", "false");
        p.setProperty("spend.bench.evaluation.enabled", "false");
        p.setProperty("application.id", applicationId);
        p.setProperty("processing.guarantee", "exactly_once_v2");
        p.setProperty("state.dir", work.resolve("state").toString());
        Path properties = work.resolve("app.properties");
        try {
            Files.createFile(properties, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: created below with the default permissions
        }
        try (Writer w = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
            p.store(w, "spend-monitor bench: ours without evaluation (may hold client credentials; deleted after the run)");
        } catch (IOException e) {
            throw new CliException("cannot write the app's configuration: " + e.getMessage());
        }
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx" + heap));
        command.addAll(options(name));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchOwnJvm.class.getName(),
                properties.toString(), String.valueOf(events), String.valueOf(timeoutS)));
        try {
            return run(command, work, "ours without evaluation");
        } finally {
            deleteTree(work);
        }
    }

    Run peer(String prefix, String group, int parallelism, long events, String name) {
        Path work = tempDir();
        Path lib = peerJar.getParent().resolve("lib");
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx" + heap));
        command.addAll(options(name));
        command.addAll(List.of("-cp", peerJar + java.io.File.pathSeparator + lib.resolve("*"), "io.spendmonitor.flinkpeer.PeerMain",
                "--bootstrap-servers", String.valueOf(config.get("bootstrap.servers")),
                "--schema-registry", String.valueOf(config.get("schema.registry.url")),
                "--prefix", prefix, "--group", group, "--parallelism", String.valueOf(parallelism),
                "--events", String.valueOf(events), "--checkpoint-ms", "1000", "--timeout-s", String.valueOf(timeoutS)));
        try {
            return run(command, work, "the flink peer");
        } finally {
            deleteTree(work);
        }
    }

    /** The children's extra JVM options, with {name} replaced by the run's name (a JFR file per child). */
    private List<String> options(String name) {
        List<String> result = new ArrayList<>();
        jvmOptions.forEach(o -> result.add(o.replace("{name}", name)));
        return result;
    }

    private Run run(List<String> command, Path work, String what) {
        Path log = work.resolve("child.log");
        Process child;
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("SPEND_"));
            child = builder.start();
        } catch (IOException e) {
            throw new CliException("cannot start " + what + ": " + e.getMessage());
        }
        try {
            if (!child.waitFor(timeoutS + 120, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new CliException(what + " did not finish in " + timeoutS + " s; its log:\n" + tail(log));
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        String out = read(log);
        Matcher m = REPORT.matcher(out);
        if (child.exitValue() != 0 || !m.find()) {
            throw new CliException(what + " failed (exit " + child.exitValue() + "); its log:\n" + tail(log));
        }
        return new Run(Double.parseDouble(m.group(1)), Long.parseLong(m.group(2)));
    }

    /** VmHWM (peak resident set) of a /proc/PID/status file, in KiB; -1 when unknown. */
    static long vmHwmKiB(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("spend-bench-flink");
        } catch (IOException e) {
            throw new CliException("cannot create a work directory: " + e.getMessage());
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path log) {
        String out = read(log);
        return out.length() > 4000 ? out.substring(out.length() - 4000) : out;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
