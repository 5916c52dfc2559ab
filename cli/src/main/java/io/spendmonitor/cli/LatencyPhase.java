package io.spendmonitor.cli;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.schemas.ClientConfigs;
import io.spendmonitor.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bench's last phase: the app as it is deployed ({@code spend-monitor run}, its own JVM) fed
 * at a steady rate, usually half the measured capacity, with events stamped at the moment they are
 * sent. It measures
 * <ul>
 *   <li>event to metric: from sending an event until the minute window holding it is final,
 *       emitted and evaluated (the window record on {@code spend.team-costs} is readable, and
 *       the team's money series moved in the same commit);</li>
 *   <li>the part of that after the window's end plus grace: what the pipeline itself adds;</li>
 *   <li>the app's resident memory (VmRSS of its process), sampled every second.</li>
 * </ul>
 * The app runs with a short grace ({@link #GRACE}) so the phase takes minutes, not the default
 * grace's five; with the default grace every latency is longer by the difference.
 */
final class LatencyPhase {
    static final Duration GRACE = Duration.ofSeconds(5);
    /** Before the measured interval: the app's first commits and JIT warm-up are not measured. */
    private static final Duration WARM_UP = Duration.ofSeconds(15);

    record Result(double rate, int measured, long p50Ms, long p99Ms, long maxMs, long afterCloseP50Ms,
                  long afterCloseP99Ms, int windows, int incompleteWindows, long rssStartKiB, long rssMaxKiB,
                  long rssEndKiB, String heap) {
    }

    /** The events of one team-minute sent in the measured interval. */
    private static final class Track {
        int[] sentOffsets = new int[16];
        int count;
        int apiCalls;
        boolean measured;

        synchronized void add(int offsetMs, boolean apiCall) {
            if (count == sentOffsets.length) {
                sentOffsets = Arrays.copyOf(sentOffsets, count * 2);
            }
            sentOffsets[count++] = offsetMs;
            if (apiCall) {
                apiCalls++;
            }
        }
    }

    /** Latencies in ms, as many as the measured events, without boxing them. */
    private static final class IntList {
        private int[] values = new int[1 << 16];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int[] sorted() {
            int[] result = Arrays.copyOf(values, size);
            Arrays.sort(result);
            return result;
        }
    }

    private final Map<String, Object> config;
    private final int partitions;
    private final int teams;
    private final long seed;
    private final String heap;

    LatencyPhase(Map<String, Object> config, int partitions, int teams, long seed, String heap) {
        this.config = config;
        this.partitions = partitions;
        this.teams = teams;
        this.seed = seed;
        this.heap = heap;
    }

    Result run(double rate, Duration measure, Topics topics, String applicationId, Runnable createTopics) {
        Path work;
        try {
            work = Files.createTempDirectory("spend-bench-latency");
        } catch (IOException e) {
            throw new CliException("cannot create a directory for the app: " + e.getMessage());
        }
        createTopics.run();
        Path log = work.resolve("app.log");
        Process app = startApp(work, log, applicationId);
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> rss = new ArrayList<>();
        Thread sampler = new Thread(() -> {
            while (!stop.get() && app.isAlive()) {
                long kib = rssKiB(app.pid());
                if (kib > 0) {
                    synchronized (rss) {
                        rss.add(new long[]{System.currentTimeMillis(), kib});
                    }
                }
                sleep(1000);
            }
        }, "bench-rss");
        sampler.setDaemon(true);
        sampler.start();
        try {
            awaitServing(app, log);
            return measure(rate, measure, topics, rss);
        } finally {
            stop.set(true);
            app.destroy();
            try {
                if (!app.waitFor(60, TimeUnit.SECONDS)) {
                    app.destroyForcibly();
                }
            } catch (InterruptedException e) {
                app.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            deleteQuietly(work);
        }
    }

    private Result measure(double rate, Duration measure, Topics topics, List<long[]> rss) {
        Map<String, Track> tracks = new ConcurrentHashMap<>();
        IntList latencies = new IntList();
        IntList afterClose = new IntList();
        AtomicLong incomplete = new AtomicLong();
        AtomicLong received = new AtomicLong();
        long phaseStart = System.currentTimeMillis();
        long measureFrom = phaseStart + Math.min(WARM_UP.toMillis(), measure.toMillis());
        long windowMs = io.spendmonitor.streams.config.SpendConfig.of(config).settings().windowSizeMs();
        long measureTo = measureFrom + measure.toMillis();
        AtomicBoolean generating = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();

        Thread generator = new Thread(() -> {
            BenchEvents events = new BenchEvents(seed + 1, teams, topics);
            try (KafkaProducer<String, SpecificRecord> producer = BenchEvents.producer(config)) {
                events.sendPrices(producer);
                producer.flush();
                long start = System.nanoTime();
                long i = 0;
                while (generating.get()) {
                    long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                    if (i >= due) {
                        sleep(1);
                        continue;
                    }
                    long now = System.currentTimeMillis();
                    ProducerRecord<String, SpecificRecord> record = events.next(i++, Instant.ofEpochMilli(now), 0);
                    if (now >= measureFrom && now < measureTo) {
                        long windowStart = now - Math.floorMod(now, windowMs);
                        tracks.computeIfAbsent(record.key() + '|' + windowStart, k -> new Track())
                                .add((int) (now - phaseStart), BenchEvents.isApiCall(record));
                    }
                    producer.send(record);
                    sent.incrementAndGet();
                }
            }
        }, "bench-latency-generator");
        generator.start();

        Map<String, Object> consumerConfig = new HashMap<>(ClientConfigs.kafkaProperties(config));
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-latency-" + phaseStart);
        long lastReport = System.currentTimeMillis();
        // the last measured window is final a window plus the grace after the measured interval
        long deadline = measureTo + windowMs + GRACE.toMillis() + 120_000;
        try (KafkaConsumer<String, TeamCostWindow> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                topics.teamCosts().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.teamCosts().name()));
            while (true) {
                for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    TeamCostWindow w = r.value();
                    long windowStart = w.getWindowStart().toEpochMilli();
                    Track t = tracks.get(w.getTeam() + '|' + windowStart);
                    if (t == null || t.measured) {
                        continue;
                    }
                    synchronized (t) {
                        t.measured = true;
                        long closed = w.getWindowEnd().toEpochMilli() + GRACE.toMillis();
                        for (int k = 0; k < t.count; k++) {
                            latencies.add((int) (now - (phaseStart + t.sentOffsets[k])));
                            afterClose.add((int) (now - closed));
                        }
                        if (w.getApiCalls() < t.apiCalls) {
                            incomplete.incrementAndGet();
                        }
                    }
                    received.incrementAndGet();
                }
                long now = System.currentTimeMillis();
                if (now > measureTo && tracks.values().stream().allMatch(t -> t.measured)) {
                    break;
                }
                if (now > deadline) {
                    long missing = tracks.values().stream().filter(t -> !t.measured).count();
                    throw new CliException("latency phase: " + missing + " team windows never came out of the app; "
                            + "it is probably overloaded (try a lower --latency-rate)");
                }
                if (now - lastReport > 10_000) {
                    long kib;
                    synchronized (rss) {
                        kib = rss.isEmpty() ? 0 : rss.get(rss.size() - 1)[1];
                    }
                    System.err.printf("  latency phase: %,d events sent, %,d windows measured, app RSS %,d MiB%n",
                            sent.get(), received.get(), kib / 1024);
                    lastReport = now;
                }
            }
        } finally {
            generating.set(false);
            try {
                generator.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int[] all = latencies.sorted();
        int[] after = afterClose.sorted();
        long[][] samples;
        synchronized (rss) {
            samples = rss.toArray(new long[0][]);
        }
        long rssStart = 0;
        long rssMax = 0;
        for (long[] s : samples) {
            if (rssStart == 0 && s[0] >= phaseStart) {
                rssStart = s[1];
            }
            rssMax = Math.max(rssMax, s[1]);
        }
        long rssEnd = samples.length == 0 ? 0 : samples[samples.length - 1][1];
        return new Result(rate, all.length, percentile(all, 0.50), percentile(all, 0.99), all.length == 0 ? 0 : all[all.length - 1],
                percentile(after, 0.50), percentile(after, 0.99), tracks.size(), (int) incomplete.get(),
                rssStart, rssMax, rssEnd, heap);
    }

    private Process startApp(Path work, Path log, String applicationId) {
        Path properties = work.resolve("app.properties");
        Properties p = new Properties();
        config.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty("spend.window.grace", GRACE.toString());
        p.setProperty("spend.topics.create", "false");
        try {
            Files.createFile(properties, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: the file is created below with the default permissions
        }
        try (Writer w = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
            p.store(w, "spend-monitor bench: the latency phase's app (may hold client credentials; deleted after the run)");
        } catch (IOException e) {
            throw new CliException("cannot write the app's configuration: " + e.getMessage());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                SpendMonitorCli.class.getName(), "run", "--config", properties.toString(), "--http-host", "127.0.0.1", "--ingest-allow-anonymous",
                "--http-port", "0", "--state-dir", work.resolve("state").toString(), "--application-id", applicationId);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            // the file already holds this process's environment settings; the app's own SPEND_* would beat the file
            // (the environment outranks --config) and undo the phase's grace and topic prefix
            builder.environment().keySet().removeIf(name -> name.startsWith("SPEND_"));
            return builder.start();
        } catch (IOException e) {
            throw new CliException("cannot start the app (" + java + "): " + e.getMessage());
        }
    }

    private static void awaitServing(Process app, Path log) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String out = read(log);
            if (out.contains("app.url=")) {
                return;
            }
            if (!app.isAlive()) {
                throw new CliException("the app of the latency phase exited (" + app.exitValue() + "):\n" + tail(out));
            }
            sleep(200);
        }
        throw new CliException("the app of the latency phase did not serve within 120 s:\n" + tail(read(log)));
    }

    /** Resident set size of a process in KiB (Linux /proc), or 0 where that is not available. */
    static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    static long percentile(int[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String out) {
        String[] lines = out.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 20), lines.length));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is not worth failing the benchmark for
        }
    }
}
