package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The open (not yet final) windows of one task as objects: a write-behind buffer over the window
 * store, the event-id store and the partition clock. Shared by the task's {@code admit} node (is
 * this event late? a duplicate?) and {@code window} node (add, close).
 *
 * <p>Invariants, written once:
 * <ol>
 *   <li>Every window starting at or after {@link #finalizedUpTo()} that holds data is in {@code byTeam},
 *       and every id counted in it is in {@code ids} (so a duplicate of a counted event is found
 *       while its window is open; once the window is final a copy of the event is late).</li>
 *   <li>The stores equal the buffer as of the last {@link #flush()}: windows changed since are in
 *       {@code dirty}; an open window's ids {@code [0, storedIds)} are in the id store, in chunks
 *       {@code 0..lastChunk} of consecutive ids, the last one starting at {@code lastChunkFrom}.</li>
 *   <li>{@link #discard()} forgets everything; the next use reads the stores again (Kafka Streams
 *       throws a task's uncommitted work away: the stores then hold the last commit).</li>
 *   <li>{@link #close(long)} removes a window from the buffer and the id store and writes it to the
 *       window store; the clock ({@code finalizedUpTo}) only moves forward.</li>
 * </ol>
 */
final class OpenWindows {
    static final String FINALIZED_KEY = "finalized-up-to";
    static final String LAST_RECORD_WALL_KEY = "last-record-wall";
    static final String LAST_RECORD_STREAM_KEY = "last-record-stream";
    /** The most ids one record of the id store holds (32 KiB: far below Kafka's 1 MB record limit). */
    static final int IDS_PER_CHUNK = 4096;
    /**
     * A flush adds a window's new ids to its last chunk only while that holds fewer than this many;
     * else they start a new chunk. Each commit rewrites at most this many stored ids per window:
     * rewriting the whole last chunk (up to 4,096 ids, 32 KiB, for each of 500 busy teams every
     * second) was most of the commit's bytes, and most of the topology's time, at high rates.
     */
    static final int REWRITE_BELOW = 256;

    private final long windowMs;
    private final long graceMs;
    private final KeyValueStore<String, byte[]> idStore;
    private final WindowStore<String, TeamWindow> windowStore;
    private final KeyValueStore<String, Long> clock;

    private boolean loaded;
    /** End (ms) of the last window closed on this task; null before its first event. */
    private Long finalizedUpTo;
    /** Wall and stream time of the task's last record (for the quiet-partition rule); -1 when unknown. */
    private long lastRecordWallMs = -1;
    private long lastRecordStreamMs = -1;
    /**
     * The open windows by team, oldest first; a team is here only while it has one. {@link #window}
     * looks an event's window up with one map look-up by team and a scan of a few starts (a map per
     * minute, looked up by a boxed start, was ~7 % of the stream thread); {@link #close} takes a
     * minute's windows from the teams.
     */
    private final Map<String, TeamOpens> byTeam = new HashMap<>();
    private final List<Open> dirty = new ArrayList<>();
    private final List<String> staleIdChunks = new ArrayList<>();
    /** Teams whose open windows changed since {@link #drainTouched()} (their live spend is due). */
    private final java.util.Set<String> touched = new java.util.LinkedHashSet<>();
    private final EventIdSet ids = new EventIdSet();

    /** One team's open windows, by start, oldest first (a handful: the grace over the window size, plus one). */
    static final class TeamOpens {
        long[] starts = new long[4];
        Open[] opens = new Open[4];
        int size;

        Open find(long start) {
            for (int i = size - 1; i >= 0; i--) { // an event is most often for the newest window
                if (starts[i] == start) {
                    return opens[i];
                }
            }
            return null;
        }

        void add(Open ow) {
            long start = ow.window.windowStartMs();
            if (size == starts.length) {
                starts = Arrays.copyOf(starts, size * 2);
                opens = Arrays.copyOf(opens, size * 2);
            }
            int i = size;
            while (i > 0 && starts[i - 1] > start) {
                starts[i] = starts[i - 1];
                opens[i] = opens[i - 1];
                i--;
            }
            starts[i] = start;
            opens[i] = ow;
            size++;
        }

        /** Takes the window starting at {@code start} out; null when there is none. */
        Open remove(long start) {
            for (int i = 0; i < size; i++) {
                if (starts[i] == start) {
                    Open ow = opens[i];
                    System.arraycopy(starts, i + 1, starts, i, size - i - 1);
                    System.arraycopy(opens, i + 1, opens, i, size - i - 1);
                    opens[--size] = null;
                    return ow;
                }
            }
            return null;
        }
    }

    /** A team's open window: its running sums, the ids it counted, and what the stores lack. */
    static final class Open {
        final String team;
        final TeamWindow window;
        long[] idHashes = new long[8];
        int idCount;
        /** idHashes[0, storedIds) are in the id store. */
        int storedIds;
        /** The id store's last chunk of this window (-1: none yet), and where in idHashes its ids begin. */
        int lastChunk = -1;
        int lastChunkFrom;
        boolean dirty;

        Open(String team, TeamWindow window) {
            this.team = team;
            this.window = window;
        }

        void addId(long hash) {
            if (idCount == idHashes.length) {
                idHashes = Arrays.copyOf(idHashes, idHashes.length * 2);
            }
            idHashes[idCount++] = hash;
        }
    }

    OpenWindows(long windowMs, long graceMs, KeyValueStore<String, byte[]> idStore, WindowStore<String, TeamWindow> windowStore,
                KeyValueStore<String, Long> clock) {
        this.windowMs = windowMs;
        this.graceMs = graceMs;
        this.idStore = idStore;
        this.windowStore = windowStore;
        this.clock = clock;
    }

    long windowStart(long ts) {
        return ts - Math.floorMod(ts, windowMs);
    }

    Long finalizedUpTo() {
        ensureLoaded();
        return finalizedUpTo;
    }

    /** A window already closed cannot change: an event for it is late (past the grace). */
    boolean isLate(long ts) {
        ensureLoaded();
        long start = windowStart(ts);
        if (finalizedUpTo == null) {
            // the task's first event: windows already final at its time are behind us
            finalizedUpTo = windowStart(ts - graceMs);
            clock.put(FINALIZED_KEY, finalizedUpTo);
        }
        return start + windowMs <= finalizedUpTo;
    }

    boolean isDuplicate(long idHash) {
        ensureLoaded();
        return ids.contains(idHash);
    }

    /** Notes the task's latest record for the quiet-partition rule. */
    void recordSeen(long wallMs, long streamMs) {
        lastRecordWallMs = wallMs;
        lastRecordStreamMs = streamMs;
    }

    long lastRecordWallMs() {
        ensureLoaded();
        return lastRecordWallMs;
    }

    long lastRecordStreamMs() {
        ensureLoaded();
        return lastRecordStreamMs;
    }

    /** The team's open window at {@code windowStart}; {@code created[0]} tells whether it is new. */
    Open window(String team, long windowStart, boolean[] created) {
        ensureLoaded();
        return findOrAdd(team, windowStart, created);
    }

    /** The team's open window at {@code start}, a new empty one when there is none ({@code created[0]} then true). */
    private Open findOrAdd(String team, long start, boolean[] created) {
        TeamOpens opens = byTeam.get(team);
        Open ow = opens == null ? null : opens.find(start);
        if (ow == null) {
            ow = new Open(team, new TeamWindow(start));
            add(ow);
            created[0] = true;
        }
        return ow;
    }

    private void add(Open ow) {
        byTeam.computeIfAbsent(ow.team, t -> new TeamOpens()).add(ow);
    }

    /** The window changed (and counted {@code idHash}, unless it is 0: GPU samples carry no id). */
    void changed(Open ow, long idHash, boolean hasId) {
        if (hasId) {
            ids.add(idHash);
            ow.addId(idHash);
        }
        if (!ow.dirty) {
            ow.dirty = true;
            dirty.add(ow);
            touched.add(ow.team);
        }
    }

    /** The teams whose open windows changed since the last call; forgets them. */
    java.util.Set<String> drainTouched() {
        java.util.Set<String> teams = new java.util.LinkedHashSet<>(touched);
        touched.clear();
        return teams;
    }

    /** The open windows of {@code teams} (or of every team when null), oldest first, by team. */
    Map<String, List<TeamWindow>> openWindowsByTeam(java.util.Set<String> teams) {
        ensureLoaded();
        Map<String, List<TeamWindow>> result = new HashMap<>();
        for (String team : teams == null ? byTeam.keySet() : teams) {
            List<TeamWindow> windows = openWindowsOf(team);
            if (!windows.isEmpty()) {
                result.put(team, windows);
            }
        }
        return result;
    }

    /** Every open window of {@code team} (for queries and tests). */
    List<TeamWindow> openWindowsOf(String team) {
        ensureLoaded();
        List<TeamWindow> result = new ArrayList<>();
        TeamOpens opens = byTeam.get(team);
        for (int i = 0; opens != null && i < opens.size; i++) {
            result.add(opens.opens[i].window);
        }
        return result;
    }

    /**
     * Closes every window ending at or before the end that {@code time} makes final (end + grace <=
     * time), oldest first, and hands each closed minute to {@code closed} (its windows by team, sorted).
     */
    void closeUpTo(long time, java.util.function.BiConsumer<Long, Map<String, TeamWindow>> closed) {
        ensureLoaded();
        if (finalizedUpTo == null) {
            return;
        }
        long finalEnd = windowStart(time - graceMs);
        if (finalEnd <= finalizedUpTo) {
            return;
        }
        for (long end = finalizedUpTo + windowMs; end <= finalEnd; end += windowMs) {
            closed.accept(end, close(end - windowMs));
            finalizedUpTo = end;
        }
        clock.put(FINALIZED_KEY, finalizedUpTo);
    }

    /** Removes the windows starting at {@code start} from the buffer and the id store; writes them to the window store. */
    private Map<String, TeamWindow> close(long start) {
        Map<String, TeamWindow> closed = new TreeMap<>();
        for (java.util.Iterator<TeamOpens> teams = byTeam.values().iterator(); teams.hasNext(); ) {
            TeamOpens opens = teams.next();
            Open ow = opens.remove(start);
            if (ow == null) {
                continue;
            }
            if (opens.size == 0) {
                teams.remove();
            }
            closed.put(ow.team, ow.window);
            if (ow.dirty) {
                windowStore.put(ow.team, ow.window, start);
                ow.dirty = false;
            }
            // the window is final: its ids leave memory and the id store (a copy now is late)
            for (int i = 0; i < ow.idCount; i++) {
                ids.remove(ow.idHashes[i]);
            }
            for (int chunk = 0; chunk <= ow.lastChunk; chunk++) {
                idStore.delete(idChunkKey(ow.team, start, chunk));
            }
        }
        return closed;
    }

    /** The commit hook: every changed window (with its new ids) goes to the stores, and the quiet-rule clock. */
    void flush() {
        if (!loaded) {
            return;
        }
        for (Open ow : dirty) {
            if (!ow.dirty) {
                continue; // closed (and written) since it changed
            }
            long start = ow.window.windowStartMs();
            windowStore.put(ow.team, ow.window, start);
            writeNewIds(ow, start);
            ow.dirty = false;
        }
        dirty.clear();
        staleIdChunks.forEach(idStore::delete);
        staleIdChunks.clear();
        if (lastRecordWallMs >= 0) {
            clock.put(LAST_RECORD_WALL_KEY, lastRecordWallMs);
            clock.put(LAST_RECORD_STREAM_KEY, lastRecordStreamMs);
        }
    }

    /**
     * Writes the ids counted since the last flush: into the last chunk while it is small (rewriting
     * it), else into new chunks; never more than {@link #IDS_PER_CHUNK} ids a chunk.
     */
    private void writeNewIds(Open ow, long start) {
        while (ow.storedIds < ow.idCount) {
            int from;
            int chunk;
            if (ow.lastChunk >= 0 && ow.storedIds - ow.lastChunkFrom < REWRITE_BELOW) {
                from = ow.lastChunkFrom; // the last chunk is small: it takes the new ids too
                chunk = ow.lastChunk;
            } else {
                from = ow.storedIds;
                chunk = ow.lastChunk + 1;
            }
            int to = Math.min(ow.idCount, from + IDS_PER_CHUNK);
            ByteBuffer buf = ByteBuffer.allocate((to - from) * Long.BYTES);
            for (int i = from; i < to; i++) {
                buf.putLong(ow.idHashes[i]);
            }
            idStore.put(idChunkKey(ow.team, start, chunk), buf.array());
            ow.lastChunk = chunk;
            ow.lastChunkFrom = from;
            ow.storedIds = to;
        }
    }

    /** Forget everything: the stores may be changing hands right now; they are read again on next use. */
    void discard() {
        clear();
        loaded = false;
    }

    private void clear() {
        byTeam.clear();
        touched.clear();
        dirty.clear();
        staleIdChunks.clear();
        ids.clear();
        finalizedUpTo = null;
        lastRecordWallMs = -1;
        lastRecordStreamMs = -1;
    }

    private void ensureLoaded() {
        if (!loaded) {
            load();
        }
    }

    /** (Re)builds the buffer from the stores: at start, and after buffered work was thrown away. */
    private void load() {
        clear();
        loaded = true;
        finalizedUpTo = clock.get(FINALIZED_KEY);
        Long wall = clock.get(LAST_RECORD_WALL_KEY);
        Long stream = clock.get(LAST_RECORD_STREAM_KEY);
        if (wall != null && stream != null) {
            lastRecordWallMs = wall;
            lastRecordStreamMs = stream;
        }
        if (finalizedUpTo == null) {
            return;
        }
        try (KeyValueIterator<Windowed<String>, TeamWindow> it = windowStore.fetchAll(Instant.ofEpochMilli(finalizedUpTo),
                Instant.ofEpochMilli(Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> add(new Open(kv.key.key(), kv.value)));
        }
        Map<String, TreeMap<Integer, byte[]>> chunks = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = idStore.all()) {
            it.forEachRemaining(kv -> {
                int last = kv.key.lastIndexOf('|');
                chunks.computeIfAbsent(kv.key.substring(0, last), k -> new TreeMap<>())
                        .put(Integer.parseInt(kv.key.substring(last + 1)), kv.value);
            });
        }
        for (Map.Entry<String, TreeMap<Integer, byte[]>> e : chunks.entrySet()) {
            int sep = e.getKey().lastIndexOf('|');
            String team = e.getKey().substring(0, sep);
            long start = Long.parseLong(e.getKey().substring(sep + 1));
            if (start + windowMs <= finalizedUpTo) {
                // ids of a window already final (possible only without exactly-once): deleted at the next flush
                for (int chunk : e.getValue().keySet()) {
                    staleIdChunks.add(idChunkKey(team, start, chunk));
                }
                continue;
            }
            Open ow = findOrAdd(team, start, new boolean[1]);
            for (Map.Entry<Integer, byte[]> chunk : e.getValue().entrySet()) {
                ow.lastChunk = chunk.getKey();
                ow.lastChunkFrom = ow.idCount;
                ByteBuffer buf = ByteBuffer.wrap(chunk.getValue());
                while (buf.remaining() >= Long.BYTES) {
                    long hash = buf.getLong();
                    ow.addId(hash);
                    ids.add(hash);
                }
            }
            ow.storedIds = ow.idCount;
        }
    }

    private static String idChunkKey(String team, long windowStart, int chunk) {
        return team + '|' + windowStart + '|' + chunk;
    }
}
