package io.spendmonitor.streams.topology;

import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.PriceCatalog;
import org.junit.jupiter.api.Test;

import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins every node and store name: a renamed store renames its changelog topic and breaks a rolling
 * upgrade, so a change here must be deliberate.
 */
class TopologyNamesTest {

    @Test
    void everyNodeAndStoreHasAStableName() {
        String description = SpendTopology.build(SpendConfig.defaults(),
                Topics.withDefaults(new InMemorySchemaRegistryClient()), new PriceCatalog(), SpendListener.NONE)
                .describe().toString();

        TreeSet<String> names = new TreeSet<>();
        Matcher nodes = Pattern.compile("(?:Source|Processor|Sink): ([\\w-]+)").matcher(description);
        while (nodes.find()) {
            names.add(nodes.group(1));
        }
        TreeSet<String> stores = new TreeSet<>();
        Matcher storeLists = Pattern.compile("stores: \\[([^\\]]*)\\]").matcher(description);
        while (storeLists.find()) {
            for (String s : storeLists.group(1).split(",\\s*")) {
                if (!s.isBlank()) {
                    stores.add(s.trim());
                }
            }
        }

        assertThat(names).containsExactlyInAnyOrder("alerts-sink", "dead-letter-gpu-utilization-sink",
                "dead-letter-token-usage-sink", "gpu-utilization-source", "price-catalog-source", "price-catalog-updater",
                "team-budgets-source", "team-budgets-updater", "team-costs-sink", "token-usage-source", "admit", "price", "window", "evaluate");
        assertThat(stores).containsExactly("open-window-ids", "partition-clock", "price-catalog", "team-breakeven", "team-budgets", "team-repeat-totals",
                "team-repeats", "team-spend-commit-hook", "team-state", "team-windows");
        assertThat(description).doesNotContain("KSTREAM-").doesNotContain("repartition");
        // the per-team work reads as the cost model: admit -> price -> window -> evaluate
        assertThat(description).containsPattern("Processor: admit \\(stores: \\[[^\\]]*\\]\\)\\s+--> [^\\n]*price")
                .containsPattern("Processor: price \\(stores: \\[\\]\\)\\s+--> [^\\n]*window")
                .containsPattern("Processor: window \\(stores: \\[[^\\]]*\\]\\)\\s+--> [^\\n]*evaluate")
                .containsPattern("Processor: evaluate \\(stores: \\[[^\\]]*\\]\\)\\s+--> alerts-sink");
    }
}
