package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the topology remembers of a team between windows: the alert state machines, the budget
 * periods, lifetime totals and the latest break-even results (for the query API). The horizon's
 * minutes are not kept here: they are the team's windows in the window store, read at each
 * evaluation. Bounded: alert states one per profile/deployment, budget state one day and one month.
 */
public final class TeamState {
    /**
     * Keys a team's maps keep by name (models, deployments); the rest of its lifetime totals are
     * summed under "other". Money stays exact; only the breakdown is bounded.
     */
    public static final int MAX_KEYS = TeamWindow.MAX_KEYS;

    /** Start (ms) of the team's first window; -1 until it has one. */
    public long firstWindowStartMs = -1;
    /** End (ms) of the last window with data. */
    public long lastActivityMs;
    /** End (ms) of the last evaluated window. */
    public long lastEvaluatedMs;
    /** Length in minutes of the horizon at the last evaluation, and its API and GPU cost (femto-USD). */
    public int horizonMinutes;
    public java.math.BigInteger horizonApiCostFemto = java.math.BigInteger.ZERO;
    public java.math.BigInteger horizonGpuCostFemto = java.math.BigInteger.ZERO;
    /** Length of the horizon at the last evaluation in ms (0 in states written before it was kept: use the minutes). */
    public long horizonMs;
    /** Open model each deployment serves, learnt from samples and token events. */
    public Map<String, String> deploymentModels = new TreeMap<>();
    /** Break-even state machines by "MODE|model|gpu_model". */
    public Map<String, Hysteresis> breakEven = new TreeMap<>();
    /** Idle-capacity state machines by deployment. */
    public Map<String, IdleState> idle = new TreeMap<>();
    public BudgetPeriod day = new BudgetPeriod();
    public BudgetPeriod month = new BudgetPeriod();
    /** Periods of the label budgets in force (v2 budgets), by "key=value": the label's API spend. */
    public Map<String, BudgetPeriod> labelDay = new TreeMap<>();
    public Map<String, BudgetPeriod> labelMonth = new TreeMap<>();
    /** Results of the latest evaluation. */
    public List<BreakEven> lastBreakEven = new ArrayList<>();
    /**
     * Lifetime totals of the finalized windows, by "provider/model" (self-hosted calls under
     * provider self-hosted). Kept in the state, so they move with the team's partition and the
     * metrics summed over instances stay exact.
     */
    public Map<String, ModelTotals> modelTotals = new java.util.LinkedHashMap<>();
    /** Lifetime GPU totals by "deployment|gpu_model". */
    public Map<String, GpuTotals> gpuTotals = new java.util.LinkedHashMap<>();
    /** Idle GPU equivalents of the last finalized window with data. */
    public double lastIdleGpus;
    /**
     * Lifetime spend of the finalized windows by attribution key, then value (first values seen
     * keep their names, later ones past the per-key cap go to "other"; insertion order kept).
     */
    public Map<String, Map<String, AttributedTotals>> attributedTotals = new java.util.LinkedHashMap<>();

    /** Calls, tokens and API cost of one attribution value since the team's first window. */
    public static final class AttributedTotals {
        public BigDecimal costUsd = BigDecimal.ZERO;
        public long calls;
        public long tokens;
    }

    /** The totals an attribution value's calls go to: its own, or "other" once {@code maxValues} of the key are named. */
    public AttributedTotals attributedTotals(String key, String value, int maxValues) {
        Map<String, AttributedTotals> values = attributedTotals.computeIfAbsent(key, k -> new java.util.LinkedHashMap<>());
        boolean fold = values.size() >= maxValues - 1 && !values.containsKey(value);
        return values.computeIfAbsent(fold ? TeamWindow.OTHER : value, v -> new AttributedTotals());
    }

    /** SPEND_SPIKE's state ({@link SpendSpike}). */
    public SpikeState spike = new SpikeState();

    /** SPEND_SPIKE: recent API cost per window, and whether it fires. */
    public static final class SpikeState {
        /** API cost (femto-USD) of the team's recent windows with any, by window end: about 63 windows at most. */
        public java.util.TreeMap<Long, java.math.BigInteger> costs = new java.util.TreeMap<>();
        public boolean firing;
        /** The baseline while firing (frozen), femto-USD per window, a decimal. */
        public String baselineFemtoPerWindow;
        /** Windows in a row below twice the baseline while firing. */
        public int calm;
        public long sinceMs;

        SpikeState copy() {
            SpikeState c = new SpikeState();
            c.costs = new java.util.TreeMap<>(costs);
            c.firing = firing;
            c.baselineFemtoPerWindow = baselineFemtoPerWindow;
            c.calm = calm;
            c.sinceMs = sinceMs;
            return c;
        }
    }

    /*
     * The keys of the lifetime totals. A key, once given, is kept for the team's life, in the order
     * keys were given (the maps keep insertion order, also through the JSON of the store): past
     * MAX_KEYS a new name goes to "other". The live counters give keys to the names of open windows
     * with these same methods, so a window becoming final never moves money from one series to
     * another, and the metrics' label cap folds the same names on every scrape.
     */

    /** The totals an API model's calls go to (keyed "provider/model"). */
    public ModelTotals apiTotals(String key, String provider, String model) {
        boolean fold = modelTotals.size() >= MAX_KEYS - 1 && !modelTotals.containsKey(key);
        ModelTotals t = modelTotals.computeIfAbsent(fold ? TeamWindow.OTHER + "/" + TeamWindow.OTHER : key, k -> new ModelTotals());
        t.provider = fold ? TeamWindow.OTHER : provider;
        t.model = fold ? TeamWindow.OTHER : model;
        return t;
    }

    /** The totals a self-hosted model's calls go to. */
    public ModelTotals selfhostTotals(String model) {
        String key = io.spendmonitor.schemas.Providers.SELF_HOSTED + "/" + model;
        boolean fold = modelTotals.size() >= MAX_KEYS - 1 && !modelTotals.containsKey(key);
        ModelTotals t = modelTotals.computeIfAbsent(fold ? io.spendmonitor.schemas.Providers.SELF_HOSTED + "/" + TeamWindow.OTHER : key,
                k -> new ModelTotals());
        t.provider = io.spendmonitor.schemas.Providers.SELF_HOSTED;
        t.model = fold ? TeamWindow.OTHER : model;
        return t;
    }

    /** The totals a deployment's GPU time on one GPU model goes to. */
    public GpuTotals gpuTotals(String deployment, String gpuModel) {
        String gpu = gpuModel == null ? "unknown" : gpuModel;
        String key = deployment + "|" + gpu;
        boolean fold = gpuTotals.size() >= MAX_KEYS - 1 && !gpuTotals.containsKey(key);
        GpuTotals g = gpuTotals.computeIfAbsent(fold ? TeamWindow.OTHER + "|" + TeamWindow.OTHER : key, k -> new GpuTotals());
        g.deployment = fold ? TeamWindow.OTHER : deployment;
        g.gpuModel = fold ? TeamWindow.OTHER : gpu;
        return g;
    }

    /** Tokens and API cost of one model since the team's first window. */
    public static final class ModelTotals {
        public String provider;
        public String model;
        public BigDecimal costUsd = BigDecimal.ZERO;
        public long calls;
        public long input;
        public long cached;
        public long cacheWrite;
        public long output;
    }

    /** GPU cost of one deployment on one GPU model since the team's first window. */
    public static final class GpuTotals {
        public String deployment;
        public String gpuModel;
        public BigDecimal costUsd = BigDecimal.ZERO;
        public BigDecimal idleCostUsd = BigDecimal.ZERO;
        public double gpuSeconds;
        /** Busy GPU-seconds / GPU-seconds in the last finalized window with samples. */
        public double lastUtilization;
    }

    /** IDLE_CAPACITY of one deployment: the state machine and the idle cost of the current idle streak. */
    public static final class IdleState {
        public Hysteresis hysteresis = new Hysteresis();
        /** Idle femto-USD of each window of the current idle streak, at most the firing count. */
        public List<java.math.BigInteger> streakIdleFemto = new ArrayList<>();
        public double lastUtilization;
    }

    /** Spend in one budget period and which of its alerts have fired. */
    public static final class BudgetPeriod {
        /** e.g. "day:2026-11-27" or "month:2026-11"; null before any spend. */
        public String period;
        public BigDecimal spendUsd = BigDecimal.ZERO;
        public boolean warned;
        public boolean exceeded;
        public boolean forecast;

        BudgetPeriod copy() {
            BudgetPeriod c = new BudgetPeriod();
            c.period = period;
            c.spendUsd = spendUsd;
            c.warned = warned;
            c.exceeded = exceeded;
            c.forecast = forecast;
            return c;
        }
    }

    /**
     * A deep copy: what an evaluation can change is copied, immutable parts (BigDecimal, strings,
     * {@link BreakEven} results) are shared. The evaluate node takes one before each evaluation to
     * put back if it fails (cheaper than a serialized copy: it runs for every team every minute).
     */
    public TeamState copy() {
        return copy(true);
    }

    /**
     * What the evaluate node puts back if an evaluation fails: a copy of what an evaluation can
     * change, sharing (not copying) the lifetime totals ({@link #modelTotals}, {@link #gpuTotals},
     * {@link #attributedTotals}). The node adds the window to them before it takes this copy, and
     * the evaluation proper never changes them ({@link TeamEvaluator#evaluate(String, TeamState,
     * TeamWindow, long, PriceCatalog, TeamEvaluator.Budget, Horizon, boolean)} with the window accumulated).
     */
    public TeamState copyForEvaluation() {
        return copy(false);
    }

    private TeamState copy(boolean totals) {
        TeamState c = new TeamState();
        c.firstWindowStartMs = firstWindowStartMs;
        c.lastActivityMs = lastActivityMs;
        c.lastEvaluatedMs = lastEvaluatedMs;
        c.horizonMinutes = horizonMinutes;
        c.horizonApiCostFemto = horizonApiCostFemto;
        c.horizonGpuCostFemto = horizonGpuCostFemto;
        c.horizonMs = horizonMs;
        c.deploymentModels = new TreeMap<>(deploymentModels);
        breakEven.forEach((k, h) -> c.breakEven.put(k, h.copy()));
        idle.forEach((k, i) -> {
            IdleState ic = new IdleState();
            ic.hysteresis = i.hysteresis.copy();
            ic.streakIdleFemto = new ArrayList<>(i.streakIdleFemto);
            ic.lastUtilization = i.lastUtilization;
            c.idle.put(k, ic);
        });
        c.day = day.copy();
        c.month = month.copy();
        labelDay.forEach((k, p) -> c.labelDay.put(k, p.copy()));
        labelMonth.forEach((k, p) -> c.labelMonth.put(k, p.copy()));
        c.lastBreakEven = new ArrayList<>(lastBreakEven);
        c.lastIdleGpus = lastIdleGpus;
        c.spike = spike.copy();
        if (!totals) {
            c.modelTotals = modelTotals;
            c.gpuTotals = gpuTotals;
            c.attributedTotals = attributedTotals;
            return c;
        }
        modelTotals.forEach((k, t) -> {
            ModelTotals tc = new ModelTotals();
            tc.provider = t.provider;
            tc.model = t.model;
            tc.costUsd = t.costUsd;
            tc.calls = t.calls;
            tc.input = t.input;
            tc.cached = t.cached;
            tc.cacheWrite = t.cacheWrite;
            tc.output = t.output;
            c.modelTotals.put(k, tc);
        });
        gpuTotals.forEach((k, g) -> {
            GpuTotals gc = new GpuTotals();
            gc.deployment = g.deployment;
            gc.gpuModel = g.gpuModel;
            gc.costUsd = g.costUsd;
            gc.idleCostUsd = g.idleCostUsd;
            gc.gpuSeconds = g.gpuSeconds;
            gc.lastUtilization = g.lastUtilization;
            c.gpuTotals.put(k, gc);
        });
        attributedTotals.forEach((key, values) -> {
            Map<String, AttributedTotals> vc = new java.util.LinkedHashMap<>();
            values.forEach((value, a) -> {
                AttributedTotals ac = new AttributedTotals();
                ac.costUsd = a.costUsd;
                ac.calls = a.calls;
                ac.tokens = a.tokens;
                vc.put(value, ac);
            });
            c.attributedTotals.put(key, vc);
        });
        return c;
    }

    public boolean anyAlertFiring() {
        return breakEven.values().stream().anyMatch(h -> h.firing)
                || idle.values().stream().anyMatch(i -> i.hysteresis.firing) || spike.firing;
    }
}
