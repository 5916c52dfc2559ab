package io.spendmonitor.cli;

import io.spendmonitor.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

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
 * The bench's last phase: the app as it is deployed ({@code spend-monitor run}, its own JVM, the
 * default grace and commit interval) fed at a steady rate, usually half the measured capacity,
 * with events stamped at the moment they are sent. It measures what a user sees:
 * <ul>
 *   <li>event to metric: from sending a call until the app's {@code /metrics}, scraped by the phase
 *       itself every {@link #SCRAPE_EVERY}, includes it. A team's calls are counted in order (they
 *       share a partition), so the call is in once the team's {@code llm_tokens_total{type="input"}}
 *       reaches the input tokens sent for the team up to and including it. The time is taken when
 *       the scrape's answer is in: an upper bound;</li>
 *   <li>the app's resident memory (VmRSS of its process), sampled every second.</li>
 * </ul>
 * GPU samples (5 % of the events) carry no tokens and are not measured; they take the same path.
 */
final class LatencyPhase {
    /** How often the phase scrapes the app's /metrics (adds up to this much to each latency; half on average). */
    static final Duration SCRAPE_EVERY = Duration.ofMillis(100);
    /**
     * Before the measured interval: the app's first commits and JIT warm-up are not measured. The
     * warm-up lasts at least this long, and then until the app has caught up (see {@link #CAUGHT_UP}).
     */
    private static final Duration WARM_UP = Duration.ofSeconds(15);
    /**
     * The app has caught up when the calls sent and not yet in /metrics are at most this much of the
     * rate: a steady state, not the backlog the JIT's first seconds leave. Measured latencies then say
     * what a user of a warm app sees; a rate the app cannot sustain never catches up (reported).
     */
    static final Duration CAUGHT_UP = Duration.ofSeconds(2);
    /** The longest warm-up: after it the phase measures anyway, and says the app had not caught up. */
    static final Duration MAX_WARM_UP = Duration.ofSeconds(120);
    private static final java.util.regex.Pattern INPUT_TOKENS = java.util.regex.Pattern.compile(
            "^llm_tokens_total\\{([^}]*)} (\\S+)$");
    /** Kafka Streams' own commit latency of the app's stream threads (ms), as its /metrics exports it. */
    private static final java.util.regex.Pattern COMMIT_LATENCY = java.util.regex.Pattern.compile(
            "^kafka_stream_thread_commit_latency_(avg|max)\\{[^}]*} (\\S+)$");

    /**
     * @param warmUpMs   how long the warm-up lasted
     * @param caughtUp   whether the app had caught up when the measured interval began (else it never
     *                   did within {@link #MAX_WARM_UP}: the rate is more than it sustains)
     * @param commitAvgMs Kafka Streams' commit latency at the end (its recent average and maximum, over
     *                    the stream threads; NaN when the app does not export it)
     * @param scrapeAvgMs how long the phase's own scrapes (the series it reads) took, request to answer (average, max)
     * @param fullScrapeMs how long one full scrape took at the end (as Prometheus takes it; negative if it failed),
     *                     and the series it held
     */
    record Result(double rate, int measured, long p50Ms, long p99Ms, long maxMs, int scrapes, long rssStartKiB, long rssMaxKiB,
                  long rssEndKiB, String heap, long warmUpMs, boolean caughtUp, double commitAvgMs, double commitMaxMs,
                  double scrapeAvgMs, double scrapeMaxMs, double fullScrapeMs, long fullScrapeSeries) {
    }

    /** One team's calls in send order: the input tokens sent up to each, and when it was sent. */
    private static final class Track {
        long[] cumulative = new long[64];
        long[] sentAt = new long[64];
        boolean[] measured = new boolean[64];
        int count;
        /** Calls before this index are counted by the app (as of the last scrape). */
        int seen;
        long sentTokens;

        synchronized void add(long inputTokens, long sentAtMs, boolean measure) {
            if (count == cumulative.length) {
                cumulative = Arrays.copyOf(cumulative, count * 2);
                sentAt = Arrays.copyOf(sentAt, count * 2);
                measured = Arrays.copyOf(measured, count * 2);
            }
            sentTokens += inputTokens;
            cumulative[count] = sentTokens;
            sentAt[count] = sentAtMs;
            measured[count] = measure;
            count++;
        }

        /** The app counts {@code tokens}: every call up to that sum is in, as of {@code atMs}. */
        synchronized void counted(double tokens, long atMs, IntList latencies) {
            while (seen < count && cumulative[seen] <= tokens) {
                if (measured[seen]) {
                    latencies.add((int) (atMs - sentAt[seen]));
                }
                seen++;
            }
        }

        /** Calls sent and not yet counted by the app. */
        synchronized int pending() {
            return count - seen;
        }

        synchronized int measuredPending() {
            int pending = 0;
            for (int i = seen; i < count; i++) {
                if (measured[i]) {
                    pending++;
                }
            }
            return pending;
        }
    }

    /** Latencies in ms, as many as the measured events, without boxing them. */
    private static final class IntList {
        private int[] values = new int[1 << 16];
        private int size;

        synchronized void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        synchronized int[] sorted() {
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
            String url = awaitServing(app, log);
            return measure(rate, measure, topics, rss, url);
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

    private Result measure(double rate, Duration measure, Topics topics, List<long[]> rss, String appUrl) {
        Map<String, Track> tracks = new ConcurrentHashMap<>();
        IntList latencies = new IntList();
        long phaseStart = System.currentTimeMillis();
        // set once the warm-up is over (the app caught up, or MAX_WARM_UP passed)
        AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
        AtomicLong measureTo = new AtomicLong(Long.MAX_VALUE);
        long minWarmUpEnd = phaseStart + Math.min(WARM_UP.toMillis(), measure.toMillis());
        boolean caughtUp = false;
        long caughtUpCalls = Math.max(1, (long) (rate * CAUGHT_UP.toMillis() / 1000.0));
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
                    if (record.value() instanceof io.spendmonitor.avro.TokenUsage u) {
                        tracks.computeIfAbsent(record.key(), k -> new Track())
                                .add(u.getInputTokens(), now, now >= measureFrom.get() && now < measureTo.get());
                    }
                    producer.send(record);
                    sent.incrementAndGet();
                }
            }
        }, "bench-latency-generator");
        generator.start();

        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        // only the series the phase reads: a full scrape of 500 teams takes the app ~0.1 s, and ten of
        // them a second (Prometheus takes one every 15 s or so) would measure the scraper, not the app
        java.net.http.HttpRequest scrape = java.net.http.HttpRequest.newBuilder(java.net.URI.create(appUrl + "/metrics?"
                        + "name[]=llm_tokens_total&name[]=kafka_stream_thread_commit_latency_avg&name[]=kafka_stream_thread_commit_latency_max"))
                .timeout(Duration.ofSeconds(5)).build();
        long lastReport = System.currentTimeMillis();
        int scrapes = 0;
        long scrapeMicros = 0;
        long maxScrapeMicros = 0;
        String lastBody = "";
        try {
            while (true) {
                long before = System.currentTimeMillis();
                if (before >= measureTo.get()) {
                    generating.set(false);
                }
                Map<String, Double> counted = new HashMap<>();
                try {
                    long asked = System.nanoTime();
                    String body = http.send(scrape, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    long at = System.currentTimeMillis();
                    long tookMicros = (System.nanoTime() - asked) / 1_000;
                    scrapeMicros += tookMicros;
                    maxScrapeMicros = Math.max(maxScrapeMicros, tookMicros);
                    lastBody = body;
                    for (String line : body.split("\n")) {
                        java.util.regex.Matcher m = INPUT_TOKENS.matcher(line);
                        if (m.matches() && m.group(1).contains("type=\"input\"")) {
                            String labels = m.group(1);
                            int t = labels.indexOf("team=\"");
                            String team = labels.substring(t + 6, labels.indexOf('"', t + 6));
                            counted.merge(team, Double.parseDouble(m.group(2)), Double::sum);
                        }
                    }
                    counted.forEach((team, tokens) -> {
                        Track track = tracks.get(team);
                        if (track != null) {
                            track.counted(tokens, at, latencies);
                        }
                    });
                    scrapes++;
                } catch (IOException e) {
                    throw new CliException("latency phase: cannot scrape " + appUrl + "/metrics: " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException("latency phase interrupted");
                }
                long now = System.currentTimeMillis();
                if (measureFrom.get() == Long.MAX_VALUE && now >= minWarmUpEnd) {
                    long behind = tracks.values().stream().mapToLong(Track::pending).sum();
                    caughtUp = behind <= caughtUpCalls;
                    if (caughtUp || now - phaseStart >= MAX_WARM_UP.toMillis()) {
                        if (!caughtUp) {
                            System.err.printf("  latency phase: the app is still %,d calls behind after a %d s warm-up; measuring anyway%n",
                                    behind, MAX_WARM_UP.toSeconds());
                        }
                        measureTo.set(now + measure.toMillis());
                        measureFrom.set(now);
                    }
                }
                if (now > measureTo.get()) {
                    int pending = tracks.values().stream().mapToInt(Track::measuredPending).sum();
                    if (pending == 0) {
                        break;
                    }
                    if (now > measureTo.get() + 120_000) {
                        throw new CliException("latency phase: " + pending + " calls never showed in /metrics; "
                                + "the app is probably overloaded (try a lower --latency-rate)");
                    }
                }
                if (now - lastReport > 10_000) {
                    long kib;
                    synchronized (rss) {
                        kib = rss.isEmpty() ? 0 : rss.get(rss.size() - 1)[1];
                    }
                    System.err.printf("  latency phase: %,d events sent, %,d calls measured, app RSS %,d MiB%n",
                            sent.get(), latencies.size, kib / 1024);
                    lastReport = now;
                }
                sleep(Math.max(0, SCRAPE_EVERY.toMillis() - (System.currentTimeMillis() - before)));
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
        // one full scrape, as Prometheus takes it: how long it takes and how many series it holds
        long fullMicros = -1;
        long series = 0;
        try {
            long asked = System.nanoTime();
            String full = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(appUrl + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            fullMicros = (System.nanoTime() - asked) / 1_000;
            series = full.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
        } catch (IOException e) {
            System.err.println("  latency phase: the full scrape failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        double commitAvg = Double.NaN;
        double commitMax = Double.NaN;
        for (String line : lastBody.split("\n")) {
            java.util.regex.Matcher m = COMMIT_LATENCY.matcher(line);
            if (m.matches()) {
                double v = Double.parseDouble(m.group(2));
                if (m.group(1).equals("avg")) {
                    commitAvg = Double.isNaN(commitAvg) ? v : Math.max(commitAvg, v);
                } else {
                    commitMax = Double.isNaN(commitMax) ? v : Math.max(commitMax, v);
                }
            }
        }
        return new Result(rate, all.length, percentile(all, 0.50), percentile(all, 0.99), all.length == 0 ? 0 : all[all.length - 1],
                scrapes, rssStart, rssMax, rssEnd, heap, measureFrom.get() - phaseStart, caughtUp, commitAvg, commitMax,
                scrapes == 0 ? 0 : scrapeMicros / 1e3 / scrapes, maxScrapeMicros / 1e3, fullMicros / 1e3, series);
    }

    private Process startApp(Path work, Path log, String applicationId) {
        Path properties = work.resolve("app.properties");
        Properties p = new Properties();
        config.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
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
        // a fixed heap, as the README says to run it (Deploy, Memory): a growing one adds GC work at the start
        List<String> command = List.of(java, "-Xms" + heap, "-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                SpendMonitorCli.class.getName(), "run", "--config", properties.toString(), "--http-host", "127.0.0.1", "--ingest-allow-anonymous",
                "--http-port", "0", "--state-dir", work.resolve("state").toString(), "--application-id", applicationId);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            // the file already holds this process's environment settings; the app's own SPEND_* would beat the file
            // (the environment outranks --config) and undo the phase's grace and topic prefix
            builder.environment().keySet().removeIf(name -> name.startsWith("SPEND_"));
            builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
            return builder.start();
        } catch (IOException e) {
            throw new CliException("cannot start the app (" + java + "): " + e.getMessage());
        }
    }

    /** The app's URL, once it serves. */
    private static String awaitServing(Process app, Path log) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String out = read(log);
            java.util.regex.Matcher url = java.util.regex.Pattern.compile("app\\.url=(\\S+)").matcher(out);
            if (url.find()) {
                return url.group(1);
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
