package io.spendmonitor.streams.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpendConfigTest {
    @TempDir
    Path dir;

    @Test
    void theRemovedDedupeRetentionIsRefusedWithWhatReplacedIt() {
        assertThatThrownBy(() -> SpendConfig.of(Map.of("spend.dedupe.retention", "PT24H")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'spend.dedupe.retention' is no longer a setting")
                .hasMessageContaining("remove the line");
    }

    @Test
    void defaultsAndOverrides() {
        assertThat(SpendConfig.defaults().windowRetention()).isEqualTo(Duration.ofDays(1));
        assertThat(SpendConfig.of(Map.of(SpendConfig.WINDOW_GRACE, "PT10S")).settings().graceMs()).isEqualTo(10_000L);
        assertThatThrownBy(() -> SpendConfig.of(Map.of(SpendConfig.WINDOW_GRACE, "five minutes")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(SpendConfig.WINDOW_GRACE);
    }

    @Test
    void theFileThenTheEnvironmentThenTheOptionsForEverySetting() throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "spend.rocksdb.memory-mb=64\nspend.notify.max-pending=7\nspend.metrics.max-teams=11\n"
                + "spend.window.grace=PT1M\n");
        Map<String, String> env = Map.of("SPEND_ROCKSDB_MEMORY_MB", "256", "SPEND_NOTIFY_MAX_PENDING", "8",
                "SPEND_WINDOW_GRACE", "PT2M");
        SpendConfig config = SpendConfig.load(file, env, Map.of("spend.rocksdb.memory-mb", "512"));

        assertThat(config.string("spend.rocksdb.memory-mb")).as("an option beats the environment").isEqualTo("512");
        assertThat(config.string("spend.notify.max-pending")).as("the environment beats the file").isEqualTo("8");
        assertThat(config.duration(SpendConfig.WINDOW_GRACE)).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.string("spend.metrics.max-teams")).as("the file beats the default").isEqualTo("11");
        assertThat(SpendConfig.load(file, Map.of(), Map.of()).string("spend.notify.max-pending")).isEqualTo("7");
    }

    @Test
    void theEnvironmentReachesSettingsOutsideTheCostModel() {
        SpendConfig config = SpendConfig.load(null, Map.of("SPEND_ROCKSDB_MEMORY_MB", "256"), Map.of());
        assertThat(config.string("spend.rocksdb.memory-mb")).isEqualTo("256");
        assertThat(SpendConfig.load(null, Map.of("SPEND_TOPIC_PREFIX", "staging."), Map.of()).string("spend.topic.prefix"))
                .isEqualTo("staging.");
    }

    @Test
    void anUnknownSettingIsRefusedNamingTheNearestOne() throws Exception {
        assertThatThrownBy(() -> SpendConfig.of(Map.of("spend.window.gracee", "PT10M")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown setting 'spend.window.gracee'; did you mean 'spend.window.grace'?");
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "spend.rocksdb.memory_mb=256\n");
        assertThatThrownBy(() -> SpendConfig.load(file, Map.of(), Map.of()))
                .hasMessage("unknown setting 'spend.rocksdb.memory_mb'; did you mean 'spend.rocksdb.memory-mb'?");
        assertThatThrownBy(() -> SpendConfig.of(Map.of("spend.notify.consumr.auto.offset.reset", "earliest")))
                .hasMessageStartingWith("unknown setting 'spend.notify.consumr.auto.offset.reset'; did you mean 'spend.notify.consumer.");
        // Kafka client properties are not ours to check
        assertThat(SpendConfig.of(Map.of("max.poll.records", "10", "spend.notify.consumer.max.poll.records", "10"))
                .string("max.poll.records")).isEqualTo("10");
    }
}
