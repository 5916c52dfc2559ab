package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.Horizon;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SpendSettings;
import io.spendmonitor.streams.cost.TeamEvaluator;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code evaluate}: at each closed window, every team of the task is evaluated ({@link TeamEvaluator}:
 * break-even, idle capacity, budgets) and its alert transitions go to {@code spend.alerts}.
 *
 * <p>Team states are objects, ahead of the team-state store by at most one commit (written at the
 * commit hook, read back whole when the task starts or its buffered work was discarded). A team's
 * evaluation is atomic: it works on the state, and if it throws, the state is put back as it was
 * before (from a copy taken first), nothing is emitted for the team, and the failure is counted.
 */
final class EvaluateNode implements Processor<String, Object, String, Object> {
    private static final Logger log = LoggerFactory.getLogger(EvaluateNode.class);
    private static final int HORIZON_CACHE_TEAMS = 2_000;

    private final SpendSettings settings;
    private final PriceCatalog catalog;
    private final SpendListener listener;
    private final TeamEvaluator evaluator;
    private final Duration eviction;
    private final TaskBuffers buffers;
    private final CommittedSpend committed;
    private OpenWindows openWindows;

    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, TeamState> teams;
    private WindowStore<String, TeamWindow> windowStore;
    private KeyValueStore<String, TeamBudget> budgets;
    private WindowStore<String, List<BreakEvenHistory.Point>> breakEvenHistory;
    private boolean loaded;
    private final Map<String, TeamState> states = new HashMap<>();
    private final Set<String> dirtyStates = new LinkedHashSet<>();
    /**
     * Finalized windows of the horizon by team, oldest first, with their running sums: derived data
     * (the window store is the record), kept so an evaluation does not read its team's windows back
     * every minute, nor scan them per self-host profile. Bounded (least recently evaluated teams are
     * dropped and read back from the store when needed).
     */
    private final LinkedHashMap<String, Horizon> horizons = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Horizon> eldest) {
            return size() > HORIZON_CACHE_TEAMS;
        }
    };

    EvaluateNode(SpendSettings settings, PriceCatalog catalog, SpendListener listener, Duration eviction, TaskBuffers buffers,
                 CommittedSpend committed) {
        this(settings, catalog, listener, eviction, buffers, committed, io.spendmonitor.streams.cost.CapacitySettings.defaults());
    }

    EvaluateNode(SpendSettings settings, PriceCatalog catalog, SpendListener listener, Duration eviction, TaskBuffers buffers,
                 CommittedSpend committed, io.spendmonitor.streams.cost.CapacitySettings capacity) {
        this.buffers = buffers;
        this.committed = committed;
        this.settings = settings;
        this.catalog = catalog;
        this.listener = listener;
        this.evaluator = new TeamEvaluator(settings, capacity);
        this.eviction = eviction;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        // Kafka Streams re-initializes the same processor when it revives a task (closed dirty after an
        // aborted transaction, its stores restored from the changelogs): nothing from before may remain
        states.clear();
        dirtyStates.clear();
        horizons.clear();
        loaded = false;
        this.teams = context.getStateStore(SpendTopology.TEAM_STATE_STORE);
        this.windowStore = context.getStateStore(SpendTopology.WINDOW_STORE);
        this.budgets = context.getStateStore(SpendTopology.BUDGET_STORE);
        this.openWindows = buffers.openWindows(context);
        this.breakEvenHistory = context.getStateStore(SpendTopology.BREAKEVEN_STORE);
        CommitHookStore hook = context.getStateStore(SpendTopology.COMMIT_HOOK_STORE);
        hook.listener(new CommitHookStore.Listener() {
            @Override
            public void flushBuffered() {
                if (loaded) {
                    stageLiveSpend(openWindows.drainTouched());
                }
                for (String team : dirtyStates) {
                    teams.put(team, states.get(team));
                }
                dirtyStates.clear();
            }

            @Override
            public void discardBuffered() {
                // what was published stays: it was committed; the reload publishes the stores' state again
                committed.unstage(new ArrayList<>(states.keySet()));
                states.clear();
                dirtyStates.clear();
                horizons.clear();
                loaded = false;
            }

            @Override
            public void closed() {
                committed.withdraw(new ArrayList<>(states.keySet()));
            }
        });
        // the restored teams are exported at once (not at this task's first record)
        ensureLoaded();
    }

    private void ensureLoaded() {
        if (!loaded) {
            states.clear();
            try (KeyValueIterator<String, TeamState> it = teams.all()) {
                it.forEachRemaining(kv -> states.put(kv.key, kv.value));
            }
            loaded = true;
            // the stores hold the last commit: so does what they show
            Map<String, List<TeamWindow>> open = openWindows.openWindowsByTeam(null);
            openWindows.drainTouched();
            states.forEach((team, state) -> {
                List<TeamWindow> windows = open.getOrDefault(team, List.of());
                if (io.spendmonitor.streams.cost.LiveSpend.giveKeys(state, windows)) {
                    dirtyStates.add(team);
                }
                committed.publishRestored(team, io.spendmonitor.streams.cost.LiveSpend.of(state, windows));
            });
        }
    }

    /**
     * At each commit: the live spend (final totals plus open windows) of every team whose open
     * windows changed, staged to be exported once the commit is through ({@link CommittedSpend}).
     */
    private void stageLiveSpend(Set<String> touched) {
        if (touched.isEmpty()) {
            return;
        }
        Map<String, List<TeamWindow>> open = openWindows.openWindowsByTeam(touched);
        for (String team : touched) {
            TeamState state = states.get(team);
            if (state == null) {
                continue; // evicted in the meantime
            }
            List<TeamWindow> windows = open.getOrDefault(team, List.of());
            if (io.spendmonitor.streams.cost.LiveSpend.giveKeys(state, windows)) {
                dirtyStates.add(team);
            }
            committed.stage(team, io.spendmonitor.streams.cost.LiveSpend.of(state, windows));
        }
    }

    @Override
    public void process(Record<String, Object> record) {
        ensureLoaded();
        if (record.value() instanceof NodeMessages.TeamOpened opened) {
            TeamState state = states.computeIfAbsent(opened.team(), t -> new TeamState());
            if (state.lastActivityMs < opened.windowEndMs()) {
                state.lastActivityMs = opened.windowEndMs();
            }
            dirtyStates.add(opened.team());
        } else if (record.value() instanceof NodeMessages.WindowsClosed closed) {
            evaluateAll(closed.windowEndMs(), closed.windows());
        }
    }

    private void evaluateAll(long windowEnd, Map<String, TeamWindow> closed) {
        for (String team : closed.keySet()) {
            states.computeIfAbsent(team, t -> new TeamState());
        }
        long horizonStart = windowEnd - settings.horizonMs();
        // sorted: evaluations (and their alerts) come out in the same order on every run and replay
        for (Map.Entry<String, TeamState> e : new TreeMap<>(states).entrySet()) {
            String team = e.getKey();
            TeamState state = e.getValue();
            TeamWindow window = closed.get(team);
            boolean dataInHorizon = state.lastActivityMs > horizonStart;
            if (window == null && !dataInHorizon && state.breakEven.isEmpty() && !state.anyAlertFiring()) {
                if (windowEnd - state.lastActivityMs > eviction.toMillis()) {
                    teams.delete(team);
                    states.remove(team);
                    dirtyStates.remove(team);
                    horizons.remove(team);
                    committed.stageWithdrawal(team);
                    listener.evicted(team);
                }
                continue;
            }
            evaluate(team, state, window, windowEnd, horizonStart, dataInHorizon);
        }
    }

    /** One team's evaluation, all or nothing. */
    private void evaluate(String team, TeamState state, TeamWindow window, long windowEnd, long horizonStart, boolean dataInHorizon) {
        // the window's amounts go to the lifetime totals whatever becomes of the evaluation (the spend
        // counters never go down): first, so the copy to put back can share the totals with the state
        if (window != null) {
            TeamEvaluator.accumulate(state, window);
        }
        TeamState before = state.copyForEvaluation();
        List<AlertTransition> transitions;
        try {
            Horizon horizon = horizonOf(team, state, window, horizonStart, windowEnd, dataInHorizon);
            TeamEvaluator.Budget budget = budget(team, windowEnd);
            startLabelBudgets(team, state, budget, windowEnd);
            transitions = evaluator.evaluate(team, state, window, windowEnd, catalog, budget, horizon, true);
        } catch (RuntimeException e) {
            // put the state back as it was (with the window in its totals): a failure never leaves half-done state
            states.put(team, before);
            if (window != null) {
                dirtyStates.add(team);
            }
            horizons.remove(team);
            log.error("evaluation of team '{}' at {} failed; its state is unchanged: {}", team, Instant.ofEpochMilli(windowEnd), e.toString());
            listener.evaluationFailed(team);
            return;
        }
        dirtyStates.add(team); // written at the commit: once, however many minutes it is evaluated for
        if (!state.lastBreakEven.isEmpty() && state.lastEvaluatedMs == windowEnd) {
            // the history in event time: this minute's results, under the minute's window
            breakEvenHistory.put(team, BreakEvenHistory.of(state.lastBreakEven), windowEnd - settings.windowSizeMs());
        }
        listener.evaluated(team, state, windowEnd);
        for (AlertTransition t : transitions) {
            context.forward(new Record<>(team, toAvro(t), windowEnd - 1), SpendTopology.ALERTS_SINK);
            listener.alert(t);
        }
    }

    /**
     * Summaries of the team's finalized windows in [horizonStart, windowEnd), the evaluated one
     * included, from the cache or (after a restart or an eviction from the cache) the window store.
     */
    private Horizon horizonOf(String team, TeamState state, TeamWindow window, long horizonStart, long windowEnd,
                                          boolean dataInHorizon) {
        long windowMs = settings.windowSizeMs();
        if (window != null) {
            TeamEvaluator.learnDeploymentModels(state, window);
        }
        Horizon cached = horizons.get(team);
        if (cached == null) {
            cached = new Horizon();
            if (dataInHorizon || window != null) {
                try (WindowStoreIterator<TeamWindow> it = windowStore.fetch(team, Instant.ofEpochMilli(horizonStart),
                        Instant.ofEpochMilli(windowEnd - windowMs))) {
                    while (it.hasNext()) {
                        TeamWindow w = it.next().value;
                        cached.addLast(evaluator.summarize(state, w, w.windowStartMs() + windowMs));
                    }
                }
            }
            horizons.put(team, cached);
        } else if (window != null && (cached.isEmpty() || cached.lastWindowEndMs() < windowEnd)) {
            cached.addLast(evaluator.summarize(state, window, windowEnd));
        }
        cached.evictUpTo(horizonStart);
        return cached;
    }

    /** Label budgets new to the team start from the label's spend of the day and month so far (the kept windows). */
    private void startLabelBudgets(String team, TeamState state, TeamEvaluator.Budget budget, long windowEnd) {
        List<TeamEvaluator.LabelBudget> fresh = TeamEvaluator.newLabelBudgets(state, budget);
        if (fresh.isEmpty()) {
            return;
        }
        long windowStart = windowEnd - settings.windowSizeMs();
        TeamEvaluator.LabelBudgetStart start = new TeamEvaluator.LabelBudgetStart(fresh, windowStart);
        if (windowStart > start.fromMs()) { // else the month's first window: nothing before it counts
            // one window at a time: a month of minutes is never held at once
            try (WindowStoreIterator<TeamWindow> it = windowStore.fetch(team, Instant.ofEpochMilli(start.fromMs()),
                    Instant.ofEpochMilli(windowStart - 1))) {
                while (it.hasNext()) {
                    start.add(it.next().value);
                }
            }
        }
        start.finish(state);
    }

    private TeamEvaluator.Budget budget(String team, long windowEnd) {
        TeamBudget own = TeamBudgets.own(budgets, team);
        boolean inForce = own != null && own.getEffectiveFrom().toEpochMilli() < windowEnd;
        // the label budgets in force at windowEnd (a small range of the store)
        List<TeamEvaluator.LabelBudget> labels = new ArrayList<>();
        TeamBudgets.labels(budgets, team).forEach((label, b) -> {
            if (b.getEffectiveFrom().toEpochMilli() < windowEnd) {
                Map.Entry<String, String> kv = io.spendmonitor.schemas.BudgetKeys.label(b);
                labels.add(new TeamEvaluator.LabelBudget(kv.getKey(), kv.getValue(), b.getDailyUsd(), b.getMonthlyUsd()));
            }
        });
        return new TeamEvaluator.Budget(inForce ? own.getDailyUsd() : null, inForce ? own.getMonthlyUsd() : null, labels);
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
