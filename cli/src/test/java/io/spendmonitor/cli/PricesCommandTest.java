package io.spendmonitor.cli;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.producers.catalog.DefaultPriceCatalog;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import io.spendmonitor.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code spend-monitor prices load / list} against a real broker and registry. */
@ExtendWith(KafkaClusterExtension.class)
class PricesCommandTest {
    private final KafkaCluster cluster;

    @TempDir
    Path dir;

    PricesCommandTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    private CliRun prices(String prefix, String... args) {
        List<String> all = new ArrayList<>(List.of("prices"));
        all.add(args[0]);
        all.addAll(List.of("-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(), "-X", Topics.PREFIX_CONFIG + "=" + prefix));
        all.addAll(List.of(args).subList(1, args.length));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static List<PriceEntry> parse(BufferedReader reader) throws IOException {
        EventLineParser parser = new EventLineParser();
        List<PriceEntry> entries = new ArrayList<>();
        int n = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            int lineNumber = ++n;
            parser.parse(lineNumber, line).ifPresent(r -> {
                assertThat(r).as("line %d: %s", lineNumber, r).isInstanceOf(ParsedEvent.class);
                entries.add((PriceEntry) ((ParsedEvent) r).value());
            });
        }
        return entries;
    }

    @Test
    void theDefaultCatalogLoadsAndListsBackWhole() throws IOException {
        String prefix = "prices-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        CliRun load = prices(prefix, "load", "--create-topics");
        assertThat(load.exitCode()).as(load.toString()).isZero();
        assertThat(load.err()).contains("created topic " + prefix + "spend.price-catalog (1 partition, compacted)")
                .contains("published 45 (api_price 24, gpu_price 8, selfhost_profile 13), rejected 0");
        // a second load replaces the same keys: still 45 entries
        assertThat(prices(prefix, "load", "--no-progress").exitCode()).isZero();

        CliRun json = prices(prefix, "list", "--json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        assertThat(json.err()).contains("45 entries in " + prefix + "spend.price-catalog");
        List<PriceEntry> listed = parse(new BufferedReader(new StringReader(json.out())));
        List<PriceEntry> bundled;
        try (BufferedReader reader = DefaultPriceCatalog.open()) {
            bundled = parse(reader);
        }
        assertThat(listed).hasSize(45).containsExactlyInAnyOrderElementsOf(bundled);

        // the JSON lines load back unchanged: same keys, nothing new
        Path file = Files.writeString(dir.resolve("prices.jsonl"), json.out());
        CliRun reload = prices(prefix, "load", file.toString());
        assertThat(reload.exitCode()).as(reload.toString()).isZero();
        assertThat(prices(prefix, "list", "--json").out()).isEqualTo(json.out());

        CliRun table = prices(prefix, "list");
        assertThat(table.exitCode()).isZero();
        List<String> rows = table.out().lines().toList();
        assertThat(rows).hasSize(46);
        assertThat(rows.get(0)).startsWith("KIND     SUBJECT").contains("EFFECTIVE_FROM", "PRICES (USD)", "SOURCE");
        assertThat(rows).anySatisfy(r -> assertThat(r).startsWith("api      openai/gpt-3.5-turbo").contains("2023-11-06", "in 1.00, out 2.00 per 1M tokens"))
                .anySatisfy(r -> assertThat(r).startsWith("api      openai/gpt-3.5-turbo").contains("2024-01-25", "in 0.50, out 1.50 per 1M tokens"))
                .anySatisfy(r -> assertThat(r).startsWith("gpu      H100-80GB").contains("2.99 per GPU-hour"));
        CliRun gpus = prices(prefix, "list", "--kind", "gpu");
        assertThat(gpus.out().lines().skip(1)).hasSize(8).allSatisfy(r -> assertThat(r).startsWith("gpu"));
    }

    @Test
    void listingAMissingCatalogSaysHowToLoadOne() {
        CliRun run = prices("absent-" + UUID.randomUUID().toString().substring(0, 8) + ".", "list");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("does not exist; load prices with 'spend-monitor prices load --create-topics'");
    }
}
