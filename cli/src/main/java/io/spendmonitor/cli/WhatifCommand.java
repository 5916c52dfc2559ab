package io.spendmonitor.cli;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.producers.catalog.DefaultPriceCatalog;
import io.spendmonitor.producers.catalog.PriceCatalogReader;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.LineResult;
import io.spendmonitor.producers.jsonl.MissingTopicException;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.streams.config.ConfigKeys;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.replay.WhatifReplay;
import io.spendmonitor.streams.replay.WhatifReport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;

/** {@code spend-monitor whatif}: the team's own history replayed under other prices, or self-hosted. */
@Command(name = "whatif", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replays the token-usage and GPU events of [--from, --to) through the live cost model (the same rules: "
                + "duplicate ids, late events, unpriced calls, GPU busy/idle, minute windows) and prints per team what the period "
                + "cost under the price catalog on the topic (actual) and under that catalog plus the entries of --prices "
                + "(alternative: the same subject and effective_from replaces an entry, a new effective_from adds a version).",
                "With no --prices the actual and alternative totals are equal, and equal to the live app's "
                        + "GET /api/teams/{team}/cost over the same range, to the nano-dollar.",
                "For every self-host profile in the catalog that applies to a team (it called the profile's api_equivalent, "
                        + "or runs deployments of its model) it also prints what self-hosting would have cost, with replicas "
                        + "sized each hour from that hour's busiest minute at the target utilization (min_replicas floor), the "
                        + "ratio API cost / self-host cost (above 1: self-hosting is cheaper), the savings, the steady tokens a "
                        + "day at which the profile breaks even for the team's token mix, and the hours in which it was cheaper.",
                "Events come from Kafka (every partition read to its end offset as of the start, read_committed, from the "
                        + "records produced since --from minus --margin) or from JSON-lines archives (--events FILE, .gz too), "
                        + "so history beyond the topics' retention can be replayed. Progress goes to stderr."},
        footer = {"",
                "Examples:",
                "  spend-monitor whatif -b localhost:9092 -r http://localhost:8081 --from 2026-11-01 --to 2026-12-01",
                "  spend-monitor whatif -b ... -r ... --from 2026-11-01 --to 2026-12-01 --prices new-prices.jsonl --json",
                "  spend-monitor whatif --events august.jsonl.gz --from 2023-08-01 --to 2023-09-01 --profile llama-2-70b --html report.html",
                "  spend-monitor whatif -b ... -r ... --from 2026-11-01 --to 2026-12-01 --team search --csv whatif.csv",
                "",
                "Exit codes: 0 ok, 1 failed (Kafka or the registry unreachable, a file unreadable), 2 bad usage or no events in the range."})
public final class WhatifCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--from", required = true, paramLabel = "TIME", converter = SimulateCommand.StartConverter.class,
            description = "Start of the period (inclusive): ISO-8601, a date (midnight UTC), now or now-DURATION.")
    Instant from;

    @Option(names = "--to", required = true, paramLabel = "TIME", converter = SimulateCommand.StartConverter.class,
            description = "End of the period (exclusive), as --from.")
    Instant to;

    @Option(names = "--team", paramLabel = "TEAM", description = "Only this team; repeatable (default: every team).")
    List<String> teams = new ArrayList<>();

    @Option(names = "--prices", paramLabel = "FILE", description = "JSON lines of api_price / gpu_price / selfhost_profile "
            + "entries (the format of 'prices load') that make the alternative catalog.")
    Path prices;

    @Option(names = "--catalog", paramLabel = "FILE|default", description = "The actual catalog from a JSON-lines file (or "
            + "'default', the bundled one) instead of the spend.price-catalog topic; the default without -b.")
    String catalog;

    @Option(names = "--profile", paramLabel = "NAME", description = "Only this self-host profile (its model, e.g. llama-2-70b); repeatable.")
    List<String> profiles = new ArrayList<>();

    @Option(names = "--events", paramLabel = "FILE|-", description = "Read token_usage / gpu_utilization JSON lines (gzip "
            + "too) instead of the topics; repeatable, read in order.")
    List<String> events = new ArrayList<>();

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "6", description = "--events only: the partitions of the "
            + "live topics (events are grouped by team as the live app's tasks group them; default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--json", description = "One JSON document on stdout instead of the table.")
    boolean json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write one CSV row per team and profile to FILE (- for stdout).")
    String csv;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained HTML report with a chart per team.")
    Path html;

    @Option(names = "--margin", paramLabel = "DURATION", converter = PublishCommand.DurationConverter.class,
            description = "Kafka only: read records produced this long before --from too (out-of-order events, and the "
                    + "open windows' state). Default: grace + max-ahead + 2 windows.")
    Duration margin;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = PublishCommand.DurationConverter.class,
            description = "How long Kafka may go without returning data before the read fails (default ${DEFAULT-VALUE}).")
    Duration timeout;

    PrintWriter err;
    private long lastProgressNanos;
    private final long startNanos = System.nanoTime();

    @Override
    public Integer call() {
        err = spec.commandLine().getErr();
        if (!from.isBefore(to)) {
            throw new CliException("--from (" + from + ") must be before --to (" + to + ")", 2);
        }
        if (json && "-".equals(csv)) {
            throw new CliException("--json and --csv - both write to stdout: give --csv a file", 2);
        }
        if (partitions < 1 || partitions > 100_000) {
            throw new CliException("--partitions must be 1..100000", 2);
        }
        WhatifReplay replay = replay(null);
        WhatifReport report = replay.finish();
        progress(replay, true, "");
        if (replay.eventsInRange() == 0 || report.teams().isEmpty()) {
            throw new CliException("no token-usage or GPU events between " + from + " and " + to
                    + (teams.isEmpty() ? "" : " for " + String.join(", ", teams)) + " (" + replay.eventsRead() + " events read)", 2);
        }
        write(report, prices != null);
        return 0;
    }

    /**
     * Reads the catalog(s) and the events of [from - margin, to] through a {@link WhatifReplay}, as the
     * options say; {@code windows} (may be null) also receives every final window the actual catalog
     * counts. Shared with {@code export focus}, which sets this command's fields.
     */
    WhatifReplay replay(io.spendmonitor.streams.replay.ReplayTask.WindowSink windows) {
        return replay(windows, null);
    }

    /** @param calls given the settings, where the counted API calls go (null: nowhere) */
    WhatifReplay replay(io.spendmonitor.streams.replay.ReplayTask.WindowSink windows,
                        java.util.function.Function<SpendConfig, io.spendmonitor.streams.replay.ReplayTask.CallSink> calls) {
        if (err == null) {
            err = spec.commandLine().getErr();
        }
        // Kafka for the events unless --events; for the catalog unless --catalog, or when no Kafka is given with --events
        boolean kafka = events.isEmpty() || (catalog == null && (client.hasBootstrapOption() || hasBootstrapInConfig()));
        Map<String, Object> config = kafka ? client.config(true) : localConfig();
        SpendConfig spend;
        try {
            spend = SpendConfig.of(config);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        List<PriceCatalogReader.Entry> actualEntries = catalog != null ? readCatalogFile(catalog)
                : kafka ? readCatalogTopic(config) : readCatalogFile("default");
        PriceCatalog actual = catalogOf(actualEntries, "the actual catalog");
        PriceCatalog alternative = null;
        if (prices != null) {
            List<PriceCatalogReader.Entry> all = new ArrayList<>(actualEntries);
            all.addAll(readCatalogFile(prices.toString()));
            alternative = catalogOf(all, "the alternative catalog");
        }
        Duration grace = spend.settings().grace();
        Duration maxAhead = spend.timestampMaxAhead();
        Duration readMargin = margin != null ? margin : grace.plus(maxAhead).plus(spend.settings().windowSize().multipliedBy(2));
        WhatifReplay replay = new WhatifReplay(new WhatifReplay.Settings(from, to, spend.settings(), spend.timestampMin(), maxAhead,
                events.isEmpty(), new LinkedHashSet<>(teams), new LinkedHashSet<>(profiles)), actual, alternative);
        if (windows != null) {
            replay.onActualWindow(windows);
        }
        if (calls != null) {
            replay.onActualCall(calls.apply(spend));
        }
        if (events.isEmpty()) {
            readKafka(config, replay, readMargin);
        } else {
            readFiles(spend, replay);
        }
        return replay;
    }

    private boolean hasBootstrapInConfig() {
        try {
            return client.configFile != null && SpendConfig.readFile(client.configFile).containsKey("bootstrap.servers");
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /** --events with the catalog from a file: only spend.* settings matter (config file, environment, -X). */
    private Map<String, Object> localConfig() {
        Map<String, Object> config;
        try {
            config = client.configFile == null ? new LinkedHashMap<>() : SpendConfig.readFile(client.configFile);
            config.putAll(ConfigKeys.fromEnvironment(client.env));
            config.putAll(client.properties);
            ConfigKeys.check(config);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        return config;
    }

    // ---- catalogs

    private List<PriceCatalogReader.Entry> readCatalogTopic(Map<String, Object> config) {
        PublishCommand.Secrets secrets = PublishCommand.Secrets.of(config);
        try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config))) {
            String topic = Topics.fromConfig(config, registry).priceCatalog().name();
            try (KafkaConsumer<String, PriceEntry> consumer = new KafkaConsumer<>(
                    PricesCommand.ListCommand.consumerConfig(config, timeout), new StringDeserializer(),
                    new AvroDeserializer<>(registry, PriceEntry.class))) {
                PriceCatalogReader.Snapshot snapshot = PriceCatalogReader.read(consumer, topic, timeout);
                snapshot.undecodable().forEach(u -> err.println("warning: cannot decode " + u));
                return snapshot.entries();
            }
        } catch (MissingTopicException e) {
            throw new CliException(e.getMessage() + "; load prices with 'spend-monitor prices load --create-topics'");
        } catch (IllegalArgumentException | IllegalStateException | KafkaException e) {
            throw new CliException("cannot read the price catalog: " + secrets.redact(PublishCommand.messageOf(e)));
        }
    }

    private List<PriceCatalogReader.Entry> readCatalogFile(String file) {
        EventLineParser parser = new EventLineParser().acceptingOnly(java.util.EnumSet.of(EventType.API_PRICE, EventType.GPU_PRICE,
                EventType.SELFHOST_PROFILE));
        boolean bundled = "default".equals(file);
        List<PriceCatalogReader.Entry> entries = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        try (BufferedReader reader = bundled ? DefaultPriceCatalog.open() : open(file)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                Optional<LineResult> result = parser.parse(++number, line);
                if (result.isPresent() && result.get() instanceof ParsedEvent e) {
                    entries.add(new PriceCatalogReader.Entry(e.key(), (PriceEntry) e.value()));
                } else if (result.isPresent() && result.get() instanceof LineError error) {
                    errors.add("line " + error.lineNumber() + ": " + error.message());
                }
            }
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
        if (!errors.isEmpty()) {
            // a price file with a bad line would make a wrong comparison: refuse it whole
            throw new CliException((bundled ? DefaultPriceCatalog.description() : file) + " has " + errors.size() + " bad "
                    + (errors.size() == 1 ? "line" : "lines") + ": " + String.join("; ", errors.subList(0, Math.min(5, errors.size()))), 2);
        }
        return entries;
    }

    private PriceCatalog catalogOf(List<PriceCatalogReader.Entry> entries, String what) {
        PriceCatalog c = new PriceCatalog();
        for (PriceCatalogReader.Entry e : entries) {
            try {
                c.apply(e.key(), e.entry());
            } catch (RuntimeException ex) {
                // the live app skips such an entry too (and counts it)
                err.println("warning: " + what + " skips entry '" + e.key() + "': " + ex.getMessage());
            }
        }
        c.markLoaded();
        return c;
    }

    // ---- events

    private void readKafka(Map<String, Object> config, WhatifReplay replay, Duration readMargin) {
        PublishCommand.Secrets secrets = PublishCommand.Secrets.of(config);
        Map<String, Object> c = PricesCommand.ListCommand.consumerConfig(config, timeout);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "spend-monitor-whatif");
        try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config))) {
            Topics topics = Topics.fromConfig(config, registry);
            String tokenTopic = topics.tokenUsage().name();
            String gpuTopic = topics.gpuUtilization().name();
            Deserializer<SpecificRecord> values = new ByTopic(tokenTopic, new AvroDeserializer<>(registry, TokenUsage.class),
                    new AvroDeserializer<>(registry, GpuUtilization.class));
            try (KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(c, new StringDeserializer(), values)) {
                WhatifKafkaReader reader = new WhatifKafkaReader(consumer, tokenTopic, gpuTopic, timeout);
                int tasks = reader.tasks();
                Instant startAt = from.minus(readMargin);
                for (int task = 0; task < tasks; task++) {
                    String where = "partition " + (task + 1) + " of " + tasks;
                    reader.readTask(task, startAt, new WhatifKafkaReader.Sink() {
                        @Override
                        public void record(int t, SpecificRecord value, long wallMs) {
                            replay.offer(t, value, wallMs);
                            progress(replay, false, where);
                        }

                        @Override
                        public void endTask(int t) {
                            replay.endTask(t);
                        }
                    });
                }
                if (reader.undecodable() > 0) {
                    err.println("warning: " + reader.undecodable() + " undecodable records skipped (the live app dead-letters them)");
                }
            }
        } catch (KafkaException | IllegalStateException | IllegalArgumentException e) {
            throw new CliException("cannot read the events: " + secrets.redact(PublishCommand.messageOf(e)));
        }
    }

    private void readFiles(SpendConfig spend, WhatifReplay replay) {
        EventLineParser parser = new EventLineParser(java.time.Clock.systemUTC(), spend.timestampMin(), spend.timestampMaxAhead(),
                java.util.EnumSet.of(EventType.TOKEN_USAGE, EventType.GPU_UTILIZATION));
        long bad = 0;
        for (String file : events) {
            try (BufferedReader reader = open(file)) {
                String line;
                int number = 0;
                while ((line = reader.readLine()) != null) {
                    Optional<LineResult> result = parser.parse(++number, line);
                    if (result.isEmpty()) {
                        continue;
                    }
                    if (result.get() instanceof LineError error) {
                        if (++bad <= 10) {
                            err.println(PublishCommand.describe(file) + ": " + error.describe());
                        }
                        continue;
                    }
                    ParsedEvent e = (ParsedEvent) result.get();
                    long eventTime = e.value() instanceof TokenUsage u ? u.getTimestamp().toEpochMilli()
                            : ((GpuUtilization) e.value()).getTimestamp().toEpochMilli();
                    replay.offer(taskOf(e.key()), e.value(), eventTime);
                    progress(replay, false, PublishCommand.describe(file));
                }
            } catch (IOException | UncheckedIOException e) {
                throw new CliException("cannot read " + file + ": " + e.getMessage());
            }
        }
        if (bad > 0) {
            err.println(bad + (bad == 1 ? " line" : " lines") + " rejected (not counted, as the live app would not count them)");
        }
    }

    /** The partition the default Kafka partitioner gives a team's records (murmur2 of the key). */
    private int taskOf(String team) {
        return Utils.toPositive(Utils.murmur2(team.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** A file (gzip when it starts with gzip's magic bytes) or standard input, as UTF-8 lines. */
    static BufferedReader open(String file) {
        try {
            InputStream raw = "-".equals(file) ? System.in : Files.newInputStream(Path.of(file));
            BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(2);
            int b1 = in.read();
            int b2 = in.read();
            in.reset();
            InputStream body = b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
            return new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new CliException("no such file: " + file, 2);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), 2);
        }
    }

    void progress(WhatifReplay replay, boolean last, String where) {
        if (!last && (replay.eventsRead() & 0xFFFF) != 0) {
            return;
        }
        long now = System.nanoTime();
        if (!last && now - lastProgressNanos < 2_000_000_000L) {
            return;
        }
        lastProgressNanos = now;
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        err.printf(java.util.Locale.ROOT, "%s%,d events read, %,d in range (%,.0f events/s)%s%n", last ? "done: " : "",
                replay.eventsRead(), replay.eventsInRange(), replay.eventsRead() / seconds, where.isEmpty() ? "" : ", " + where);
        err.flush();
    }

    // ---- output

    private void write(WhatifReport report, boolean alternative) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(WhatifOutput.json(report));
        } else if (!"-".equals(csv)) {
            WhatifOutput.table(report, alternative).forEach(out::println);
        }
        if (csv != null) {
            List<String> rows = WhatifOutput.csv(report);
            if ("-".equals(csv)) {
                rows.forEach(out::println);
            } else {
                writeFile(Path.of(csv), String.join("\n", rows) + "\n");
                err.println("wrote " + csv);
            }
        }
        if (html != null) {
            writeFile(html, WhatifOutput.html(report, alternative));
            err.println("wrote " + html);
        }
        out.flush();
        err.flush();
    }

    private static void writeFile(Path path, String text) {
        try {
            Files.writeString(path, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot write " + path + ": " + e.getMessage());
        }
    }

    /** One consumer reads both topics: each value is decoded as its topic's type. */
    private record ByTopic(String tokenTopic, Deserializer<TokenUsage> tokens, Deserializer<GpuUtilization> samples)
            implements Deserializer<SpecificRecord> {
        @Override
        public SpecificRecord deserialize(String topic, byte[] data) {
            return topic.equals(tokenTopic) ? tokens.deserialize(topic, data) : samples.deserialize(topic, data);
        }
    }
}
