package io.spendmonitor.streams.config;

import io.spendmonitor.streams.notify.NotifierConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigKeysTest {

    @Test
    void theReadmeTableListsEverySettingWithItsDefault() throws Exception {
        List<String> readme = readmeTableRows();
        List<String> registry = ConfigKeys.markdownTable().lines().filter(l -> l.startsWith("| `spend.")).toList();
        Map<String, String> readmeDefaults = defaultsByKey(readme);
        Map<String, String> registryDefaults = defaultsByKey(registry);

        Set<String> missing = new HashSet<>(registryDefaults.keySet());
        missing.removeAll(readmeDefaults.keySet());
        Set<String> unknown = new HashSet<>(readmeDefaults.keySet());
        unknown.removeAll(registryDefaults.keySet());
        assertThat(missing).as("settings missing from the README's configuration table").isEmpty();
        assertThat(unknown).as("settings in the README's configuration table that ConfigKeys does not know").isEmpty();
        assertThat(readmeDefaults).as("defaults in the README's configuration table").isEqualTo(registryDefaults);
        assertThat(String.join("\n", readme)).as("the README's configuration table; paste ConfigKeys.markdownTable():%n%s",
                ConfigKeys.markdownTable()).isEqualTo(String.join("\n", registry));
    }

    /** The rows of the first table after the README's "### Configuration" heading. */
    private static List<String> readmeTableRows() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("streams")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root").isNotNull();
        List<String> lines = Files.readAllLines(dir.resolve("README.md"));
        int heading = lines.indexOf("### Configuration");
        assertThat(heading).as("a '### Configuration' section in the README").isNotNegative();
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : lines.subList(heading + 1, lines.size())) {
            if (line.startsWith("|")) {
                inTable = true;
                if (line.startsWith("| `")) {
                    rows.add(line);
                }
            } else if (inTable || line.startsWith("#")) {
                break;
            }
        }
        return rows;
    }

    /** key → default cell, from rows "| `key` | env | type | default | what |". */
    private static Map<String, String> defaultsByKey(List<String> rows) {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String row : rows) {
            String[] cells = row.split("\\|");
            String key = cells[1].trim().replace("`", "");
            defaults.put(key, cells.length > 4 ? cells[4].trim().replace("`", "") : "(no default column)");
        }
        return defaults;
    }

    @Test
    void everySettingHasItsOwnEnvironmentVariable() {
        List<String> names = ConfigKeys.ALL.stream().filter(k -> !k.isFamily()).map(ConfigKey::envName).toList();
        assertThat(names).doesNotHaveDuplicates().contains("SPEND_ROCKSDB_MEMORY_MB", "SPEND_WINDOW_GRACE");
        assertThat(ConfigKeys.ALL.stream().map(ConfigKey::name).toList()).doesNotHaveDuplicates();
    }

    @Test
    void theRegistryDefaultsAreTheOnesTheReadersFallBackTo() {
        NotifierConfig fromRegistry = NotifierConfig.fromConfig(SpendConfig.defaults().asMap());
        NotifierConfig fallback = NotifierConfig.fromConfig(Map.of());
        assertThat(fromRegistry.retryPolicy()).isEqualTo(fallback.retryPolicy());
        assertThat(fromRegistry.httpConnectTimeout()).isEqualTo(fallback.httpConnectTimeout());
        assertThat(fromRegistry.httpRequestTimeout()).isEqualTo(fallback.httpRequestTimeout());
        assertThat(fromRegistry.closeTimeout()).isEqualTo(fallback.closeTimeout());
        assertThat(fromRegistry.dedupeSize()).isEqualTo(fallback.dedupeSize());
        assertThat(fromRegistry.maxPending()).isEqualTo(fallback.maxPending());
        assertThat(fromRegistry.pagerDutyUrl()).isEqualTo(fallback.pagerDutyUrl());
        assertThat(fromRegistry.console()).isEqualTo(fallback.console());
        assertThat(fromRegistry.groupId()).isEqualTo(fallback.groupId());
        assertThat(SpendConfig.defaults().string("spend.rocksdb.memory-mb"))
                .isEqualTo(String.valueOf(io.spendmonitor.streams.topology.BoundedRocksDbMemory.DEFAULT_MEMORY_MB));
    }

    @Test
    void aSecretIsNeverPrinted() {
        ConfigKey slack = ConfigKeys.find(NotifierConfig.SLACK_URL).orElseThrow();
        assertThat(slack.secret()).isTrue();
        assertThat(slack.shown("https://hooks.slack.com/services/T0/B0/xyz")).doesNotContain("xyz");
        assertThat(ConfigKeys.markdownTable()).contains("| `spend.notify.slack.url` | `SPEND_NOTIFY_SLACK_URL` | string | none |");
        assertThat(ConfigKeys.ALL.stream().filter(ConfigKey::secret).map(ConfigKey::name)).containsExactlyInAnyOrder(
                NotifierConfig.SLACK_URL, NotifierConfig.WEBHOOK_SECRET, NotifierConfig.PAGERDUTY_ROUTING_KEY);
    }

    @Test
    void valuesOfTheWrongTypeAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> SpendConfig.of(Map.of("spend.topics.create", "yes")))
                .hasMessage("'spend.topics.create' must be true or false, got 'yes'");
        assertThatThrownBy(() -> SpendConfig.of(Map.of("spend.notify.retry.max-age", "a while")))
                .hasMessageContaining("'spend.notify.retry.max-age' must be a duration");
        assertThat(ConfigKeys.nearest("spend.notify.consumr.max.poll.records")).isEqualTo("spend.notify.consumer.max.poll.records");
        assertThat(ConfigKeys.nearest("spend.idle.fire-window")).isEqualTo("spend.idle.fire-windows");
    }
}
