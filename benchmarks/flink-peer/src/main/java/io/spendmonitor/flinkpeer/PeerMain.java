package io.spendmonitor.flinkpeer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer as `bench` runs it: its own JVM, a local MiniCluster, the job of {@link PeerJob}; it
 * stops once {@code --events} events reached the pricing operator and prints one line:
 * {@code flink-peer events=N seconds=S events_per_s=R vmhwm_kib=K ...} (the rate counts from the
 * first event processed to the last, as bench counts the topology's). With {@code --events 0} it
 * runs until it is stopped (the equality test's mode).
 *
 * <pre>
 *   java -Xmx1g -jar benchmarks/flink-peer/target/flink-peer.jar --bootstrap-servers H:P
 *        --schema-registry URL --prefix P --parallelism N --events N [--checkpoint-ms 1000] [--timeout-s 1800]
 * </pre>
 */
public final class PeerMain {
    private PeerMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage("unexpected " + args[i]);
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0 || !a.keySet().containsAll(java.util.List.of("bootstrap-servers", "schema-registry", "prefix", "events"))) {
            usage("missing arguments");
        }
        long events = Long.parseLong(a.get("events"));
        int parallelism = Integer.parseInt(a.getOrDefault("parallelism", "1"));
        long timeoutS = Long.parseLong(a.getOrDefault("timeout-s", "1800"));
        PeerJob.Settings d = PeerJob.Settings.defaults(a.get("bootstrap-servers"), a.get("schema-registry"), a.get("prefix"),
                a.getOrDefault("group", a.get("prefix") + "flink-peer"), parallelism);
        PeerJob.Settings s = new PeerJob.Settings(d.bootstrapServers(), d.registryUrl(), d.prefix(), d.groupId(), parallelism,
                d.windowSize(), d.grace(), Long.parseLong(a.getOrDefault("checkpoint-ms", "1000")), d.timestampMin(), d.maxAhead(),
                d.attributionKeys(), d.attributionMaxValues(), d.kafka());

        Configuration conf = new Configuration();
        Path tmp = Files.createTempDirectory("flink-peer");
        conf.setString("io.tmp.dirs", tmp.toString());
        conf.setString("rest.bind-port", "0");
        // checkpoints to files, as a deployed job keeps them (the JobManager's memory takes at most 5 MiB of state;
        // the open windows' ids alone are more at bench's rate)
        conf.setString("execution.checkpointing.storage", "filesystem");
        conf.setString("execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString());
        // a failure ends the run: a restarted job would read events again and count them twice
        conf.setString("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        PeerJob.build(env, s);
        JobClient job = env.executeAsync("spend flink peer");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        long lastReport = System.nanoTime();
        while (events <= 0 || processed() < events) {
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                System.out.println("flink-peer failed: the job ended as " + job.getJobStatus().get());
                System.exit(1);
            }
            if (System.nanoTime() > deadline) {
                System.out.println("flink-peer failed: processed only " + processed() + " of " + events + " events in " + timeoutS + " s");
                System.exit(1);
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                System.err.printf("  flink peer processed %,d / %,d%n", processed(), events);
                lastReport = System.nanoTime();
            }
            Thread.sleep(20);
        }
        long end = System.nanoTime();
        double seconds = Math.max(1, end - DedupeAndPrice.FIRST_NANOS.get()) / 1e9;
        System.out.printf("flink-peer events=%d seconds=%.3f events_per_s=%.0f vmhwm_kib=%d late=%d duplicates=%d rejected=%d windows=%d%n",
                processed(), seconds, processed() / seconds, vmHwmKiB(), DedupeAndPrice.LATE.sum(), DedupeAndPrice.DUPLICATES.sum(),
                EventDeserialization.REJECTED.sum() + DedupeAndPrice.PRICING_REJECTED.sum(), TeamWindows.Emit.EMITTED.sum());
        System.out.flush();
        try {
            job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // exiting anyway
        }
        deleteTree(tmp);
        System.exit(0);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (Exception e) {
            // a temp dir left behind
        }
    }

    /** Every input event: those refused at the source and those that reached the pricing operator. */
    static long processed() {
        return DedupeAndPrice.PROCESSED.sum() + EventDeserialization.REJECTED.sum();
    }

    /** The process's peak resident set (VmHWM of /proc/self/status), in KiB; -1 where there is none. */
    static long vmHwmKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    private static void usage(String problem) {
        System.err.println("flink-peer: " + problem);
        System.err.println("usage: --bootstrap-servers H:P --schema-registry URL --prefix P --events N [--parallelism N]"
                + " [--group G] [--checkpoint-ms MS] [--timeout-s S]");
        System.exit(2);
    }
}
