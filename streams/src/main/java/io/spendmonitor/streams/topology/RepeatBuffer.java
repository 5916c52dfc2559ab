package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.repeats.PromptSketch;
import io.spendmonitor.streams.repeats.RepeatMath;
import io.spendmonitor.streams.repeats.RepeatTotals;
import io.spendmonitor.streams.repeats.RepeatWindow;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The repeated-prompt side of the window node: each open team window's {@link RepeatWindow},
 * buffered as objects and written to the {@code team-repeats} window store at the commit hook (the
 * write-behind of {@link OpenWindows}; per call: a map lookup, two additions and one register
 * update). When a window is final its own cacheable cost is added to the team's
 * {@link RepeatTotals} ({@code team-repeat-totals}), with the repeat share of the horizon ending there.
 * On a discard everything buffered is forgotten and read back from the stores on use.
 */
final class RepeatBuffer {
    private final long windowMs;
    private final long horizonMs;
    private final WindowStore<String, RepeatWindow> windowStore;
    private final KeyValueStore<String, RepeatTotals> totals;
    private final Map<Long, Map<String, RepeatWindow>> open = new HashMap<>();
    private final Map<Long, java.util.Set<String>> dirty = new HashMap<>();
    /** Where the totals are exported once committed ({@code llm_cacheable_cost_usd_total}); null: not exported. */
    private final CommittedSpend committed;
    /** The teams whose totals this task exported (to take back on a discard or a close). */
    private final java.util.Set<String> exported = new java.util.HashSet<>();

    RepeatBuffer(long windowMs, long horizonMs, WindowStore<String, RepeatWindow> windowStore, KeyValueStore<String, RepeatTotals> totals) {
        this(windowMs, horizonMs, windowStore, totals, null);
    }

    RepeatBuffer(long windowMs, long horizonMs, WindowStore<String, RepeatWindow> windowStore, KeyValueStore<String, RepeatTotals> totals,
                 CommittedSpend committed) {
        this.windowMs = windowMs;
        this.horizonMs = horizonMs;
        this.windowStore = windowStore;
        this.totals = totals;
        this.committed = committed;
        if (committed != null) {
            // what the changelog restored is committed: export it as it is
            try (var it = totals.all()) {
                it.forEachRemaining(kv -> {
                    committed.publishRestoredCacheable(kv.key, kv.value.cacheableFemto());
                    exported.add(kv.key);
                });
            }
        }
    }

    void add(String team, long windowStart, String promptHash, long costFemto, long cachedInput, long input) {
        RepeatWindow w = window(team, windowStart);
        w.add(promptHash, costFemto, cachedInput, input);
        dirty.computeIfAbsent(windowStart, s -> new java.util.HashSet<>()).add(team);
    }

    private RepeatWindow window(String team, long windowStart) {
        Map<String, RepeatWindow> byTeam = open.computeIfAbsent(windowStart, s -> new HashMap<>());
        RepeatWindow w = byTeam.get(team);
        if (w == null) {
            w = windowStore.fetch(team, windowStart); // after a restart or a discard: what the last commit holds
            if (w == null) {
                w = new RepeatWindow();
            }
            byTeam.put(team, w);
        }
        return w;
    }

    /** The windows starting at {@code start} are final for {@code teams}: written, and counted into the totals. */
    void close(long start, java.util.Collection<String> teams) {
        Map<String, RepeatWindow> closing = open.remove(start);
        java.util.Set<String> changed = dirty.remove(start);
        for (String team : teams) {
            RepeatWindow w = closing == null ? null : closing.get(team);
            if (w == null) {
                w = windowStore.fetch(team, start);
            }
            if (w == null) {
                continue;
            }
            if (changed != null && changed.contains(team)) {
                windowStore.put(team, w, start);
            }
            List<RepeatWindow> earlier = new ArrayList<>();
            PromptSketch before = new PromptSketch();
            long from = start + windowMs - horizonMs;
            try (WindowStoreIterator<RepeatWindow> it = windowStore.fetch(team, Instant.ofEpochMilli(Math.max(0, from)),
                    Instant.ofEpochMilli(start - 1))) {
                it.forEachRemaining(kv -> {
                    earlier.add(kv.value);
                    before.merge(kv.value.sketch());
                });
            }
            RepeatTotals previous = totals.get(team);
            if (previous == null) {
                previous = RepeatTotals.NONE;
            }
            if (previous.lastWindowEndMs() >= start + windowMs) {
                continue; // counted already (a window is final once)
            }
            BigInteger added = w.hashedCalls() == 0 ? BigInteger.ZERO : RepeatMath.windowCacheableFemto(before, w);
            earlier.add(w);
            RepeatMath.Span span = RepeatMath.span(earlier);
            BigInteger total = previous.cacheableFemto().add(added);
            totals.put(team, new RepeatTotals(total, span.repeatShare(), start + windowMs));
            if (committed != null) {
                committed.stageCacheable(team, total);
                exported.add(team);
            }
        }
    }

    /** The commit hook: every changed open window goes to the store. */
    void flush() {
        dirty.forEach((start, teams) -> {
            Map<String, RepeatWindow> byTeam = open.get(start);
            if (byTeam != null) {
                teams.forEach(team -> windowStore.put(team, byTeam.get(team), start));
            }
        });
        dirty.clear();
        // closed windows and buffered open ones stay readable; keep the buffer small: only open windows
    }

    void discard() {
        open.clear();
        dirty.clear();
        if (committed != null) {
            committed.unstageCacheable(exported);
        }
    }

    /** The task closed: its teams' totals are exported by whichever instance takes them over. */
    void closed() {
        if (committed != null) {
            committed.withdrawCacheable(exported);
        }
        exported.clear();
    }
}
