package io.spendmonitor.streams.topology;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BoundedRocksDbMemoryTest {

    @Test
    void theTopologysRocksDbStoresShareOneCacheOfTheConfiguredSize() {
        try (TopologyFixture f = new TopologyFixture()) {
            // a call opens the persistent stores (RocksDB), which asks the config setter
            f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
            f.send(f.call("search", "openai", "gpt-4o-mini", Instant.parse("2026-03-02T10:00:00Z")).build());
            // the default: 128 MiB = 128 * 1024 * 1024 bytes
            assertThat(BoundedRocksDbMemory.capacityBytes()).isEqualTo(134_217_728L);
        }
    }

    @Test
    void aBadSizeIsRefusedWithTheSettingsName() {
        assertThat(BoundedRocksDbMemory.memoryMb(null)).isEqualTo(128);
        assertThat(BoundedRocksDbMemory.memoryMb(" 512 ")).isEqualTo(512);
        assertThatThrownBy(() -> BoundedRocksDbMemory.memoryMb("8")).hasMessageContaining("'spend.rocksdb.memory-mb' must be");
        assertThatThrownBy(() -> BoundedRocksDbMemory.memoryMb("1g")).hasMessageContaining("got '1g'");
    }
}
