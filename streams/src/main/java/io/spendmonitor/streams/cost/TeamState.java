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
    /** Results of the latest evaluation. */
    public List<BreakEven> lastBreakEven = new ArrayList<>();
    /**
     * Lifetime totals of the finalized windows, by "provider/model" (self-hosted calls under
     * provider self-hosted). Kept in the state, so they move with the team's partition and the
     * metrics summed over instances stay exact.
     */
    public Map<String, ModelTotals> modelTotals = new TreeMap<>();
    /** Lifetime GPU totals by "deployment|gpu_model". */
    public Map<String, GpuTotals> gpuTotals = new TreeMap<>();
    /** Idle GPU equivalents of the last finalized window with data. */
    public double lastIdleGpus;

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
    }

    public boolean anyAlertFiring() {
        return breakEven.values().stream().anyMatch(h -> h.firing)
                || idle.values().stream().anyMatch(i -> i.hysteresis.firing);
    }
}
