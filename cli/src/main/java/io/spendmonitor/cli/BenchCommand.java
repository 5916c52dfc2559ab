package io.spendmonitor.cli;

import io.spendmonitor.cluster.LocalCluster;
import io.spendmonitor.schemas.ClientConfigs;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.TimeWindows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code spend-monitor bench}: on one broker, over the same generated events, (1) the raw consume
 * rate of the input topics, (2) a trivial Kafka Streams windowed count (exactly-once), (3) the
 * full spend topology (exactly-once). Rates count from the first record processed to the last, so
 * start-up and rebalancing are left out of all three alike.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Throughput of the spend topology against Kafka's own limits.",
                "Measures, on the same events:",
                "raw consume rate, a trivial windowed count (exactly-once) and the full topology (exactly-once).",
                "Ends with one line: full/trivial=R1 full/raw=R2. Without --bootstrap-servers it starts a fresh local broker and registry.",
                "--flink adds the flink peer phase: ours without evaluation against the same job on Apache Flink; ours/flink=R."},
        footer = {"", "Example:", "  spend-monitor bench --events 10000000"})
public final class BenchCommand implements Runnable {
    @Option(names = "--events", defaultValue = "1000000", description = "Events to generate (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--teams", defaultValue = "500", description = "Distinct teams (default ${DEFAULT-VALUE}).")
    int teams;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of each input topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--timeout", defaultValue = "PT30M", description = "Give up a phase after this long (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--repeat", defaultValue = "2",
            description = "Runs of the trivial count and of the full topology, alternating; the best of each counts (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--latency-seconds", defaultValue = "60",
            description = "How long to measure event-to-metric latency and the app's memory, with `run` in its own JVM (0: skip; default ${DEFAULT-VALUE}).")
    int latencySeconds;

    @Option(names = "--latency-rate", paramLabel = "EVENTS_PER_S",
            description = "Events per second for the latency phase (default: half the full topology's measured rate).")
    Double latencyRate;

    @Option(names = "--app-heap", defaultValue = "1g", description = "-Xmx of the latency phase's app (default ${DEFAULT-VALUE}).")
    String appHeap;

    @Option(names = "--flink",
            description = "Also run the flink peer phase: our topology without evaluation and the same job on Apache Flink "
                    + "(benchmarks/flink-peer), each in its own JVM with --app-heap, alternating; prints ours/flink=R.")
    boolean flink;

    @Option(names = "--flink-peer-jar", paramLabel = "JAR",
            description = "The peer's jar (default: benchmarks/flink-peer/target/flink-peer.jar of this build; its lib/ beside it).")
    java.nio.file.Path flinkPeerJar;

    @Option(names = "--flink-jfr-dir", paramLabel = "DIR",
            description = "Profile the flink phase's two processes: a JFR recording (settings=profile) of each run in DIR "
                    + "(ours-run1.jfr, flink-run1.jfr, ...).")
    java.nio.file.Path flinkJfrDir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ClientOptions client = new ClientOptions();

    /**
     * The registry as the user configured it (-c, -X, -r): credentials, timeouts and fail-over URLs
     * included, as every other command reads it. (A client made from the URL alone was refused by a
     * registry that requires basic.auth.user.info.)
     */
    static SchemaRegistrySettings registrySettings(Map<String, Object> config) {
        return SchemaRegistrySettings.fromConfig(config);
    }

    @Override
    public void run() {
        if (events < 1 || teams < 1 || partitions < 1 || repeat < 1) {
            throw new CliException("--events, --teams, --partitions and --repeat must be positive", 2);
        }
        if (latencySeconds < 0 || (latencyRate != null && !(latencyRate > 0))) {
            throw new CliException("--latency-seconds must be 0 or more and --latency-rate positive", 2);
        }
        PrintWriter out = spec.commandLine().getOut();
        LocalCluster local = null;
        Map<String, Object> config;
        if (!client.hasBootstrapOption()) {
            System.err.println("starting a fresh local broker and registry...");
            local = LocalCluster.start();
            client.bootstrapServers = local.bootstrapServers();
            client.schemaRegistry = local.schemaRegistryUrl();
        }
        config = new HashMap<>(client.config(true));
        String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        config.put(Topics.PREFIX_CONFIG, prefix);
        try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(registrySettings(config))) {
            Topics topics = Topics.fromConfig(config, registry);
            createTopics(config, topics);
            long produceStart = System.nanoTime();
            produce(config, topics);
            double produceRate = events / seconds(System.nanoTime() - produceStart);
            System.err.printf("produced %,d events at %,.0f events/s%n", events, produceRate);

            double raw = rawConsume(config, topics);
            System.err.printf("raw consume: %,.0f events/s%n", raw);
            // trivial and full alternate, each on a fresh application id: a machine that slows down
            // for a while (2 shared cores do) then costs both alike, and the best run of each counts
            List<Double> trivialRuns = new ArrayList<>();
            List<Double> fullRuns = new ArrayList<>();
            List<Double> trivialCpu = new ArrayList<>();
            List<Double> fullCpu = new ArrayList<>();
            for (int r = 1; r <= repeat; r++) {
                StreamsRun t = trivialCount(config, topics, prefix + "run" + r + ".");
                trivialRuns.add(t.eventsPerS());
                trivialCpu.add(t.cpuMicrosPerEvent());
                System.err.printf("trivial windowed count (exactly-once), run %d: %,.0f events/s, %.2f µs CPU/event"
                        + " (the whole process, broker included: %.2f)%n", r, t.eventsPerS(), t.cpuMicrosPerEvent(), t.processCpuMicrosPerEvent());
                StreamsRun f = fullTopology(config, prefix + "run" + r + ".");
                fullRuns.add(f.eventsPerS());
                fullCpu.add(f.cpuMicrosPerEvent());
                System.err.printf("full spend topology (exactly-once), run %d: %,.0f events/s, %.2f µs CPU/event"
                        + " (the whole process, broker included: %.2f)%n", r, f.eventsPerS(), f.cpuMicrosPerEvent(), f.processCpuMicrosPerEvent());
            }
            double trivial = java.util.Collections.max(trivialRuns);
            double full = java.util.Collections.max(fullRuns);
            double trivialCpuBest = java.util.Collections.min(trivialCpu);
            double fullCpuBest = java.util.Collections.min(fullCpu);

            out.printf("%-42s %14s%n", "phase (" + String.format("%,d", events) + " events, " + partitions + " partitions)", "events/s");
            out.printf("%-42s %,14.0f%n", "produce (Avro through the registry)", produceRate);
            out.printf("%-42s %,14.0f%n", "raw consume", raw);
            out.printf("%-42s %,14.0f%s%n", "trivial windowed count, exactly-once", trivial, runs(trivialRuns));
            out.printf("%-42s %,14.0f%s%n", "full spend topology, exactly-once", full, runs(fullRuns));
            out.printf("full/trivial=%.2f full/raw=%.2f%s%n", full / trivial, full / raw,
                    repeat > 1 ? " (best of " + repeat + " runs each)" : "");
            // CPU per event of the app's own threads: what the rates would be on a quiet core, and much
            // less moved than they are by whatever else the machine runs meanwhile
            out.printf("cpu_us_per_event trivial=%.2f full=%.2f full/trivial_by_cpu=%.2f%s%n", trivialCpuBest, fullCpuBest,
                    trivialCpuBest / fullCpuBest, repeat > 1 ? " (least of " + repeat + " runs each)" : "");
            out.flush();
            if (flink) {
                flinkPeer(config, prefix, out);
                out.flush();
            }
            if (latencySeconds > 0) {
                latency(config, registry, latencyRate != null ? latencyRate : full / 2, out);
            }
            out.flush();
        } finally {
            if (local != null) {
                local.close();
            }
        }
    }

    /** The flink peer phase (see {@link FlinkPeerPhase}): on the events produced above, alternating, best of --repeat. */
    private void flinkPeer(Map<String, Object> config, String prefix, PrintWriter out) {
        java.nio.file.Path jar = flinkPeerJar != null ? flinkPeerJar : FlinkPeerPhase.defaultPeerJar();
        if (jar == null || !Files.isRegularFile(jar) || !Files.isDirectory(jar.getParent().resolve("lib"))) {
            out.printf("flink peer: skipped, %s (with its lib/) is not built; `mvn -B -DskipTests package` builds it%n", jar);
            return;
        }
        int parallelism = FlinkPeerPhase.streamThreads(config);
        List<String> options = flinkJfrDir == null ? List.of()
                : List.of("-XX:StartFlightRecording=filename=" + flinkJfrDir.toAbsolutePath().resolve("{name}.jfr") + ",settings=profile");
        FlinkPeerPhase phase = new FlinkPeerPhase(config, jar, appHeap, options, timeout.toSeconds());
        List<FlinkPeerPhase.Run> ours = new ArrayList<>();
        List<FlinkPeerPhase.Run> peer = new ArrayList<>();
        for (int r = 1; r <= repeat; r++) {
            ours.add(phase.ours(prefix + "run" + r + ".noeval", events, "ours-run" + r));
            System.err.printf("ours without evaluation (own JVM), run %d: %,.0f events/s, peak RSS %,d MiB%n", r,
                    ours.get(r - 1).eventsPerS(), ours.get(r - 1).peakRssKiB() / 1024);
            peer.add(phase.peer(prefix, prefix + "run" + r + ".flink-peer", parallelism, events, "flink-run" + r));
            System.err.printf("flink peer (own JVM), run %d: %,.0f events/s, peak RSS %,d MiB%n", r,
                    peer.get(r - 1).eventsPerS(), peer.get(r - 1).peakRssKiB() / 1024);
        }
        FlinkPeerPhase.Run bestOurs = java.util.Collections.max(ours, java.util.Comparator.comparingDouble(FlinkPeerPhase.Run::eventsPerS));
        FlinkPeerPhase.Run bestPeer = java.util.Collections.max(peer, java.util.Comparator.comparingDouble(FlinkPeerPhase.Run::eventsPerS));
        out.printf("%-42s %14s %12s%n", "flink phase: own JVMs, -Xmx" + appHeap + ", parallelism " + parallelism,
                "events/s", "peak RSS");
        out.printf("%-42s %,14.0f %,8d MiB%s%n", "ours without evaluation, exactly-once", bestOurs.eventsPerS(),
                bestOurs.peakRssKiB() / 1024, runs(ours.stream().map(FlinkPeerPhase.Run::eventsPerS).toList()));
        out.printf("%-42s %,14.0f %,8d MiB%s%n", "flink peer (Flink 2.2), exactly-once", bestPeer.eventsPerS(),
                bestPeer.peakRssKiB() / 1024, runs(peer.stream().map(FlinkPeerPhase.Run::eventsPerS).toList()));
        out.printf("ours/flink=%.2f%s%n", bestOurs.eventsPerS() / bestPeer.eventsPerS(),
                repeat > 1 ? " (best of " + repeat + " runs each; peak RSS of those runs)" : "");
    }

    private String runs(List<Double> rates) {
        if (rates.size() < 2) {
            return "";
        }
        StringBuilder s = new StringBuilder("   (runs:");
        rates.forEach(r -> s.append(String.format(" %,.0f", r)));
        return s.append(')').toString();
    }

    private void latency(Map<String, Object> config, RestSchemaRegistryClient registry, double rate, PrintWriter out) {
        Map<String, Object> phaseConfig = new HashMap<>(config);
        String prefix = "bench-latency-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        phaseConfig.put(Topics.PREFIX_CONFIG, prefix);
        Topics topics = Topics.fromConfig(phaseConfig, registry);
        System.err.printf("latency phase: `run` in its own JVM (-Xmx%s), %,.0f events/s for %d s after a warm-up of at least %d s,"
                        + " until the app has caught up (at most %d s)...%n",
                appHeap, rate, latencySeconds, Math.min(15, latencySeconds), LatencyPhase.MAX_WARM_UP.toSeconds());
        LatencyPhase.Result r = new LatencyPhase(phaseConfig, partitions, teams, seed, appHeap)
                .run(rate, Duration.ofSeconds(latencySeconds), topics, prefix + "spend-monitor", () -> createTopics(phaseConfig, topics));
        out.printf("latency at %,.0f events/s (`run` in its own JVM, -Xmx%s, default grace and commit interval), %,d calls, %,d scrapes,"
                        + " after a %.0f s warm-up%s:%n", r.rate(), r.heap(), r.measured(), r.scrapes(), r.warmUpMs() / 1e3,
                r.caughtUp() ? " (the app caught up)" : " (the app had NOT caught up: the rate is more than it sustains)");
        out.printf("%-42s %5.2f s / %5.2f s (max %.2f s)%n", "event to /metrics p50 / p99", r.p50Ms() / 1e3, r.p99Ms() / 1e3, r.maxMs() / 1e3);
        out.printf("%-42s %,7d / %,d / %,d MiB%n", "app RSS start / max / end", r.rssStartKiB() / 1024, r.rssMaxKiB() / 1024,
                r.rssEndKiB() / 1024);
        out.printf("%-42s %,7.1f / %,.1f ms (the series it reads; a full scrape: %,.0f ms, %,d series)%n",
                "the phase's scrapes of /metrics avg / max", r.scrapeAvgMs(), r.scrapeMaxMs(), r.fullScrapeMs(), r.fullScrapeSeries());
        if (!Double.isNaN(r.commitAvgMs())) {
            out.printf("%-42s %,7.0f / %,.0f ms%n", "app commit latency (Kafka Streams) avg / max", r.commitAvgMs(),
                    Double.isNaN(r.commitMaxMs()) ? 0.0 : r.commitMaxMs());
        }
        out.printf("event_to_metric_p50_ms=%d event_to_metric_p99_ms=%d%n", r.p50Ms(), r.p99Ms());
    }

    private void createTopics(Map<String, Object> config, Topics topics) {
        try (Admin admin = Admin.create(ClientConfigs.kafkaProperties(config))) {
            admin.createTopics(topics.newTopics(partitions, java.util.Optional.of((short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new CliException("cannot create the benchmark topics: " + e.getMessage());
        }
    }

    /** The events: see {@link BenchEvents}; 20,000 a minute of event time, ending an hour ago. */
    private void produce(Map<String, Object> config, Topics topics) {
        BenchEvents generator = new BenchEvents(seed, teams, topics);
        // a busy organisation: 20,000 calls a minute (at least 10 minutes of event time), ending an hour ago
        long spanMillis = Math.max(Duration.ofMinutes(10).toMillis(), events * 60_000L / 20_000);
        Instant start = Instant.now().minus(Duration.ofHours(1)).minusMillis(spanMillis);
        try (KafkaProducer<String, SpecificRecord> producer = BenchEvents.producer(config)) {
            generator.sendPrices(producer);
            long reportEvery = Math.max(1, events / 10);
            for (long i = 0; i < events; i++) {
                // event time advances with the index, a little jitter
                producer.send(generator.next(i, start.plusMillis(i * spanMillis / events), 500));
                if ((i + 1) % reportEvery == 0) {
                    System.err.printf("  produced %,d / %,d%n", i + 1, events);
                }
            }
            producer.flush();
        }
    }

    private double rawConsume(Map<String, Object> config, Topics topics) {
        Map<String, Object> consumerConfig = new HashMap<>(ClientConfigs.kafkaProperties(config));
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        consumerConfig.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        consumerConfig.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitionsToRead = new ArrayList<>();
            for (String topic : List.of(topics.tokenUsage().name(), topics.gpuUtilization().name())) {
                for (int p = 0; p < partitions; p++) {
                    partitionsToRead.add(new TopicPartition(topic, p));
                }
            }
            consumer.assign(partitionsToRead);
            consumer.seekToBeginning(partitionsToRead);
            long count = 0;
            long first = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (count < events) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty() && first == 0) {
                    first = System.nanoTime();
                }
                count += records.count();
                if (System.nanoTime() > deadline) {
                    throw new CliException("raw consume read only " + count + " of " + events + " events in " + timeout);
                }
            }
            return count / seconds(System.nanoTime() - first);
        }
    }

    private Map<String, Object> streamsConfig(Map<String, Object> config, String appId) {
        Map<String, Object> props = new HashMap<>(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("spend-bench").toString());
        } catch (java.io.IOException e) {
            throw new CliException("cannot create a state directory: " + e.getMessage());
        }
        return props;
    }

    /** One streams run: its rate from the first record to the last, and its threads' CPU per event over the same span. */
    record StreamsRun(double eventsPerS, double cpuMicrosPerEvent, double processCpuMicrosPerEvent) {
    }

    /** A windowed count per key over the raw bytes: what any Streams app does at the least. */
    private StreamsRun trivialCount(Map<String, Object> config, Topics topics, String prefix) {
        LongAdder processed = new LongAdder();
        AtomicLong first = new AtomicLong();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(List.of(topics.tokenUsage().name(), topics.gpuUtilization().name()),
                        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("bench-source"))
                .peek((k, v) -> {
                    if (first.get() == 0) {
                        first.compareAndSet(0, System.nanoTime());
                    }
                    processed.increment();
                }, Named.as("bench-count-records"))
                .groupByKey(Grouped.as("bench-group"))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofMinutes(5)))
                .count(Named.as("bench-count"), Materialized.<String, Long, org.apache.kafka.streams.state.WindowStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("bench-counts")
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        Map<String, Object> props = streamsConfig(config, prefix + "trivial");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), toProperties(props))) {
            return runUntil(streams, processed, first, prefix + "trivial");
        }
    }

    private StreamsRun fullTopology(Map<String, Object> config, String prefix) {
        CountingListener counting = new CountingListener();
        LongAdder processed = counting.processed;
        AtomicLong first = counting.first;
        Map<String, Object> props = streamsConfig(config, prefix + "spend-monitor");
        props.put(SpendApplication.CREATE_TOPICS, "false");
        try (SpendApplication app = new SpendApplication(SpendConfig.of(props), counting)) {
            return runUntil(app.streams(), processed, first, app::start, prefix + "spend-monitor");
        }
    }

    private StreamsRun runUntil(KafkaStreams streams, LongAdder processed, AtomicLong first, String appId) {
        return runUntil(streams, processed, first, streams::start, appId);
    }

    private StreamsRun runUntil(KafkaStreams streams, LongAdder processed, AtomicLong first, Runnable start, String appId) {
        start.run();
        AppCpu cpu = new AppCpu(appId);
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastReport = System.nanoTime();
        while (processed.sum() < events) {
            if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new CliException("the streams application stopped: " + streams.state());
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("processed only " + processed.sum() + " of " + events + " events in " + timeout);
            }
            if (first.get() != 0) {
                cpu.markStart(processed.sum()); // once: the CPU from here on is the events' (start-up and rebalance excluded)
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                System.err.printf("  processed %,d / %,d%s%n", processed.sum(), events, threadTime(streams));
                lastReport = System.nanoTime();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
        }
        long count = processed.sum();
        double rate = count / seconds(System.nanoTime() - first.get());
        long counted = Math.max(1, count - cpu.eventsAtStart());
        System.err.printf("  %s%n", written(streams, count));
        return new StreamsRun(rate, cpu.sinceStartNanos() / 1e3 / counted, cpu.processSinceStartNanos() / 1e3 / counted);
    }

    /** What the application's producers sent (changelogs, outputs, transaction markers aside), per event. */
    static String written(KafkaStreams streams, long events) {
        double bytes = 0;
        double records = 0;
        Map<String, Double> byTopic = new HashMap<>(); // without the run's prefix
        for (var e : streams.metrics().entrySet()) {
            if (!(e.getValue().metricValue() instanceof Double v) || v.isNaN()) {
                continue;
            }
            String group = e.getKey().group();
            String name = e.getKey().name();
            if ("producer-metrics".equals(group) && name.equals("outgoing-byte-total")) {
                bytes += v;
            } else if ("producer-metrics".equals(group) && name.equals("record-send-total")) {
                records += v;
            } else if ("producer-topic-metrics".equals(group) && name.equals("byte-total")) {
                String topic = e.getKey().tags().getOrDefault("topic", "?");
                byTopic.merge(topic.substring(topic.lastIndexOf('.') + 1), v, Double::sum);
            }
        }
        StringBuilder top = new StringBuilder();
        byTopic.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(6)
                .forEach(t -> top.append(String.format(" %s %.1f", t.getKey(), t.getValue() / Math.max(1, events))));
        return String.format("sent %.2f records and %,.1f bytes (requests included) per event%s", records / Math.max(1, events),
                bytes / Math.max(1, events), top.length() == 0 ? "" : "; record bytes per event by topic:" + top);
    }

    /**
     * Where the stream threads' wall time went lately (Kafka Streams' thread ratios, averaged over the
     * threads): processing, polling, committing, punctuating. What is left is waiting elsewhere.
     */
    static String threadTime(KafkaStreams streams) {
        Map<String, double[]> ratios = new java.util.LinkedHashMap<>();
        for (String name : List.of("process-ratio", "poll-ratio", "commit-ratio", "punctuate-ratio")) {
            ratios.put(name, new double[2]);
        }
        streams.metrics().forEach((name, metric) -> {
            double[] r = ratios.get(name.name());
            if (r != null && "stream-thread-metrics".equals(name.group()) && metric.metricValue() instanceof Double v && !v.isNaN()) {
                r[0] += v;
                r[1]++;
            }
        });
        StringBuilder s = new StringBuilder();
        ratios.forEach((name, r) -> {
            if (r[1] > 0) {
                s.append(String.format(" %s %.0f%%", name.substring(0, name.indexOf('-')), 100 * r[0] / r[1]));
            }
        });
        return s.length() == 0 ? "" : " (stream threads:" + s + ")";
    }

    /**
     * The CPU time of the threads of one streams application in this JVM: its stream threads, their
     * producers' and consumers' threads and its state updater all have the application id in their
     * names (the broker's and this command's threads do not). Threads that start after
     * {@link #markStart} count from 0.
     */
    static final class AppCpu {
        private final String appId;
        private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        /** This JVM's CPU: with a local cluster, the broker's work for the run is in it too. */
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        private Map<Long, Long> atStart;
        private long eventsAtStart;
        private long processAtStart;

        AppCpu(String appId) {
            this.appId = appId;
        }

        long processSinceStartNanos() {
            return atStart == null ? 0 : os.getProcessCpuTime() - processAtStart;
        }

        void markStart(long events) {
            if (atStart == null) {
                processAtStart = os.getProcessCpuTime();
                atStart = sample();
                eventsAtStart = events;
            }
        }

        long eventsAtStart() {
            return eventsAtStart;
        }

        long sinceStartNanos() {
            Map<Long, Long> start = atStart == null ? Map.of() : atStart;
            long total = 0;
            for (Map.Entry<Long, Long> e : sample().entrySet()) {
                total += e.getValue() - start.getOrDefault(e.getKey(), 0L);
            }
            return total;
        }

        private Map<Long, Long> sample() {
            Map<Long, Long> cpu = new HashMap<>();
            for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info != null && info.getThreadName().contains(appId)) {
                    long nanos = threads.getThreadCpuTime(info.getThreadId());
                    if (nanos >= 0) {
                        cpu.put(info.getThreadId(), nanos);
                    }
                }
            }
            return cpu;
        }
    }

    private static java.util.Properties toProperties(Map<String, Object> map) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(map);
        return p;
    }

    private static double seconds(long nanos) {
        return Math.max(1, nanos) / 1e9;
    }
}
