package io.spendmonitor.cli;

import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.kafka.streams.KafkaStreams;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * `bench`'s flink-peer phase runs our topology here, in its own JVM like the peer, so the two
 * processes' memory compares like with like: {@code java -Xmx.. -cp <cli> io.spendmonitor.cli.BenchOwnJvm
 * <properties> <events> <timeout-s>}. It counts events as bench's in-process phases do (first
 * processed to last) and prints one line: {@code ours events=N seconds=S events_per_s=R vmhwm_kib=K}.
 */
final class BenchOwnJvm {
    private BenchOwnJvm() {
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        long events = Long.parseLong(args[1]);
        long timeoutS = Long.parseLong(args[2]);
        Map<String, Object> config = new HashMap<>();
        p.forEach((k, v) -> config.put(k.toString(), v));
        CountingListener counting = new CountingListener();
        LongAdder processed = counting.processed;
        AtomicLong first = counting.first;
        SpendApplication app = new SpendApplication(SpendConfig.of(config), counting);
        app.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (processed.sum() < events) {
            KafkaStreams.State state = app.streams().state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING || System.nanoTime() > deadline) {
                System.out.println("ours failed: " + state + " after " + processed.sum() + " of " + events + " events");
                System.exit(1);
            }
            Thread.sleep(20);
        }
        double seconds = Math.max(1, System.nanoTime() - first.get()) / 1e9;
        System.out.printf("ours events=%d seconds=%.3f events_per_s=%.0f vmhwm_kib=%d%n", processed.sum(), seconds,
                processed.sum() / seconds, FlinkPeerPhase.vmHwmKiB(Path.of("/proc/self/status")));
        System.out.flush();
        System.exit(0); // the measurement is taken (exit, not halt: a JFR recording is written at exit)
    }
}
