package io.spendmonitor.streams.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpendConfigTest {

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
}
