package io.spendmonitor.cli;

import io.spendmonitor.producers.jsonl.AdminTopicCheck;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventLinePublisher;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.PublishResult;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code spend-monitor publish FILE|-}: JSON lines to the spend-monitor topics. */
@Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Publishes events written as JSON lines (one object per line) to their topics: token_usage to "
                        + "llm.token-usage, gpu_utilization to gpu.utilization (both keyed by team), api_price / gpu_price / "
                        + "selfhost_profile to spend.price-catalog, team_budget to spend.team-budgets.",
                "Each line is {\"type\": ..., fields named as in the Avro schemas (snake_case)}; blank lines and "
                        + "lines starting with # are skipped. Timestamps are ISO-8601 with a zone or epoch milliseconds; "
                        + "money is a number or a decimal string, read exactly (at most 9 decimals).",
                "A token_usage line without event_id gets one derived from its content (a name-based UUID), so "
                        + "publishing the same file twice does not count its calls twice.",
                "A bad line is reported on stderr as 'line N: reason' and skipped; the good lines still go through. "
                        + "Topics must exist (the broker may not create them): --create-topics creates missing ones."},
        footer = {"",
                "Examples:",
                "  spend-monitor publish -b localhost:9092 -r http://localhost:8081 usage.jsonl",
                "  gunzip -c backfill.jsonl.gz | spend-monitor publish -c prod.properties -",
                "  spend-monitor publish --dry-run usage.jsonl      # validate only, no Kafka",
                "  spend-monitor publish -b ... -r ... -X spend.topic.prefix=staging. f.jsonl",
                "",
                "A line:",
                "  {\"type\":\"token_usage\",\"timestamp\":\"2026-11-27T10:00:00Z\",",
                "   \"team\":\"search\",\"application\":\"ranker\",\"provider\":\"openai\",",
                "   \"model\":\"gpt-4o-mini\",\"input_tokens\":1200,\"cached_input_tokens\":1000,",
                "   \"output_tokens\":80}",
                "",
                "Exit codes: 0 every line published, 2 some lines rejected (the rest published), "
                        + "1 publishing failed (bad configuration, broker or registry unreachable, a topic missing, "
                        + "events not acknowledged within --timeout)."})
public final class PublishCommand implements Callable<Integer> {
    static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(2);
    static final int DEFAULT_PARTITIONS = 6;

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "JSON-lines file to publish, or - for standard input.")
    String input;

    @Mixin
    PublishOptions options;

    @Override
    public Integer call() {
        return publish(spec, client, options, () -> open(input), describe(input), new EventLineParser());
    }

    /** Options shared by {@code publish} and {@code prices load}. */
    public static final class PublishOptions {
        @Option(names = "--dry-run", description = "Validate only: report bad lines and counts, publish nothing (needs no Kafka).")
        boolean dryRun;

        @Option(names = "--create-topics", description = "Create a missing topic with its contract settings "
                + "(price catalog: 1 partition, compacted; others: " + DEFAULT_PARTITIONS + " partitions) instead of failing.")
        boolean createTopics;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
                description = "How long Kafka may take to acknowledge an event, and to answer at all (default ${DEFAULT-VALUE}; "
                        + "e.g. 30s, 2m, 500ms).")
        Duration timeout;

        @Option(names = "--no-progress", description = "No progress lines on stderr (they come every 2 s on long inputs).")
        boolean noProgress;
    }

    /**
     * Publishes the lines of {@code input} with {@code parser}; prints bad lines, progress and a
     * summary on stderr; returns the exit code.
     */
    static int publish(CommandSpec spec, ClientOptions client, PublishOptions options, Supplier<BufferedReader> input,
                       String inputName, EventLineParser parser) {
        PrintWriter err = spec.commandLine().getErr();
        if (options.timeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new CliException("--timeout must be at least 1s", 2);
        }
        EventLinePublisher.Listener listener = new EventLinePublisher.Listener() {
            @Override
            public void rejected(LineError error) {
                synchronized (err) {
                    err.println(error.describe());
                    err.flush();
                }
            }

            @Override
            public void progress(EventLinePublisher.Progress p) {
                synchronized (err) {
                    err.printf(Locale.ROOT, "... %d lines read, %d published, %d rejected, %d in flight (%.0f lines/s)%n",
                            p.linesRead(), p.published(), p.rejected(), p.inFlight(), p.linesPerSecond());
                    err.flush();
                }
            }
        };
        Duration progress = options.noProgress ? null : PROGRESS_INTERVAL;
        PublishResult result;
        Secrets secrets;
        if (options.dryRun) {
            secrets = Secrets.of(Map.of());
            try (BufferedReader reader = input.get()) {
                result = EventLinePublisher.dryRun(listener, progress).publish(reader, parser);
            } catch (IOException e) {
                throw new CliException("cannot read " + inputName + ": " + e.getMessage());
            }
        } else {
            Map<String, Object> config = client.config(true);
            secrets = Secrets.of(config);
            try (BufferedReader reader = input.get();
                 KafkaClients clients = KafkaClients.open(config, options, secrets)) {
                AdminTopicCheck topicCheck = new AdminTopicCheck(clients.admin, options.timeout, options.createTopics,
                        DEFAULT_PARTITIONS, note -> {
                            synchronized (err) {
                                err.println(note);
                            }
                        });
                result = EventLinePublisher.to(clients.producer, clients.topics, topicCheck, listener, progress)
                        .publish(reader, parser);
            } catch (IOException e) {
                throw new CliException("cannot read " + inputName + ": " + e.getMessage());
            }
        }
        synchronized (err) {
            err.println(result.summary());
            if (result.failure() != null) {
                err.println("error: " + secrets.redact(result.failure()) + hint(result.failure()));
            }
            err.flush();
        }
        return result.exitCode();
    }

    private static String hint(String failure) {
        return failure.contains("does not exist")
                ? "; create the spend-monitor topics first ('spend-monitor local' does), or pass --create-topics" : "";
    }

    /** A UTF-8 reader over a file, or standard input for "-"; a line with bytes that are not UTF-8 is rejected alone. */
    static BufferedReader open(String input) {
        if ("-".equals(input)) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        Path path = Path.of(input);
        try {
            return new BufferedReader(new InputStreamReader(Files.newInputStream(path), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new CliException("no such file: " + input, 2);
        } catch (IOException e) {
            throw new CliException("cannot read " + input + ": " + e.getMessage(), 2);
        }
    }

    static String describe(String input) {
        return "-".equals(input) ? "standard input" : input;
    }

    /** The producer (acks=all, idempotent, our Avro serializer), the admin client and the registry of one run. */
    static final class KafkaClients implements AutoCloseable {
        final RestSchemaRegistryClient registry;
        final Topics topics;
        final KafkaProducer<String, Object> producer;
        final Admin admin;

        private KafkaClients(RestSchemaRegistryClient registry, Topics topics, KafkaProducer<String, Object> producer, Admin admin) {
            this.registry = registry;
            this.topics = topics;
            this.producer = producer;
            this.admin = admin;
        }

        static KafkaClients open(Map<String, Object> config, PublishOptions options, Secrets secrets) {
            RestSchemaRegistryClient registry = null;
            KafkaProducer<String, Object> producer = null;
            try {
                registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
                Topics topics = Topics.fromConfig(config, registry);
                AvroSerializer<Object> values = new AvroSerializer<>(registry, AvroSerdeConfig.fromConfig(config), false);
                producer = new KafkaProducer<>(producerConfig(config, options.timeout), new StringSerializer(), values);
                Admin admin = Admin.create(adminConfig(config, options.timeout));
                return new KafkaClients(registry, topics, producer, admin);
            } catch (IllegalArgumentException | KafkaException e) {
                if (producer != null) {
                    producer.close(Duration.ZERO);
                }
                if (registry != null) {
                    registry.close();
                }
                throw new CliException("invalid client configuration: " + secrets.redact(messageOf(e)));
            }
        }

        @Override
        public void close() {
            try {
                producer.close(Duration.ofSeconds(5));
            } finally {
                try {
                    admin.close(Duration.ofSeconds(5));
                } finally {
                    registry.close();
                }
            }
        }
    }

    /** Producer settings: the user's client properties, with delivery guarantees and timeouts we need. */
    static Map<String, Object> producerConfig(Map<String, Object> config, Duration timeout) {
        Map<String, Object> p = kafkaProperties(config);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "spend-monitor-publish");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "20");
        long ms = timeout.toMillis();
        long linger = Long.parseLong(p.get(ProducerConfig.LINGER_MS_CONFIG).toString().trim());
        // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(1, Math.min(30_000, ms - linger))));
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(ms));
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(ms));
        return p;
    }

    static Map<String, Object> adminConfig(Map<String, Object> config, Duration timeout) {
        Map<String, Object> a = kafkaProperties(config);
        a.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "spend-monitor-publish-admin");
        long ms = timeout.toMillis();
        a.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(30_000, ms)));
        a.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(ms));
        return a;
    }

    /** The Kafka client part of the merged configuration: spend.* and registry settings left out. */
    static Map<String, Object> kafkaProperties(Map<String, Object> config) {
        return io.spendmonitor.schemas.ClientConfigs.kafkaProperties(config);
    }

    /** A message for people from a client exception: its message and its causes', once each. */
    static String messageOf(Throwable e) {
        return io.spendmonitor.schemas.ClientConfigs.messageOf(e);
    }

    /**
     * The secret values of a configuration (passwords, tokens, JAAS configs and the credentials inside
     * them, registry user info), so that no message we print can carry one.
     */
    static final class Secrets {
        private static final Pattern SECRET_KEY = Pattern.compile(
                "(?i).*(password|secret|jaas|token|user\\.info|credentials|private|\\.key$|keystore\\.key|apikey|api\\.key).*");
        private static final Pattern QUOTED = Pattern.compile("=\\s*\"([^\"]*)\"");
        private final List<String> values;

        private Secrets(List<String> values) {
            this.values = values;
        }

        static Secrets of(Map<String, Object> config) {
            List<String> values = new ArrayList<>();
            config.forEach((k, v) -> {
                if (v != null && SECRET_KEY.matcher(k).matches()) {
                    String text = v.toString();
                    values.add(text);
                    Matcher quoted = QUOTED.matcher(text);
                    while (quoted.find()) {
                        values.add(quoted.group(1));
                    }
                    int colon = text.indexOf(':');
                    if (k.endsWith("user.info") && colon >= 0) {
                        values.add(text.substring(colon + 1));
                    }
                }
            });
            // longest first, so that a value containing another is hidden whole
            values.removeIf(s -> s.length() < 3);
            values.sort((a, b) -> Integer.compare(b.length(), a.length()));
            return new Secrets(values);
        }

        String redact(String message) {
            if (message == null) {
                return null;
            }
            String out = message;
            for (String secret : values) {
                out = out.replace(secret, "[hidden]");
            }
            return out;
        }
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, or ISO-8601 {@code PT30S}. */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = SIMPLE.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
            try {
                return Duration.parse(value.trim());
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 30s, 500ms, 2m or PT30S");
            }
        }
    }
}
