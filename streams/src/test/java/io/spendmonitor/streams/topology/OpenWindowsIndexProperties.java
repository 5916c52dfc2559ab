package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link OpenWindows} keeps its windows by team (the per-event look-up, and each minute's close):
 * whatever events, closes, flushes and reloads come, every team's windows are what a plain model
 * of them says, the same object is found for the same (team, minute) while it is open, a closed
 * minute hands over exactly its windows and is gone, and only teams with windows are listed.
 */
class OpenWindowsIndexProperties {
    private static final long MINUTE = 60_000;
    private static final long GRACE = 3 * MINUTE;
    private static final long T0 = 1_772_445_600_000L;

    /** kind 0: an event of team at minute; 1: close up to the latest minute seen; 2: flush; 3: flush, discard and reload. */
    record Step(int kind, int team, int minute) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> kind = Arbitraries.frequency(net.jqwik.api.Tuple.of(20, 0), net.jqwik.api.Tuple.of(3, 1),
                net.jqwik.api.Tuple.of(2, 2), net.jqwik.api.Tuple.of(1, 3));
        return Combinators.combine(kind, Arbitraries.integers().between(0, 6), Arbitraries.integers().between(0, 30))
                .as(Step::new).list().ofMaxSize(200);
    }

    @Property(tries = 300, seed = "20261130")
    void theWindowsAreWhatAModelSays(@ForAll("steps") List<Step> steps) {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        KeyValueStore<String, byte[]> ids = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("ids"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        ids.init(context.getStateStoreContext(), ids);
        WindowStore<String, TeamWindow> windows = Stores.windowStoreBuilder(Stores.inMemoryWindowStore("windows",
                Duration.ofDays(1), Duration.ofMinutes(1), false), Serdes.String(), StateSerdes.teamWindow()).withLoggingDisabled().build();
        windows.init(context.getStateStoreContext(), windows);
        KeyValueStore<String, Long> clock = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("clock"), Serdes.String(),
                Serdes.Long()).withLoggingDisabled().build();
        clock.init(context.getStateStoreContext(), clock);
        OpenWindows buffer = new OpenWindows(MINUTE, GRACE, ids, windows, clock);

        // the model: each team's open minutes and their call counts
        Map<String, TreeMap<Long, Long>> model = new HashMap<>();
        Map<String, OpenWindows.Open> seen = new HashMap<>(); // "team|start" -> the object handed out
        long latest = Long.MIN_VALUE;
        int n = 0;
        for (Step step : steps) {
            String team = "team-" + step.team();
            long ts = T0 + step.minute() * MINUTE + 1_000;
            switch (step.kind()) {
                case 0 -> {
                    if (buffer.isLate(ts)) {
                        continue;
                    }
                    long start = buffer.windowStart(ts);
                    boolean[] created = new boolean[1];
                    OpenWindows.Open ow = buffer.window(team, start, created);
                    String key = team + "|" + start;
                    boolean known = model.containsKey(team) && model.get(team).containsKey(start);
                    assertThat(created[0]).isEqualTo(!known);
                    if (known && seen.containsKey(key)) {
                        assertThat(ow).isSameAs(seen.get(key));
                    }
                    seen.put(key, ow);
                    ow.window.addApiCall("openai", "gpt-4o-mini", new TokenCounts(1, 0, 0, 0), 1L);
                    buffer.changed(ow, 0, false);
                    model.computeIfAbsent(team, t -> new TreeMap<>()).merge(start, 1L, Long::sum);
                    latest = Math.max(latest, ts);
                }
                case 1 -> {
                    if (latest == Long.MIN_VALUE) {
                        continue;
                    }
                    buffer.closeUpTo(latest, (end, closed) -> closed.forEach((t, w) -> {
                        assertThat(model.get(t).remove(w.windowStartMs())).isEqualTo(w.apiCalls());
                        seen.remove(t + "|" + w.windowStartMs());
                    }));
                }
                case 2 -> buffer.flush();
                default -> {
                    buffer.flush();
                    buffer.discard();
                    seen.clear(); // read back from the stores: new objects
                }
            }
            n++;
            for (int t = 0; t <= 6; t++) {
                String name = "team-" + t;
                List<Long> expected = new ArrayList<>(model.getOrDefault(name, new TreeMap<>()).keySet());
                List<Long> starts = buffer.openWindowsOf(name).stream().map(TeamWindow::windowStartMs).toList();
                assertThat(starts).as("step %d, %s", n, name).isEqualTo(expected);
                List<Long> calls = buffer.openWindowsOf(name).stream().map(TeamWindow::apiCalls).toList();
                assertThat(calls).isEqualTo(new ArrayList<>(model.getOrDefault(name, new TreeMap<>()).values()));
            }
            Map<String, List<TeamWindow>> all = buffer.openWindowsByTeam(null);
            Set<String> withWindows = new java.util.HashSet<>();
            model.forEach((t, m) -> {
                if (!m.isEmpty()) {
                    withWindows.add(t);
                }
            });
            assertThat(all.keySet()).isEqualTo(withWindows);
        }
    }
}
