package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The open-window buffer's invariants (see {@link OpenWindows}), on real in-memory stores. */
class OpenWindowsTest {
    private static final long MINUTE = 60_000;
    private static final long GRACE = 5 * MINUTE;
    /** 2026-03-02T10:00:00Z */
    private static final long T0 = 1_772_445_600_000L;

    private KeyValueStore<String, byte[]> ids;
    private WindowStore<String, TeamWindow> windows;
    private KeyValueStore<String, Long> clock;
    private OpenWindows buffer;

    @BeforeEach
    void stores() {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        ids = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("ids"), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        ids.init(context.getStateStoreContext(), ids);
        windows = Stores.windowStoreBuilder(Stores.inMemoryWindowStore("windows", Duration.ofDays(1), Duration.ofMinutes(1), false),
                Serdes.String(), StateSerdes.teamWindow()).withLoggingDisabled().build();
        windows.init(context.getStateStoreContext(), windows);
        clock = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("clock"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        clock.init(context.getStateStoreContext(), clock);
        buffer = new OpenWindows(MINUTE, GRACE, ids, windows, clock);
    }

    /** Adds one call of 1,000 input tokens costing 150,000,000,000 femto-USD ($0.00015), as the window node does. */
    private void call(String team, long ts, String eventId) {
        assertThat(buffer.isLate(ts)).isFalse();
        long hash = EventIdSet.hash(eventId);
        assertThat(buffer.isDuplicate(hash)).isFalse();
        OpenWindows.Open ow = buffer.window(team, buffer.windowStart(ts), new boolean[1]);
        ow.window.addApiCall("openai", "gpt-4o-mini", new TokenCounts(1000, 0, 0, 0), 150_000_000_000L);
        buffer.changed(ow, hash, true);
    }

    @Test
    void theFirstEventSetsTheClockSoWindowsAlreadyFinalAtItsTimeAreLate() {
        call("search", T0 + 30_000, "a");
        // finalized up to windowStart(T0 + 30 s - 5 min) = T0 - 5 min: a call at T0 - 5 min + 59 s is late
        assertThat(buffer.finalizedUpTo()).isEqualTo(T0 - 5 * MINUTE);
        assertThat(buffer.isLate(T0 - 5 * MINUTE - 1)).isTrue();
        assertThat(buffer.isLate(T0 - 5 * MINUTE)).isFalse();
    }

    @Test
    void nothingReachesTheStoresBeforeTheFlushAndEverythingAfterIt() {
        call("search", T0 + 1_000, "a");
        call("search", T0 + 2_000, "b");
        assertThat(windows.fetch("search", T0)).isNull();

        buffer.flush();

        // 2 * 150,000,000,000 femto-USD
        assertThat(windows.fetch("search", T0).apiCost().value().longValueExact()).isEqualTo(300_000_000_000L);
        assertThat(ids.get("search|" + T0 + "|0")).hasSize(2 * Long.BYTES);
    }

    /** The ids in every chunk of the id store for (team, window start), in chunk order. */
    private List<Long> storedIds(String team, long start) {
        List<Long> result = new ArrayList<>();
        for (int chunk = 0; ; chunk++) {
            byte[] bytes = ids.get(team + "|" + start + "|" + chunk);
            if (bytes == null) {
                return result;
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                result.add(buf.getLong());
            }
        }
    }

    @Test
    void aFlushRewritesAtMostASmallLastChunkOfIdsAlreadyStored() {
        // 1,000 flushes of 10 new ids each: the last chunk takes new ids only while it holds fewer than
        // REWRITE_BELOW (256), so a flush writes its 10 ids plus at most 255 stored ones again
        List<Long> want = new ArrayList<>();
        long maxIdsWritten = 0;
        for (int flush = 0; flush < 1_000; flush++) {
            for (int i = 0; i < 10; i++) {
                String id = "call-" + flush + "-" + i;
                call("search", T0 + 1_000, id);
                want.add(EventIdSet.hash(id));
            }
            List<Long> before = storedIds("search", T0);
            buffer.flush();
            List<Long> after = storedIds("search", T0);
            assertThat(after).hasSize(before.size() + 10);
            // what this flush wrote: the chunks that differ from before (count them by their ids)
            long written = 0;
            for (int chunk = 0; ; chunk++) {
                byte[] now = ids.get("search|" + T0 + "|" + chunk);
                if (now == null) {
                    break;
                }
                int firstId = 0;
                for (int c = 0; c < chunk; c++) {
                    firstId += ids.get("search|" + T0 + "|" + c).length / Long.BYTES;
                }
                if (firstId + now.length / Long.BYTES > before.size()) {
                    written += now.length / Long.BYTES; // a chunk holding new ids was (re)written whole
                }
            }
            maxIdsWritten = Math.max(maxIdsWritten, written);
        }
        assertThat(storedIds("search", T0)).isEqualTo(want);
        assertThat(maxIdsWritten).isLessThan(OpenWindows.REWRITE_BELOW + 10);

        // read back after a discard: every id known, and the next flush goes on from the last chunk
        buffer.discard();
        assertThat(buffer.isDuplicate(want.get(0))).isTrue();
        assertThat(buffer.isDuplicate(want.get(want.size() - 1))).isTrue();
        call("search", T0 + 2_000, "after-the-discard");
        buffer.flush();
        List<Long> stored = storedIds("search", T0);
        assertThat(stored).hasSize(10_001).endsWith(EventIdSet.hash("after-the-discard"));

        // closing the window deletes every chunk
        buffer.closeUpTo(T0 + MINUTE + GRACE, (end, teams) -> { });
        assertThat(storedIds("search", T0)).isEmpty();
        assertThat(ids.get("search|" + T0 + "|1")).isNull();
    }

    @Test
    void aFlushOfManyNewIdsSplitsThemIntoChunksOfAtMost4096() {
        for (int i = 0; i < 10_000; i++) {
            call("search", T0 + 1_000, "call-" + i);
        }
        buffer.flush();
        // 10,000 ids: 4,096 + 4,096 + 1,808
        assertThat(ids.get("search|" + T0 + "|0")).hasSize(4096 * Long.BYTES);
        assertThat(ids.get("search|" + T0 + "|1")).hasSize(4096 * Long.BYTES);
        assertThat(ids.get("search|" + T0 + "|2")).hasSize(1808 * Long.BYTES);
        assertThat(ids.get("search|" + T0 + "|3")).isNull();
    }

    @Test
    void afterADiscardTheBufferIsTheLastFlushAndStillKnowsItsIds() {
        call("search", T0 + 1_000, "a");
        buffer.flush();
        call("search", T0 + 2_000, "b"); // never flushed: thrown away with the task's uncommitted work

        buffer.discard();

        assertThat(buffer.isDuplicate(EventIdSet.hash("a"))).isTrue();
        assertThat(buffer.isDuplicate(EventIdSet.hash("b"))).isFalse();
        assertThat(buffer.openWindowsOf("search")).singleElement()
                .satisfies(w -> assertThat(w.apiCalls()).isEqualTo(1));
        assertThat(buffer.finalizedUpTo()).isEqualTo(T0 - 5 * MINUTE);
    }

    @Test
    void closingAWindowWritesItDropsItsIdsAndMakesACopyLate() {
        call("search", T0 + 1_000, "a");
        call("ads", T0 + 3_000, "c");
        call("search", T0 + MINUTE + 1_000, "b");
        buffer.flush();
        List<String> closed = new ArrayList<>();

        // time T0 + 6 min: windows ending by T0 + 1 min are final
        buffer.closeUpTo(T0 + 6 * MINUTE, (end, teams) -> teams.forEach((team, w) -> closed.add(team + "@" + end)));

        assertThat(closed).containsExactly("ads@" + (T0 + MINUTE), "search@" + (T0 + MINUTE));
        assertThat(buffer.finalizedUpTo()).isEqualTo(T0 + MINUTE);
        assertThat(ids.get("search|" + T0 + "|0")).isNull();
        assertThat(buffer.isDuplicate(EventIdSet.hash("a"))).isFalse();
        assertThat(buffer.isLate(T0 + 1_000)).isTrue();
        assertThat(buffer.isDuplicate(EventIdSet.hash("b"))).isTrue(); // its window is still open
        assertThat(windows.fetch("search", T0).apiCalls()).isEqualTo(1);
        // the clock only moves forward: an earlier time closes nothing
        buffer.closeUpTo(T0, (end, teams) -> closed.add("again"));
        assertThat(closed).hasSize(2);
    }

    @Test
    void closedMinutesWithoutDataStillComeInOrder() {
        call("search", T0 + 1_000, "a");
        List<Long> ends = new ArrayList<>();
        buffer.closeUpTo(T0 + 8 * MINUTE, (end, teams) -> ends.add((end - T0) / MINUTE));
        // from the first open minute (T0 - 5 min) on: windows ending T0 - 4 min ... T0 + 3 min
        assertThat(ends).containsExactly(-4L, -3L, -2L, -1L, 0L, 1L, 2L, 3L);
    }

    @Test
    void theLastRecordsTimesSurviveARestart() {
        call("search", T0 + 1_000, "a");
        buffer.recordSeen(T0 + 5_000, T0 + 1_000);
        buffer.flush();

        OpenWindows restarted = new OpenWindows(MINUTE, GRACE, ids, windows, clock);
        assertThat(restarted.lastRecordWallMs()).isEqualTo(T0 + 5_000);
        assertThat(restarted.lastRecordStreamMs()).isEqualTo(T0 + 1_000);
        assertThat(restarted.openWindowsOf("search")).hasSize(1);
        assertThat(Map.of("a", restarted.isDuplicate(EventIdSet.hash("a")))).containsEntry("a", true);
    }
}
