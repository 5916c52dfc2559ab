package io.spendmonitor.streams.cost;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
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
    /**
     * {@link TeamEvaluator.Budget#fingerprint()} of the budgets last checked (0: none): a minute
     * without calls checks them only when they changed, so a budget published or lowered after the
     * team's last call fires at once. Left out of the JSON while 0, so a state without budgets is
     * written as it was before the field existed.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
    public long budgetChecked;
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
    @JsonPropertyOrder({"costs", "firing", "baselineFemtoPerWindow", "calm", "sinceMs"}) // as when costs was a field
    public static final class SpikeState {
        /*
         * API cost (femto-USD) of the team's recent windows with any, by window end: about 63 windows
         * at most (the judged ones and the hour before them). Two parallel arrays sorted by end, not a
         * TreeMap: the evaluate node copies the state before every evaluation (every team, every
         * minute) to put it back if the evaluation fails, and a copy of the arrays is two array copies
         * where a TreeMap's was a tree of boxed entries. Windows come in order, so a put is almost
         * always an append, and a removal takes the oldest from the front. Costs are immutable
         * BigIntegers: copies share them. The JSON is what the TreeMap wrote (getCosts, setCosts).
         */
        @JsonIgnore
        private long[] ends = new long[0];
        @JsonIgnore
        private BigInteger[] costFemto = new BigInteger[0];
        @JsonIgnore
        private int size;
        public boolean firing;
        /** The baseline while firing (frozen), femto-USD per window, a decimal. */
        public String baselineFemtoPerWindow;
        /** Windows in a row below twice the baseline while firing. */
        public int calm;
        public long sinceMs;

        /** Sets the cost of the window ending at {@code end}, replacing what it had. */
        void put(long end, BigInteger cost) {
            java.util.Objects.requireNonNull(cost, "cost");
            int i = size;
            if (size > 0 && ends[size - 1] >= end) {
                i = Arrays.binarySearch(ends, 0, size, end);
                if (i >= 0) {
                    costFemto[i] = cost;
                    return;
                }
                i = -i - 1;
            }
            if (size == ends.length) {
                int capacity = Math.max(8, 2 * size);
                ends = Arrays.copyOf(ends, capacity);
                costFemto = Arrays.copyOf(costFemto, capacity);
            }
            System.arraycopy(ends, i, ends, i + 1, size - i);
            System.arraycopy(costFemto, i, costFemto, i + 1, size - i);
            ends[i] = end;
            costFemto[i] = cost;
            size++;
        }

        /** Forgets the windows ending at or before {@code end}. */
        void removeUpTo(long end) {
            int n = countUpTo(end);
            if (n == 0) {
                return;
            }
            System.arraycopy(ends, n, ends, 0, size - n);
            System.arraycopy(costFemto, n, costFemto, 0, size - n);
            Arrays.fill(costFemto, size - n, size, null); // no stale references past the end
            size -= n;
        }

        /** The summed cost of the windows ending in ({@code after}, {@code upTo}]: zero when none (or after >= upTo). */
        BigInteger sum(long after, long upTo) {
            // a FemtoSum: a long while it fits (a BigInteger per window summed was ~1 % of the stream thread)
            FemtoSum sum = new FemtoSum();
            for (int i = countUpTo(after); i < size && ends[i] <= upTo; i++) {
                sum.add(costFemto[i]);
            }
            return sum.value();
        }

        /** The cost of the window ending at {@code end}: zero if it had none. */
        BigInteger cost(long end) {
            int i = Arrays.binarySearch(ends, 0, size, end);
            return i >= 0 ? costFemto[i] : BigInteger.ZERO;
        }

        /** Windows kept. */
        int size() {
            return size;
        }

        /** How many windows end at or before {@code end}: the index of the first one after it. */
        private int countUpTo(long end) {
            int i = Arrays.binarySearch(ends, 0, size, end);
            return i >= 0 ? i + 1 : -i - 1;
        }

        /**
         * The JSON's "costs": an object from window end to cost, ascending, written exactly as the
         * TreeMap&lt;Long, BigInteger&gt; this replaces was (states in the changelogs read back, and
         * are written again byte for byte). A copy, its entries in the arrays' ascending order.
         */
        @JsonProperty("costs")
        Map<Long, BigInteger> getCosts() {
            Map<Long, BigInteger> byEnd = new java.util.LinkedHashMap<>(2 * size);
            for (int i = 0; i < size; i++) {
                byEnd.put(ends[i], costFemto[i]);
            }
            return byEnd;
        }

        /**
         * Reads "costs" in any order (sorted here: a hand-edited state is kept sorted too; of a window
         * given twice, Jackson keeps the last). A window whose cost is null, or a null "costs", neither
         * of which this code writes, reads as no cost, the value an absent window has: kept, it would
         * fail the team's evaluations (each rolled back, the null with it) until the window is forgotten.
         */
        @JsonProperty("costs")
        void setCosts(Map<Long, BigInteger> byEnd) {
            ends = new long[0];
            costFemto = new BigInteger[0];
            size = 0;
            if (byEnd != null) {
                byEnd.forEach((end, femto) -> {
                    if (femto != null) {
                        put(end, femto); // sorted insert
                    }
                });
            }
        }

        SpikeState copy() {
            SpikeState c = new SpikeState();
            c.ends = Arrays.copyOf(ends, size);
            c.costFemto = Arrays.copyOf(costFemto, size);
            c.size = size;
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
        c.budgetChecked = budgetChecked;
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
