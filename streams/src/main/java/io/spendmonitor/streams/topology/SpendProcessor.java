package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.ApiPrice;
import io.spendmonitor.streams.cost.EventValidator;
import io.spendmonitor.streams.cost.GpuSamplePricing;
import io.spendmonitor.streams.cost.MinuteSummary;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SpendSettings;
import io.spendmonitor.streams.cost.TeamEvaluator;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The per-team work of the topology, on the partition that owns the team (every input is keyed
 * by team, so no repartition): validate, drop duplicate event ids, price at the event's own time,
 * add to the team's minute window; when stream time passes a window's end plus grace, emit the
 * team windows and evaluate every team of the partition (break-even, alerts).
 *
 * <p>Per event only objects change: the open windows, the set of open-window event ids and the
 * team states are a write-behind buffer that {@link CommitHookStore} makes the processor write to
 * the logged stores just before Kafka Streams commits (one record per changed window, id chunk or
 * team state per commit, not per event), so the stores and changelogs always match the committed
 * input offsets.
 */
final class SpendProcessor implements Processor<String, SpecificRecord, String, Object> {
    private static final String CLOCK_KEY = "finalized-up-to";

    private final SpendSettings settings;
    private final EventValidator validator;
    private final PriceCatalog catalog;
    private final SpendListener listener;
    private final TeamEvaluator evaluator;
    private final Duration eviction;

    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> windowIds;
    private WindowStore<String, TeamWindow> windows;
    private KeyValueStore<String, TeamState> teams;
    private KeyValueStore<String, Long> clock;
    private KeyValueStore<String, TeamBudget> budgets;
    /** Set when Kafka Streams threw the buffered objects away ({@link CommitHookStore#clearCache}). */
    private boolean reload;
    /** End (ms) of the last window emitted and evaluated on this partition; null before the first event. */
    private Long finalizedUpTo;
    /**
     * Every team state of this task, ahead of the team-state store by at most one commit (the store
     * stays the record: changed states are written at each commit and read back whole when the task
     * starts), so a finalized minute does not deserialize or serialize every team's state.
     */
    private final Map<String, TeamState> states = new HashMap<>();
    /**
     * Finalized windows of the horizon by team, oldest first: derived data (the window store is the
     * record), kept so an evaluation does not read its team's 60 windows back every minute. Bounded
     * (least recently evaluated teams are dropped and read back from the store when needed).
     */
    private final java.util.LinkedHashMap<String, java.util.ArrayDeque<MinuteSummary>> horizons =
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, java.util.ArrayDeque<MinuteSummary>> eldest) {
                    return size() > HORIZON_CACHE_TEAMS;
                }
            };
    private static final int HORIZON_CACHE_TEAMS = 2_000;
    /**
     * Every open (not yet final) window of this partition as objects, by window start and team: the
     * write-behind buffer of the window and id stores. Events change only these objects; what
     * changed is written to the stores once per commit (see {@link CommitHookStore}), not once per
     * event. Bounded by the active teams times the windows within the grace.
     */
    private final Map<Long, Map<String, OpenWindow>> open = new HashMap<>();
    /** The windows changed since the last commit. */
    private final List<OpenWindow> dirty = new ArrayList<>();
    /** Teams whose state changed since the last commit (written with the windows, see {@link #writeBuffered}). */
    private final java.util.Set<String> dirtyStates = new java.util.LinkedHashSet<>();
    /** Id chunks of windows found final at start (see {@link #loadFromStores}), deleted at the next commit. */
    private final List<String> staleIdChunks = new ArrayList<>();
    /** The hashes of the event ids counted in the open windows (a duplicate of one is dropped). */
    private final EventIdSet openIds = new EventIdSet();
    /** Ids per record of the id store: an open window's ids are stored in chunks of this many. */
    static final int IDS_PER_CHUNK = 4096;

    /** A team's open window: its running sums, the ids it counted, and what the stores lack. */
    private static final class OpenWindow {
        final String team;
        final TeamWindow window;
        long[] ids = new long[8];
        int idCount;
        /** ids[0, storedIds) are in the id store. */
        int storedIds;
        boolean dirty;

        OpenWindow(String team, TeamWindow window) {
            this.team = team;
            this.window = window;
        }

        void addId(long hash) {
            if (idCount == ids.length) {
                ids = java.util.Arrays.copyOf(ids, ids.length * 2);
            }
            ids[idCount++] = hash;
        }
    }

    SpendProcessor(SpendSettings settings, EventValidator validator, PriceCatalog catalog, SpendListener listener,
                   Duration eviction) {
        this.settings = settings;
        this.validator = validator;
        this.catalog = catalog;
        this.listener = listener;
        this.evaluator = new TeamEvaluator(settings);
        this.eviction = eviction;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.windowIds = context.getStateStore(SpendTopology.WINDOW_IDS_STORE);
        this.windows = context.getStateStore(SpendTopology.WINDOW_STORE);
        this.teams = context.getStateStore(SpendTopology.TEAM_STATE_STORE);
        this.clock = context.getStateStore(SpendTopology.CLOCK_STORE);
        this.budgets = context.getStateStore(SpendTopology.BUDGET_STORE);
        CommitHookStore hook = context.getStateStore(SpendTopology.COMMIT_HOOK_STORE);
        hook.listener(new CommitHookStore.Listener() {
            @Override
            public void flushBuffered() {
                writeBuffered();
            }

            @Override
            public void discardBuffered() {
                // the stores may be changing hands right now: forget, and read them again when needed
                clearBuffered();
                reload = true;
            }
        });
        loadFromStores();
        loadCatalog(context);
    }

    private void clearBuffered() {
        states.clear();
        horizons.clear();
        open.clear();
        dirty.clear();
        dirtyStates.clear();
        staleIdChunks.clear();
        openIds.clear();
    }

    /** (Re)builds every object of this task from its stores: at start, and after buffered work was thrown away. */
    private void loadFromStores() {
        clearBuffered();
        reload = false;
        this.finalizedUpTo = clock.get(CLOCK_KEY);
        try (KeyValueIterator<String, TeamState> it = teams.all()) {
            it.forEachRemaining(kv -> states.put(kv.key, kv.value));
        }
        if (finalizedUpTo == null) {
            return;
        }
        // the windows not final yet, and the ids they counted, chunk by chunk in order
        try (KeyValueIterator<Windowed<String>, TeamWindow> it = windows.fetchAll(Instant.ofEpochMilli(finalizedUpTo),
                Instant.ofEpochMilli(Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> open.computeIfAbsent(kv.value.windowStartMs(), s -> new HashMap<>())
                    .put(kv.key.key(), new OpenWindow(kv.key.key(), kv.value)));
        }
        Map<String, java.util.TreeMap<Integer, byte[]>> chunks = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = windowIds.all()) {
            it.forEachRemaining(kv -> {
                int last = kv.key.lastIndexOf('|');
                chunks.computeIfAbsent(kv.key.substring(0, last), k -> new java.util.TreeMap<>())
                        .put(Integer.parseInt(kv.key.substring(last + 1)), kv.value);
            });
        }
        for (Map.Entry<String, java.util.TreeMap<Integer, byte[]>> e : chunks.entrySet()) {
            int sep = e.getKey().lastIndexOf('|');
            String team = e.getKey().substring(0, sep);
            long start = Long.parseLong(e.getKey().substring(sep + 1));
            if (start + settings.windowSizeMs() <= finalizedUpTo) {
                // ids of a window already final (possible only without exactly-once): deleted at the next commit
                for (int chunk : e.getValue().keySet()) {
                    staleIdChunks.add(idChunkKey(team, start, chunk));
                }
                continue;
            }
            OpenWindow ow = open.computeIfAbsent(start, s -> new HashMap<>())
                    .computeIfAbsent(team, t -> new OpenWindow(t, new TeamWindow(start)));
            for (byte[] chunk : e.getValue().values()) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(chunk);
                while (buf.remaining() >= Long.BYTES) {
                    long hash = buf.getLong();
                    ow.addId(hash);
                    openIds.add(hash);
                }
            }
            ow.storedIds = ow.idCount;
        }
    }

    /** The commit hook: every changed window (with its new ids) and every changed team state go to the stores. */
    private void writeBuffered() {
        for (OpenWindow ow : dirty) {
            if (!ow.dirty) {
                continue; // finalized (and written) since it changed
            }
            long start = ow.window.windowStartMs();
            windows.put(ow.team, ow.window, start);
            for (int chunk = ow.storedIds / IDS_PER_CHUNK; chunk * IDS_PER_CHUNK < ow.idCount; chunk++) {
                int from = chunk * IDS_PER_CHUNK;
                int to = Math.min(ow.idCount, from + IDS_PER_CHUNK);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((to - from) * Long.BYTES);
                for (int i = from; i < to; i++) {
                    buf.putLong(ow.ids[i]);
                }
                windowIds.put(idChunkKey(ow.team, start, chunk), buf.array());
            }
            ow.storedIds = ow.idCount;
            ow.dirty = false;
        }
        dirty.clear();
        for (String team : dirtyStates) {
            teams.put(team, states.get(team));
        }
        dirtyStates.clear();
        staleIdChunks.forEach(windowIds::delete);
        staleIdChunks.clear();
    }

    private static String idChunkKey(String team, long windowStart, int chunk) {
        return team + '|' + windowStart + '|' + chunk;
    }

    private void changed(OpenWindow ow) {
        if (!ow.dirty) {
            ow.dirty = true;
            dirty.add(ow);
        }
    }

    /** The global store was restored without running its processor: fill the shared catalog from it once. */
    private void loadCatalog(ProcessorContext<String, Object> context) {
        synchronized (catalog) {
            if (catalog.loaded()) {
                return;
            }
            KeyValueStore<String, PriceEntry> prices = context.getStateStore(SpendTopology.PRICE_STORE);
            try (KeyValueIterator<String, PriceEntry> all = prices.all()) {
                all.forEachRemaining(kv -> catalog.apply(kv.key, kv.value));
            }
            catalog.markLoaded();
        }
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        if (reload) {
            loadFromStores();
        }
        SpecificRecord value = record.value();
        if (value instanceof TokenUsage usage) {
            tokenUsage(record, usage);
        } else if (value instanceof GpuUtilization sample) {
            gpuSample(record, sample);
        }
        finalizeWindows(context.currentStreamTimeMs());
        listener.processed();
    }

    private void tokenUsage(Record<String, SpecificRecord> record, TokenUsage u) {
        Optional<String> invalid = validator.check(u, System.currentTimeMillis());
        if (invalid.isPresent()) {
            deadLetter(record, SpendTopology.DEAD_LETTER_TOKEN_SINK, invalid.get());
            return;
        }
        long ts = u.getTimestamp().toEpochMilli();
        long windowStart = windowStart(ts);
        if (isLate(windowStart, ts)) {
            deadLetter(record, SpendTopology.DEAD_LETTER_TOKEN_SINK, "late");
            return;
        }
        // A copy of a counted event lands in the same window: while that is open its id is here;
        // once it is final the copy is late (above). Ids re-used at another time are caught while
        // both windows are open.
        long idHash = EventIdSet.hash(u.getEventId());
        if (openIds.contains(idHash)) {
            listener.duplicate(u.getTeam());
            return;
        }

        String team = u.getTeam();
        TokenCounts tokens = new TokenCounts(u.getInputTokens(), u.getCachedInputTokens(), u.getCacheWriteInputTokens(),
                u.getOutputTokens());
        OpenWindow ow = window(team, windowStart);
        TeamWindow window = ow.window;
        if ("self-hosted".equals(u.getProvider())) {
            window.addSelfHostedCall(u.getModel(), u.getDeployment(), tokens);
        } else {
            Optional<ApiPrice> price = catalog.apiPrice(u.getProvider(), u.getModel(), u.getServiceTier(), ts);
            Long cost;
            try {
                cost = price.map(p -> p.costFemto(tokens)).orElse(null);
                if (cost != null) {
                    Math.addExact(window.apiCostFemto(), cost); // the window must still sum exactly
                }
            } catch (ArithmeticException e) {
                deadLetter(record, SpendTopology.DEAD_LETTER_TOKEN_SINK, "absurd-cost");
                return;
            }
            window.addApiCall(u.getProvider(), u.getModel(), tokens, cost);
            if (price.isEmpty()) {
                // counted in tokens and calls, flagged, and a copy kept for reconciliation
                deadLetter(record, SpendTopology.DEAD_LETTER_TOKEN_SINK, "unpriced");
            }
        }
        openIds.add(idHash);
        ow.addId(idHash);
        changed(ow);
    }

    private void gpuSample(Record<String, SpecificRecord> record, GpuUtilization g) {
        Optional<String> invalid = validator.check(g, System.currentTimeMillis());
        if (invalid.isPresent()) {
            deadLetter(record, SpendTopology.DEAD_LETTER_GPU_SINK, invalid.get());
            return;
        }
        long ts = g.getTimestamp().toEpochMilli();
        long windowStart = windowStart(ts);
        if (isLate(windowStart, ts)) {
            deadLetter(record, SpendTopology.DEAD_LETTER_GPU_SINK, "late");
            return;
        }
        BigDecimal usdPerHour = g.getUsdPerHour() != null ? g.getUsdPerHour()
                : catalog.gpuUsdPerHour(g.getGpuModel(), ts).orElse(null);
        Long cost = null;
        Long busy = null;
        if (usdPerHour != null) {
            cost = GpuSamplePricing.costFemto(g.getIntervalSeconds(), usdPerHour);
            busy = GpuSamplePricing.busyFemto(cost, g.getUtilization());
        }
        OpenWindow ow = window(g.getTeam(), windowStart);
        ow.window.addGpuSample(g.getDeployment(), g.getModel(), g.getGpuModel(), g.getIntervalSeconds(), g.getUtilization(),
                cost, busy);
        changed(ow);
        if (usdPerHour == null) {
            deadLetter(record, SpendTopology.DEAD_LETTER_GPU_SINK, "unpriced");
        }
    }

    private long windowStart(long ts) {
        return ts - Math.floorMod(ts, settings.windowSizeMs());
    }

    /** A window already emitted cannot change: an event for it is late (past the grace period). */
    private boolean isLate(long windowStart, long ts) {
        if (finalizedUpTo == null) {
            // the first event of this partition: windows already final at its time are behind us
            finalizedUpTo = windowStart(ts - settings.graceMs()) ;
            clock.put(CLOCK_KEY, finalizedUpTo);
        }
        return windowStart + settings.windowSizeMs() <= finalizedUpTo;
    }

    /** The team's open window (every open window is in memory; see {@link #open}). */
    private OpenWindow window(String team, long windowStart) {
        return open.computeIfAbsent(windowStart, s -> new HashMap<>())
                .computeIfAbsent(team, t -> new OpenWindow(t, new TeamWindow(windowStart)));
    }

    private void deadLetter(Record<String, SpecificRecord> record, String sink, String reason) {
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(Topics.DEAD_LETTER_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(Topics.DEAD_LETTER_TOPIC_HEADER, topic.getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<String, Object>(record.key(), record.value(), record.timestamp(), headers), sink);
        listener.rejected(reason, topic);
    }

    /** Emit and evaluate every window of this partition that stream time has made final. */
    private void finalizeWindows(long streamTime) {
        if (finalizedUpTo == null || streamTime < 0) {
            return;
        }
        long windowMs = settings.windowSizeMs();
        long finalEnd = windowStart(streamTime - settings.graceMs());
        if (finalEnd <= finalizedUpTo) {
            return;
        }
        for (long end = finalizedUpTo + windowMs; end <= finalEnd; end += windowMs) {
            finalizeWindow(end);
        }
        finalizedUpTo = finalEnd;
        clock.put(CLOCK_KEY, finalEnd);
    }

    private void finalizeWindow(long windowEnd) {
        long windowMs = settings.windowSizeMs();
        long start = windowEnd - windowMs;
        Map<String, TeamWindow> closed = new java.util.TreeMap<>();
        Map<String, OpenWindow> closing = open.remove(start);
        if (closing != null) {
            for (OpenWindow ow : closing.values()) {
                closed.put(ow.team, ow.window);
                if (ow.dirty) {
                    windows.put(ow.team, ow.window, start);
                    ow.dirty = false;
                }
                // the window is final: its ids leave memory and the id store (a copy now is late)
                for (int i = 0; i < ow.idCount; i++) {
                    openIds.remove(ow.ids[i]);
                }
                for (int chunk = 0; chunk * IDS_PER_CHUNK < ow.storedIds; chunk++) {
                    windowIds.delete(idChunkKey(ow.team, start, chunk));
                }
            }
        }
        for (Map.Entry<String, TeamWindow> e : closed.entrySet()) {
            context.forward(new Record<>(e.getKey(), e.getValue().toAvro(e.getKey(), windowMs), windowEnd - 1),
                    SpendTopology.TEAM_COSTS_SINK);
            listener.windowFinalized(e.getKey(), e.getValue(), windowMs);
        }
        for (String team : closed.keySet()) {
            states.computeIfAbsent(team, t -> new TeamState());
        }
        // sorted: evaluations (and their alerts) come out in the same order on every run and replay
        Map<String, TeamState> byTeam = new java.util.TreeMap<>(states);
        for (Map.Entry<String, TeamState> e : byTeam.entrySet()) {
            String team = e.getKey();
            TeamState state = e.getValue();
            TeamWindow window = closed.get(team);
            long horizonStart = windowEnd - settings.horizonMinutes() * windowMs;
            boolean dataInHorizon = state.lastActivityMs > horizonStart;
            if (window == null && !dataInHorizon && state.breakEven.isEmpty() && !state.anyAlertFiring()) {
                if (windowEnd - state.lastActivityMs > eviction.toMillis()) {
                    teams.delete(team);
                    states.remove(team);
                    dirtyStates.remove(team);
                    horizons.remove(team);
                    listener.evicted(team);
                }
                continue;
            }
            List<MinuteSummary> horizon = horizonOf(team, state, window, horizonStart, windowEnd, dataInHorizon);
            List<AlertTransition> transitions = evaluator.evaluate(team, state, window, windowEnd, catalog,
                    budget(team, windowEnd), horizon);
            dirtyStates.add(team); // written at the commit: once, however many minutes it is evaluated for
            listener.evaluated(team, state, windowEnd);
            for (AlertTransition t : transitions) {
                context.forward(new Record<>(team, toAvro(t), windowEnd - 1), SpendTopology.ALERTS_SINK);
                listener.alert(t);
            }
        }
    }

    /**
     * Summaries of the team's finalized windows in [horizonStart, windowEnd), the evaluated one
     * included, from the cache or (after a restart or an eviction from the cache) the window store.
     */
    private List<MinuteSummary> horizonOf(String team, TeamState state, TeamWindow window, long horizonStart, long windowEnd,
                                          boolean dataInHorizon) {
        long windowMs = settings.windowSizeMs();
        if (window != null) {
            TeamEvaluator.learnDeploymentModels(state, window);
        }
        java.util.ArrayDeque<MinuteSummary> cached = horizons.get(team);
        if (cached == null) {
            cached = new java.util.ArrayDeque<>();
            if (dataInHorizon || window != null) {
                try (WindowStoreIterator<TeamWindow> it = windows.fetch(team, Instant.ofEpochMilli(horizonStart),
                        Instant.ofEpochMilli(windowEnd - windowMs))) {
                    while (it.hasNext()) {
                        TeamWindow w = it.next().value;
                        cached.addLast(evaluator.summarize(state, w, w.windowStartMs() + windowMs));
                    }
                }
            }
            horizons.put(team, cached);
        } else if (window != null && (cached.isEmpty() || cached.peekLast().windowEndMs() < windowEnd)) {
            cached.addLast(evaluator.summarize(state, window, windowEnd));
        }
        while (!cached.isEmpty() && cached.peekFirst().windowEndMs() <= horizonStart) {
            cached.removeFirst();
        }
        return new ArrayList<>(cached);
    }

    private TeamEvaluator.Budget budget(String team, long windowEnd) {
        TeamBudget stored = budgets.get(team);
        if (stored == null || stored.getEffectiveFrom().toEpochMilli() >= windowEnd) {
            return TeamEvaluator.Budget.NONE;
        }
        return new TeamEvaluator.Budget(stored.getDailyUsd(), stored.getMonthlyUsd());
    }

    static SpendAlert toAvro(AlertTransition t) {
        return SpendAlert.newBuilder()
                .setAlertId(t.alertId())
                .setTeam(t.team())
                .setType(t.type().name())
                .setSubject(t.subject())
                .setState(t.state())
                .setWindowEnd(Instant.ofEpochMilli(t.windowEndMs()))
                .setRatio(t.ratio())
                .setActualUsd(nanos(t.actualUsd()))
                .setCounterfactualUsd(nanos(t.counterfactualUsd()))
                .setSavingsUsdPerHour(nanos(t.savingsUsdPerHour()))
                .setIdleUsdPerHour(nanos(t.idleUsdPerHour()))
                .setBudgetUsd(nanos(t.budgetUsd()))
                .setSpendUsd(nanos(t.spendUsd()))
                .setSummary(t.summary())
                .setDetails(t.details())
                .build();
    }

    private static BigDecimal nanos(BigDecimal usd) {
        return usd == null ? null : Money.usdNanos(usd);
    }
}
