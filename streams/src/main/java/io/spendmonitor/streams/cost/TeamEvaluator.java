package io.spendmonitor.streams.cost;

import io.spendmonitor.schemas.Providers;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The evaluation of one team at the end of one finalized minute window: it folds the window into
 * the trailing horizon, computes break-even per self-host profile, and steps the alert state
 * machines (break-even, idle capacity, budget). Pure: no Kafka types; the topology calls it.
 */
public final class TeamEvaluator {
    private final SpendSettings settings;
    private final CapacitySettings capacity;

    public TeamEvaluator(SpendSettings settings) {
        this(settings, CapacitySettings.defaults());
    }

    public TeamEvaluator(SpendSettings settings, CapacitySettings capacity) {
        this.settings = settings;
        this.capacity = capacity;
    }

    /** The team's budget in force, in USD; either may be null (no budget for that period). */
    public record Budget(BigDecimal dailyUsd, BigDecimal monthlyUsd, List<LabelBudget> labels) {
        public static final Budget NONE = new Budget(null, null);

        public Budget(BigDecimal dailyUsd, BigDecimal monthlyUsd) {
            this(dailyUsd, monthlyUsd, List.of());
        }

        /** A hash of these budgets, 0 for none: what {@link TeamState#budgetChecked} compares. */
        public long fingerprint() {
            if (dailyUsd == null && monthlyUsd == null && labels.isEmpty()) {
                return 0;
            }
            long h = 0x9E3779B97F4A7C15L;
            h = h * 0x100000001B3L + java.util.Objects.hashCode(dailyUsd);
            h = h * 0x100000001B3L + java.util.Objects.hashCode(monthlyUsd);
            for (LabelBudget lb : labels) {
                h = h * 0x100000001B3L + lb.hashCode();
            }
            return h == 0 ? 1 : h;
        }
    }

    /**
     * A budget of the API spend on the team's calls that carry one attribution label
     * ({@code key=value}; the key must be one of spend.attribution.keys, whose spend the windows keep).
     */
    public record LabelBudget(String key, String value, BigDecimal dailyUsd, BigDecimal monthlyUsd) {
        public String label() {
            return key + "=" + value;
        }
    }


    /**
     * @param window      the team's finalized window ending at {@code windowEndMs}, or null when it had no data
     * @return the alert transitions of this evaluation (usually none)
     */
    public List<AlertTransition> evaluate(String team, TeamState state, TeamWindow window, long windowEndMs,
                                          PriceCatalog catalog, Budget budget) {
        List<MinuteSummary> horizon = new ArrayList<>();
        if (window != null) {
            learnDeploymentModels(state, window);
            horizon.add(summarize(state, window, windowEndMs));
        }
        return evaluate(team, state, window, windowEndMs, catalog, budget, horizon);
    }

    /**
     * @param horizon summaries of the team's finalized windows inside the horizon, the evaluated
     *                window's included (see {@link #summarize}); empty minutes are implied
     */
    public List<AlertTransition> evaluate(String team, TeamState state, TeamWindow window, long windowEndMs,
                                          PriceCatalog catalog, Budget budget, List<MinuteSummary> horizon) {
        return evaluate(team, state, window, windowEndMs, catalog, budget, horizon, null, false);
    }

    /**
     * As above, with the horizon's running sums ({@link Horizon}): the same results, without a scan
     * of the horizon's minutes per self-host profile.
     *
     * @param horizon the team's finalized windows inside the horizon, the evaluated window's included
     */
    public List<AlertTransition> evaluate(String team, TeamState state, TeamWindow window, long windowEndMs,
                                          PriceCatalog catalog, Budget budget, Horizon horizon) {
        return evaluate(team, state, window, windowEndMs, catalog, budget, null, horizon, false);
    }

    /**
     * As above; with {@code accumulated}, the window is already in the state's lifetime totals
     * ({@link #accumulate}, done by the caller) and the evaluation leaves them alone.
     */
    public List<AlertTransition> evaluate(String team, TeamState state, TeamWindow window, long windowEndMs,
                                          PriceCatalog catalog, Budget budget, Horizon horizon, boolean accumulated) {
        return evaluate(team, state, window, windowEndMs, catalog, budget, null, horizon, accumulated);
    }

    /** One of {@code horizon} (a list of minutes) and {@code sums} (running sums) is given. */
    private List<AlertTransition> evaluate(String team, TeamState state, TeamWindow window, long windowEndMs,
                                           PriceCatalog catalog, Budget budget, List<MinuteSummary> horizon, Horizon sums,
                                           boolean accumulated) {
        long windowMs = settings.windowSizeMs();
        if (window != null) {
            if (state.firstWindowStartMs < 0) {
                state.firstWindowStartMs = window.windowStartMs();
            }
            state.lastActivityMs = windowEndMs;
        }
        if (state.firstWindowStartMs < 0) {
            return List.of();
        }
        state.lastEvaluatedMs = windowEndMs;
        List<AlertTransition> transitions = new ArrayList<>();
        if (window != null) {
            if (!accumulated) {
                accumulate(state, window);
            }
            state.lastIdleGpus = window.idleGpus(windowMs);
            learnDeploymentModels(state, window);
        }
        long horizonStart = windowEndMs - settings.horizonMs();
        if (sums == null || sums.firstWindowEndMs() <= horizonStart || sums.lastWindowEndMs() > windowEndMs) {
            // a list, or sums holding minutes outside the horizon: the sums of the minutes inside it
            sums = Horizon.of(sums != null ? sums.minutes() : horizon, horizonStart, windowEndMs);
        }
        // the horizon: min(60 minutes, time since the team's first window), whatever the window size
        long horizonMs = Math.min(settings.horizonMs(), windowEndMs - state.firstWindowStartMs);
        state.horizonMs = horizonMs;
        state.horizonMinutes = (int) (horizonMs / 60_000L);
        state.horizonApiCostFemto = sums.apiCostFemto();
        state.horizonGpuCostFemto = sums.gpuCostFemto();

        breakEven(team, state, sums, windowEndMs, horizonMs, catalog, transitions);
        SpendSpike.evaluate(team, state, window, windowEndMs, settings, transitions);
        if (window != null) {
            idleCapacity(team, state, window, windowEndMs, transitions);
            budget(team, state, window, windowEndMs, budget, transitions);
        } else if (state.budgetChecked != budget.fingerprint()) {
            // a budget published, changed or started since the team's last call: checked now, with no new spend
            budget(team, state, null, windowEndMs, budget, transitions);
        }
        return transitions;
    }

    /**
     * Adds a finalized window to the team's lifetime totals (under the keys {@link TeamState} gives:
     * the same the live counters use while the window is open). Public for the evaluate node, which
     * adds a window this way even when its evaluation failed: the totals never lose money.
     */
    public static void accumulate(TeamState state, TeamWindow window) {
        window.apiModels().forEach((key, m) -> {
            TeamState.ModelTotals t = state.apiTotals(key, m.provider, m.model);
            t.costUsd = t.costUsd.add(m.cost.usd());
            add(t, m);
        });
        window.selfhostModels().forEach((model, m) -> add(state.selfhostTotals(model), m));
        for (TeamWindow.DeploymentStats d : window.deployments().values()) {
            if (d.gpuSeconds <= 0) {
                continue;
            }
            TeamState.GpuTotals g = state.gpuTotals(d.deployment, d.gpuModel);
            g.costUsd = g.costUsd.add(d.gpuCost.usd());
            g.idleCostUsd = g.idleCostUsd.add(Money.usd(d.idleCostFemto()));
            g.gpuSeconds += d.gpuSeconds;
            g.lastUtilization = d.utilization();
        }
        window.attribution().forEach((key, values) -> values.forEach((value, a) -> {
            TeamState.AttributedTotals t = state.attributedTotals(key, value, MAX_ATTRIBUTED_VALUES);
            t.costUsd = t.costUsd.add(a.cost.usd());
            t.calls += a.calls;
            t.tokens += a.tokens;
        }));
    }

    /**
     * Attribution values a team's lifetime totals keep by name, per key (a window keeps at most
     * {@code spend.attribution.max-values} of its own; over a team's life more may come).
     */
    public static final int MAX_ATTRIBUTED_VALUES = 256;

    private static void add(TeamState.ModelTotals t, TeamWindow.ModelStats m) {
        t.calls += m.calls;
        t.input += m.input;
        t.cached += m.cached;
        t.cacheWrite += m.cacheWrite;
        t.output += m.output;
    }

    /** The window as the horizon keeps it; self-hosted tokens and GPU cost are grouped by open model. */
    /** Learns which open model each deployment of the window serves (before summarizing it). */
    public static void learnDeploymentModels(TeamState state, TeamWindow window) {
        for (TeamWindow.DeploymentStats d : window.deployments().values()) {
            if (d.model != null && !TeamWindow.UNASSIGNED.equals(d.deployment) && !TeamWindow.OTHER.equals(d.deployment)
                    && (state.deploymentModels.size() < TeamState.MAX_KEYS || state.deploymentModels.containsKey(d.deployment))) {
                state.deploymentModels.put(d.deployment, d.model);
            }
        }
    }

    public MinuteSummary summarize(TeamState state, TeamWindow window, long windowEndMs) {
        Map<String, MinuteSummary.ApiMinute> api = new TreeMap<>();
        window.apiModels().forEach((key, m) -> api.put(key,
                new MinuteSummary.ApiMinute(m.input, m.cached, m.cacheWrite, m.output, m.cost.value())));
        Map<String, long[]> byModel = new TreeMap<>(); // input, cached, cacheWrite, output
        Map<String, java.math.BigInteger> gpuCostByModel = new TreeMap<>();
        Map<String, java.util.TreeSet<String>> gpuModels = new TreeMap<>();
        window.selfhostModels().forEach((model, m) -> {
            long[] sums = byModel.computeIfAbsent(model, k -> new long[4]);
            sums[0] = Math.addExact(sums[0], m.input);
            sums[1] = Math.addExact(sums[1], m.cached);
            sums[2] = Math.addExact(sums[2], m.cacheWrite);
            sums[3] = Math.addExact(sums[3], m.output);
        });
        for (TeamWindow.DeploymentStats d : window.deployments().values()) {
            String model = d.model != null ? d.model : state.deploymentModels.get(d.deployment);
            if (model != null && d.gpuSeconds > 0) {
                byModel.computeIfAbsent(model, k -> new long[4]);
                gpuCostByModel.merge(model, d.gpuCost.value(), java.math.BigInteger::add);
                if (d.gpuModel != null) {
                    gpuModels.computeIfAbsent(model, k -> new java.util.TreeSet<>()).add(d.gpuModel);
                }
            }
        }
        Map<String, MinuteSummary.SelfHostMinute> selfHosted = new TreeMap<>();
        byModel.forEach((model, s) -> selfHosted.put(model, new MinuteSummary.SelfHostMinute(s[0], s[1], s[2], s[3],
                gpuCostByModel.getOrDefault(model, java.math.BigInteger.ZERO),
                new ArrayList<>(gpuModels.getOrDefault(model, new java.util.TreeSet<>())))));
        Map<String, MinuteSummary.MeasuredMinute> measured = new TreeMap<>();
        for (TeamWindow.DeploymentStats d : window.deployments().values()) {
            String model = d.model != null ? d.model : state.deploymentModels.get(d.deployment);
            if (d.measuredGpuSeconds > 0 && model != null && d.gpuModel != null) {
                measured.put(d.deployment, new MinuteSummary.MeasuredMinute(model, d.gpuModel, d.measuredTokens,
                        d.measuredBusyGpuSeconds, d.measuredGpuSeconds, d.prefixQueries, d.prefixHits));
            }
        }
        // hash maps: every evaluation looks models up in each of the horizon's 60 minutes
        return new MinuteSummary(windowEndMs, Map.copyOf(api), Map.copyOf(selfHosted), window.apiCost().value(),
                window.gpuCost().value(), Map.copyOf(measured));
    }

    private void breakEven(String team, TeamState state, Horizon sums, long windowEndMs, long horizonMs,
                           PriceCatalog catalog, List<AlertTransition> transitions) {
        long at = windowEndMs - 1; // prices in force during the evaluated window
        List<BreakEven> results = new ArrayList<>();
        Set<String> evaluated = new HashSet<>();
        for (SelfHostProfileSpec profile : catalog.profiles(at)) {
            Optional<ApiPrice> apiPrice = catalog.apiPrice(profile.apiProvider(), profile.apiModel(), null, at);
            Optional<BigDecimal> gpuUsdPerHour = catalog.gpuUsdPerHour(profile.gpuModel(), at);
            for (BreakEven result : BreakEvenEvaluator.evaluate(sums, horizonMs, settings.windowSizeMs(), profile, gpuUsdPerHour,
                    apiPrice, capacity)) {
                results.add(result);
                String key = new BreakEvenKey(result.mode(), profile.model(), profile.gpuModel()).toString();
                evaluated.add(key);
                Hysteresis h = state.breakEven.computeIfAbsent(key, k -> new Hysteresis());
                boolean bad = result.ratioAbove(1 + settings.breakEvenMargin());
                boolean good = result.ratioBelow(1);
                Hysteresis.Change change = h.observe(bad, good, settings.breakEvenEvaluations(),
                        settings.breakEvenEvaluations(), windowEndMs);
                if (change != Hysteresis.Change.NONE) {
                    transitions.add(breakEvenTransition(team, profile, result, change, windowEndMs));
                }
            }
        }
        // a profile whose usage left the horizon: nothing to save by switching, a "good" evaluation
        for (var entry : new ArrayList<>(state.breakEven.entrySet())) {
            if (!evaluated.contains(entry.getKey())) {
                Hysteresis h = entry.getValue();
                Hysteresis.Change change = h.observe(false, true, settings.breakEvenEvaluations(),
                        settings.breakEvenEvaluations(), windowEndMs);
                if (change == Hysteresis.Change.RESOLVED) {
                    BreakEvenKey key = BreakEvenKey.parse(entry.getKey());
                    transitions.add(new AlertTransition(team, key.alertType(), key.subject(), AlertTransition.RESOLVED,
                            windowEndMs, null, null, null, null, null, null, null,
                            team + ": no more " + (key.mode() == BreakEven.Mode.API ? "API calls" : "self-hosted traffic")
                                    + " for " + key.model() + " in the last " + settings.horizonMinutes() + " minutes",
                            Map.of()));
                }
                if (!h.firing && h.badStreak == 0) {
                    state.breakEven.remove(entry.getKey()); // nothing left to remember
                }
            }
        }
        state.lastBreakEven = results;
    }

    private AlertTransition breakEvenTransition(String team, SelfHostProfileSpec profile, BreakEven r,
                                                Hysteresis.Change change, long windowEndMs) {
        boolean apiMode = r.mode() == BreakEven.Mode.API;
        AlertType type = apiMode ? AlertType.SELF_HOSTING_CHEAPER : AlertType.SELF_HOSTING_DEARER;
        String state = change == Hysteresis.Change.FIRED ? AlertTransition.FIRING : AlertTransition.RESOLVED;
        String ratio = r.ratio() == null ? "no tokens served" : String.format("%.2fx", r.ratio());
        String summary;
        if (change == Hysteresis.Change.FIRED) {
            summary = apiMode
                    ? String.format("%s would save %s/h self-hosting %s on %dx %s (API spend is %s the self-hosted cost)",
                    team, UsdFormat.usd(r.savingsUsdPerHour()), profile.model(), r.gpus(), profile.gpuModel(), ratio)
                    : String.format("%s would save %s/h moving %s to %s (self-hosting costs %s the API price)",
                    team, UsdFormat.usd(r.savingsUsdPerHour()), profile.model(), profile.apiEquivalent(), ratio);
        } else {
            summary = apiMode
                    ? String.format("%s: self-hosting %s is no longer cheaper than %s (ratio %s)", team, profile.model(),
                    profile.apiEquivalent(), ratio)
                    : String.format("%s: self-hosting %s is no longer dearer than %s (ratio %s)", team, profile.model(),
                    profile.apiEquivalent(), ratio);
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("profile", profile.model());
        details.put("gpu_model", profile.gpuModel());
        details.put("api_model", profile.apiEquivalent());
        details.put("minutes", String.valueOf(r.minutes()));
        if (apiMode) {
            details.put("replicas", String.valueOf(r.replicas()));
            details.put("gpus", String.valueOf(r.gpus()));
        }
        return new AlertTransition(team, type, profile.model() + " on " + profile.gpuModel(), state, windowEndMs,
                r.ratio(), r.actualUsd(), r.counterfactualUsd(), r.savingsUsdPerHour(), null, null, null, summary, details);
    }

    private void idleCapacity(String team, TeamState state, TeamWindow window, long windowEndMs,
                              List<AlertTransition> transitions) {
        for (TeamWindow.DeploymentStats d : window.deployments().values()) {
            if (d.gpuSeconds <= 0) {
                continue;
            }
            if (state.idle.size() >= TeamState.MAX_KEYS && !state.idle.containsKey(d.deployment)) {
                continue; // a team with this many deployments: the first ones are watched, the rest are not
            }
            TeamState.IdleState idle = state.idle.computeIfAbsent(d.deployment, k -> new TeamState.IdleState());
            double utilization = d.utilization();
            idle.lastUtilization = utilization;
            boolean idleWindow = utilization < settings.idleUtilization();
            if (idleWindow) {
                idle.streakIdleFemto.add(d.idleCostFemto());
                if (idle.streakIdleFemto.size() > settings.idleFireWindows()) {
                    idle.streakIdleFemto.remove(0);
                }
            } else {
                idle.streakIdleFemto.clear();
            }
            Hysteresis.Change change = idle.hysteresis.observe(idleWindow, !idleWindow, settings.idleFireWindows(),
                    settings.idleResolveWindows(), windowEndMs);
            if (change == Hysteresis.Change.FIRED) {
                java.math.BigInteger idleFemto = idle.streakIdleFemto.stream().reduce(java.math.BigInteger.ZERO,
                        java.math.BigInteger::add);
                // idle USD/hour of those windows = their idle cost / their length in hours
                BigDecimal perHour = Money.usd(idleFemto).multiply(BigDecimal.valueOf(3_600_000))
                        .divide(BigDecimal.valueOf((long) idle.streakIdleFemto.size() * settings.windowSizeMs()), 9,
                                RoundingMode.HALF_EVEN);
                long minutes = idle.streakIdleFemto.size() * settings.windowSizeMs() / 60_000;
                String summary = String.format("%s's deployment %s is idle: %.0f%% GPU utilization for %d min, %s/h of idle GPUs",
                        team, d.deployment, utilization * 100, minutes, UsdFormat.usd(perHour));
                transitions.add(new AlertTransition(team, AlertType.IDLE_CAPACITY, d.deployment, AlertTransition.FIRING,
                        windowEndMs, utilization, null, null, null, perHour, null, null, summary,
                        Map.of("utilization", String.format("%.4f", utilization))));
            } else if (change == Hysteresis.Change.RESOLVED) {
                transitions.add(new AlertTransition(team, AlertType.IDLE_CAPACITY, d.deployment, AlertTransition.RESOLVED,
                        windowEndMs, utilization, null, null, null, null, null, null,
                        String.format("%s's deployment %s is busy again: %.0f%% GPU utilization", team, d.deployment,
                                utilization * 100), Map.of("utilization", String.format("%.4f", utilization))));
            }
        }
    }

    /** The budgets' periods with the window's spend ({@code window} null: a minute without calls, no spend). */
    private void budget(String team, TeamState state, TeamWindow window, long windowEndMs, Budget budget,
                        List<AlertTransition> transitions) {
        BigDecimal spend = window == null ? BigDecimal.ZERO : window.apiCost().usd().add(window.gpuCost().usd());
        LocalDate windowDay = Instant.ofEpochMilli(windowEndMs - settings.windowSizeMs()).atZone(ZoneOffset.UTC).toLocalDate();
        budgetPeriods(team, null, state.day, state.month, windowDay, spend, budget.dailyUsd(), budget.monthlyUsd(), windowEndMs, transitions);
        // label budgets: the state of a label whose budget is gone is dropped (bounded by the budgets in force)
        java.util.Set<String> inForce = new java.util.HashSet<>();
        for (LabelBudget lb : budget.labels()) { // bounded by the store's reader (TeamBudgets)
            inForce.add(lb.label());
            TeamWindow.Attributed a = window == null ? null : window.attributed(lb.key(), lb.value());
            BigDecimal labelSpend = a == null ? BigDecimal.ZERO : a.cost.usd();
            budgetPeriods(team, lb.label(), state.labelDay.computeIfAbsent(lb.label(), k -> new TeamState.BudgetPeriod()),
                    state.labelMonth.computeIfAbsent(lb.label(), k -> new TeamState.BudgetPeriod()), windowDay, labelSpend,
                    lb.dailyUsd(), lb.monthlyUsd(), windowEndMs, transitions);
        }
        state.labelDay.keySet().retainAll(inForce);
        state.labelMonth.keySet().retainAll(inForce);
        state.budgetChecked = budget.fingerprint();
    }

    /** The label budgets in force that the team's state has no spend for yet (just published, or just in force). */
    public static List<LabelBudget> newLabelBudgets(TeamState state, Budget budget) {
        List<LabelBudget> fresh = new java.util.ArrayList<>();
        for (LabelBudget lb : budget.labels()) {
            if (!state.labelDay.containsKey(lb.label())) {
                fresh.add(lb);
            }
        }
        return fresh;
    }

    /**
     * Starts new label budgets from the label's API spend of the day and of the month so far: the
     * caller adds the team's finalized windows from {@link #fromMs()} to the evaluated window's start
     * (the window store: as far back as {@code spend.window.retention} keeps them), then
     * {@link #finish}. So a budget published at noon counts the morning, as the team's own budget
     * does, whichever reached the task first, the budget or the calls.
     */
    public static final class LabelBudgetStart {
        private final List<LabelBudget> fresh;
        private final LocalDate day;
        private final long dayStartMs;
        private final long monthStartMs;
        private final long windowStartMs;
        private final FemtoSum[] daySums;
        private final FemtoSum[] monthSums;

        public LabelBudgetStart(List<LabelBudget> fresh, long windowStartMs) {
            this.fresh = fresh;
            this.windowStartMs = windowStartMs;
            this.day = Instant.ofEpochMilli(windowStartMs).atZone(ZoneOffset.UTC).toLocalDate();
            this.dayStartMs = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            this.monthStartMs = day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            this.daySums = new FemtoSum[fresh.size()];
            this.monthSums = new FemtoSum[fresh.size()];
            for (int i = 0; i < fresh.size(); i++) {
                daySums[i] = new FemtoSum();
                monthSums[i] = new FemtoSum();
            }
        }

        /** The first window start that counts: the month's first. */
        public long fromMs() {
            return monthStartMs;
        }

        /** A finalized window of the team; one outside [{@link #fromMs()}, the evaluated window) is ignored. */
        public void add(TeamWindow w) {
            if (w.windowStartMs() < monthStartMs || w.windowStartMs() >= windowStartMs) {
                return;
            }
            for (int i = 0; i < fresh.size(); i++) {
                TeamWindow.Attributed a = w.attributed(fresh.get(i).key(), fresh.get(i).value());
                if (a != null) {
                    monthSums[i].add(a.cost);
                    if (w.windowStartMs() >= dayStartMs) {
                        daySums[i].add(a.cost);
                    }
                }
            }
        }

        /** Puts the budgets' day and month, with what was added, in the team's state. */
        public void finish(TeamState state) {
            for (int i = 0; i < fresh.size(); i++) {
                state.labelDay.put(fresh.get(i).label(), startedPeriod(dayPeriod(day), daySums[i]));
                state.labelMonth.put(fresh.get(i).label(), startedPeriod(monthPeriod(YearMonth.from(day)), monthSums[i]));
            }
        }
    }

    private static TeamState.BudgetPeriod startedPeriod(String period, FemtoSum spend) {
        TeamState.BudgetPeriod p = new TeamState.BudgetPeriod();
        p.period = period;
        p.spendUsd = spend.usd();
        return p;
    }

    private static String dayPeriod(LocalDate day) {
        return "day:" + day;
    }

    private static String monthPeriod(YearMonth month) {
        return "month:" + month;
    }

    private void budgetPeriods(String team, String label, TeamState.BudgetPeriod dayState, TeamState.BudgetPeriod monthState,
                               LocalDate day, BigDecimal spend, BigDecimal dailyUsd, BigDecimal monthlyUsd, long windowEndMs,
                               List<AlertTransition> transitions) {
        YearMonth month = YearMonth.from(day);
        long dayStart = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long monthStart = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long monthEnd = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        budgetPeriod(team, label, dayState, dayPeriod(day), "daily", spend, dailyUsd, dayStart, dayStart + 86_400_000L,
                windowEndMs, transitions);
        budgetPeriod(team, label, monthState, monthPeriod(month), "monthly", spend, monthlyUsd, monthStart, monthEnd,
                windowEndMs, transitions);
    }

    /** @param labelBudget null for the team's own budget, else the label ("customer=acme") whose API spend is budgeted */
    private void budgetPeriod(String team, String labelBudget, TeamState.BudgetPeriod p, String period, String label, BigDecimal spend,
                              BigDecimal budgetUsd, long periodStart, long periodEnd, long windowEndMs,
                              List<AlertTransition> transitions) {
        String who = labelBudget == null ? team : team + "'s " + labelBudget;
        String subject = labelBudget == null ? period : labelBudget + " " + period;
        if (!period.equals(p.period)) {
            p.period = period;
            p.spendUsd = BigDecimal.ZERO;
            p.warned = p.exceeded = p.forecast = false;
        }
        p.spendUsd = p.spendUsd.add(spend);
        if (budgetUsd == null || budgetUsd.signum() <= 0) {
            return;
        }
        BigDecimal used = p.spendUsd.divide(budgetUsd, MathContext.DECIMAL64);
        String pct = used.multiply(BigDecimal.valueOf(100)).setScale(0, RoundingMode.DOWN).toPlainString();
        String amounts = UsdFormat.usd(p.spendUsd) + " of " + UsdFormat.usd(budgetUsd);
        if (!p.exceeded && used.compareTo(BigDecimal.ONE) >= 0) {
            p.exceeded = true;
            p.warned = true;
            transitions.add(budgetTransition(team, subject, period, labelBudget, "100%", windowEndMs, budgetUsd, p.spendUsd,
                    String.format("%s has spent %s%% of its %s budget (%s)", who, pct, label, amounts)));
        } else if (!p.warned && used.compareTo(BigDecimal.valueOf(settings.budgetWarnFraction())) >= 0) {
            p.warned = true;
            transitions.add(budgetTransition(team, subject, period, labelBudget, Math.round(settings.budgetWarnFraction() * 100) + "%",
                    windowEndMs, budgetUsd, p.spendUsd,
                    String.format("%s has spent %s%% of its %s budget (%s)", who, pct, label, amounts)));
        }
        double elapsed = (double) (windowEndMs - periodStart) / (periodEnd - periodStart);
        if (!p.forecast && !p.exceeded && elapsed >= settings.forecastMinElapsed()) {
            // linear forecast: spend so far / elapsed fraction of the period
            BigDecimal forecast = p.spendUsd.divide(BigDecimal.valueOf(elapsed), MathContext.DECIMAL64);
            if (forecast.compareTo(budgetUsd) > 0) {
                p.forecast = true;
                transitions.add(budgetTransition(team, subject, period, labelBudget, "forecast", windowEndMs, budgetUsd, p.spendUsd,
                        String.format("%s is on track to spend %s against its %s budget of %s (%s so far)", who,
                                UsdFormat.usd(forecast), label, UsdFormat.usd(budgetUsd), UsdFormat.usd(p.spendUsd))));
            }
        }
    }

    private static AlertTransition budgetTransition(String team, String subject, String period, String labelBudget, String threshold,
                                                    long windowEndMs, BigDecimal budgetUsd, BigDecimal spendUsd, String summary) {
        Map<String, String> attributes = labelBudget == null ? Map.of("period", period, "threshold", threshold)
                : Map.of("period", period, "threshold", threshold, "label", labelBudget);
        return new AlertTransition(team, AlertType.BUDGET, subject + " " + threshold, AlertTransition.FIRING, windowEndMs,
                null, null, null, null, null, Money.usdNanos(budgetUsd), Money.usdNanos(spendUsd), summary, attributes);
    }
}
