package io.spendmonitor.streams.topology;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.Map;

/**
 * A store that holds nothing itself: it lets the spend nodes keep their open windows and team states as
 * objects and write them to the real (logged) stores only when Kafka Streams is about to commit,
 * the way Kafka Streams' own record caches do. Kafka Streams flushes every {@link CachedStateStore}
 * of a task before it sends the task's changelog records and commits the transaction with the
 * input offsets ({@code StreamTask.prepareCommit}), so what the hook writes is in the same
 * exactly-once commit as the input it came from; and it clears them when it discards a task's
 * uncommitted work ({@code clearCache}), so the processor then reloads from the stores.
 *
 * <p>{@code CachedStateStore} is an internal interface of Kafka Streams (pinned by the build's
 * Kafka version); the restart, chaos and topology tests fail if a Kafka upgrade stops calling it.
 */
final class CommitHookStore implements StateStore, CachedStateStore<Object, Object> {
    /** What the processor does at the hook. */
    interface Listener {
        /** Write everything buffered to the stores, now. */
        void flushBuffered();

        /** Forget everything buffered: the task's uncommitted work is being thrown away. */
        void discardBuffered();

        /** The task is closing (moving to another instance, or the app stopping). */
        default void closed() {
        }
    }

    private final String name;
    private volatile boolean open;
    private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Objects the task's nodes share (the open-window buffer): one per task, like the store itself. */
    private final java.util.Map<Class<?>, Object> shared = new java.util.HashMap<>();

    CommitHookStore(String name) {
        this.name = name;
    }

    /** Adds a node's hook; each node of the task that buffers work adds its own. */
    void listener(Listener listener) {
        listeners.add(listener);
    }

    /** The task's one instance of {@code type}, made by {@code create} for the first node that asks. */
    <T> T shared(Class<T> type, java.util.function.Supplier<T> create) {
        return type.cast(shared.computeIfAbsent(type, t -> create.get()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
        });
        open = true;
    }

    @Override
    public void flushCache() {
        for (Listener l : listeners) {
            l.flushBuffered();
        }
    }

    @Override
    public void flush() {
        flushCache();
    }

    @Override
    public void commit(Map<org.apache.kafka.common.TopicPartition, Long> changelogOffsets) {
        flushCache();
    }

    @Override
    public void clearCache() {
        for (Listener l : listeners) {
            l.discardBuffered();
        }
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> flushListener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void close() {
        open = false;
        for (Listener l : listeners) {
            l.closed();
        }
        listeners.clear();
        shared.clear();
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    static StoreBuilder<CommitHookStore> builder(String name) {
        return new StoreBuilder<>() {
            @Override
            public StoreBuilder<CommitHookStore> withCachingEnabled() {
                return this;
            }

            @Override
            public StoreBuilder<CommitHookStore> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<CommitHookStore> withLoggingEnabled(Map<String, String> config) {
                throw new UnsupportedOperationException("the commit hook keeps no data to log");
            }

            @Override
            public StoreBuilder<CommitHookStore> withLoggingDisabled() {
                return this;
            }

            @Override
            public CommitHookStore build() {
                return new CommitHookStore(name);
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return false;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
