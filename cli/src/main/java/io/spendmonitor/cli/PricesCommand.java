package io.spendmonitor.cli;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.producers.catalog.DefaultPriceCatalog;
import io.spendmonitor.producers.catalog.PriceCatalogReader;
import io.spendmonitor.producers.catalog.PriceTable;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventLineWriter;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.MissingTopicException;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** {@code spend-monitor prices load [FILE]} and {@code spend-monitor prices list}: the price catalog. */
@Command(name = "prices", mixinStandardHelpOptions = true,
        description = {"The price catalog (topic spend.price-catalog): API model prices, GPU prices and self-host profiles, "
                + "each in force from its effective_from. An event is priced with the entry in force at its own time."},
        subcommands = {PricesCommand.LoadCommand.class, PricesCommand.ListCommand.class},
        footer = {"",
                "Examples:",
                "  spend-monitor prices load -b localhost:9092 -r http://localhost:8081",
                "  spend-monitor prices list -b localhost:9092 -r http://localhost:8081",
                "  spend-monitor prices list -b ... -r ... --json > prices.jsonl",
                "  spend-monitor prices load -b ... -r ... prices.jsonl   # after editing it"})
public final class PricesCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Publishes price catalog entries and team budgets written as JSON lines (the format of "
                    + "'spend-monitor publish'; types api_price, gpu_price, selfhost_profile, owned_gpu, team_budget; any other type is "
                    + "a bad line). Without FILE it loads the default catalog bundled with spend-monitor: today's popular "
                    + "API models and GPUs, self-host profiles, and the classic GPT-3.5 / GPT-4 / Llama 2 entries for replays.",
                    "Entries are keyed by subject and effective_from, so loading the same file again replaces the same "
                            + "entries and adds none; a new effective_from adds a version and keeps the history."},
            footer = {"",
                    "Examples:",
                    "  spend-monitor prices load -b localhost:9092 -r http://localhost:8081",
                    "  spend-monitor prices load -c prod.properties my-prices.jsonl",
                    "  spend-monitor prices load --dry-run my-prices.jsonl",
                    "",
                    "A line:",
                    "  {\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",",
                    "   \"input_usd_per_mtok\":\"0.15\",\"cached_input_usd_per_mtok\":\"0.075\",",
                    "   \"output_usd_per_mtok\":\"0.60\",\"effective_from\":\"2024-07-18T00:00:00Z\"}",
                    "",
                    "Exit codes: 0 every line published, 2 some lines rejected (the rest published), 1 publishing failed."})
    static final class LoadCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE|-",
                description = "JSON-lines file, or - for standard input; default: the bundled default catalog.")
        String file;

        @Mixin
        PublishCommand.PublishOptions options;

        @Override
        public Integer call() {
            EventLineParser parser = new EventLineParser().acceptingOnly(EventType.pricesAndBudgets());
            Supplier<BufferedReader> input = file == null ? DefaultPriceCatalog::open : () -> PublishCommand.open(file);
            String name = file == null ? DefaultPriceCatalog.description() : PublishCommand.describe(file);
            return PublishCommand.publish(spec, client, options, input, name, parser);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Prints the price catalog as it is now: reads spend.price-catalog from its beginning to its "
                    + "end (no consumer group, nothing committed) and prints one row per entry: kind, subject, "
                    + "effective_from, prices (USD per 1M tokens, per GPU-hour) and source. With --json it prints JSON lines "
                    + "that 'prices load' reads back unchanged."},
            footer = {"",
                    "Examples:",
                    "  spend-monitor prices list -b localhost:9092 -r http://localhost:8081",
                    "  spend-monitor prices list -b ... -r ... --kind api",
                    "  spend-monitor prices list -b ... -r ... --json > prices.jsonl",
                    "",
                    "Exit codes: 0 ok, 1 failed (or some records could not be decoded), 2 bad usage."})
    static final class ListCommand implements Callable<Integer> {
        enum Kind { api, gpu, profile }

        @Spec
        CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Option(names = "--json", description = "JSON lines (the format 'prices load' reads) instead of a table.")
        boolean json;

        @Option(names = "--kind", paramLabel = "KIND", description = "Only this kind: ${COMPLETION-CANDIDATES}.")
        Kind kind;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = PublishCommand.DurationConverter.class,
                description = "How long reading the catalog may take (default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new CliException("--timeout must be at least 1s", 2);
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Map<String, Object> config = client.config(true);
            PublishCommand.Secrets secrets = PublishCommand.Secrets.of(config);
            PriceCatalogReader.Snapshot snapshot;
            String topic;
            try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config))) {
                topic = Topics.fromConfig(config, registry).priceCatalog().name();
                try (KafkaConsumer<String, PriceEntry> consumer = new KafkaConsumer<>(consumerConfig(config, timeout),
                        new StringDeserializer(), new AvroDeserializer<>(registry, PriceEntry.class))) {
                    snapshot = PriceCatalogReader.read(consumer, topic, timeout);
                }
            } catch (MissingTopicException e) {
                throw new CliException(e.getMessage() + "; load prices with 'spend-monitor prices load --create-topics'");
            } catch (IllegalArgumentException | IllegalStateException | KafkaException e) {
                throw new CliException("cannot read the price catalog: " + secrets.redact(PublishCommand.messageOf(e)));
            }
            List<PriceEntry> entries = snapshot.entries().stream().map(PriceCatalogReader.Entry::entry)
                    .filter(e -> kind == null || kind.name().equals(kindOf(e)))
                    .sorted(PriceTable.ORDER)
                    .toList();
            if (json) {
                entries.forEach(e -> out.println(EventLineWriter.toLine(e)));
            } else {
                PriceTable.render(entries).forEach(out::println);
            }
            out.flush();
            snapshot.undecodable().forEach(u -> err.println("warning: cannot decode " + u));
            err.println(entries.size() + (entries.size() == 1 ? " entry" : " entries") + " in " + topic
                    + (snapshot.undecodable().isEmpty() ? "" : ", " + snapshot.undecodable().size() + " undecodable records skipped"));
            err.flush();
            return snapshot.undecodable().isEmpty() ? 0 : 1;
        }

        private static String kindOf(PriceEntry entry) {
            return switch (EventType.of(entry)) {
                case API_PRICE -> "api";
                case GPU_PRICE -> "gpu";
                default -> "profile";
            };
        }

        static Map<String, Object> consumerConfig(Map<String, Object> config, Duration timeout) {
            Map<String, Object> c = PublishCommand.kafkaProperties(config);
            // assigned partitions, read once: no group, no commits, never create the topic
            c.remove(ConsumerConfig.GROUP_ID_CONFIG);
            c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "spend-monitor-prices-list");
            long ms = timeout.toMillis();
            c.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(30_000, ms)));
            c.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(ms));
            return c;
        }
    }
}
