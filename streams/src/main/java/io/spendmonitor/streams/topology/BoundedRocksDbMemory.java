package io.spendmonitor.streams.topology;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * Caps the memory of every RocksDB store in the process. By default Kafka Streams gives each
 * RocksDB instance its own 50 MB block cache and up to three 16 MB memtables, and a window store
 * opens a RocksDB instance per segment, so off-heap memory grows with partitions and segments
 * (the first soak's RSS kept climbing). Here all stores share one LRU cache of
 * {@code spend.rocksdb.memory-mb} (default 128), and their memtables are charged to it through a
 * write-buffer manager (a quarter of it), so the process's off-heap use stays bounded and flat.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {
    public static final String MEMORY_MB = "spend.rocksdb.memory-mb";
    public static final int DEFAULT_MEMORY_MB = 128;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;
    private static long capacityBytes;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(sharedCache(configs));
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBuffers);
        options.setMaxWriteBufferNumber(2);
        options.setWriteBufferSize(8L * 1024 * 1024);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write-buffer manager are shared by every store: never closed per store
    }

    /** One cache per process, sized by the first configuration that asks (apps in one JVM share it). */
    private static synchronized Cache sharedCache(Map<String, Object> configs) {
        if (cache == null) {
            long mb = memoryMb(configs.get(MEMORY_MB));
            capacityBytes = mb * 1024 * 1024;
            // index and filter blocks get a tenth of the cache at high priority
            cache = new LRUCache(capacityBytes, -1, false, 0.1);
            writeBuffers = new WriteBufferManager(capacityBytes / 4, cache);
        }
        return cache;
    }

    static long memoryMb(Object value) {
        if (value == null) {
            return DEFAULT_MEMORY_MB;
        }
        try {
            long mb = Long.parseLong(value.toString().trim());
            if (mb >= 16) {
                return mb;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + MEMORY_MB + "' must be a whole number of MiB, at least 16, got '" + value + "'");
    }

    /** The shared cache's size in bytes (0 before the first store opened). */
    static synchronized long capacityBytes() {
        return capacityBytes;
    }
}
