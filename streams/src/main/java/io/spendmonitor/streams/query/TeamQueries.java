package io.spendmonitor.streams.query;

import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.streams.cost.AlertType;
import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.BreakEven;
import io.spendmonitor.streams.cost.FemtoSum;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.topology.BreakEvenHistory;
import io.spendmonitor.streams.topology.SpendTopology;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Answers from this instance's state stores (interactive queries), as JSON-ready maps with money
 * as decimal strings. Which instance owns a team is {@link #ownerOf}; the HTTP layer forwards.
 */
public final class TeamQueries {
    private final Supplier<KafkaStreams> streams;
    private final long windowSizeMs;
    private final RecentAlerts recentAlerts;

    private final long repeatsHorizonMs;

    public TeamQueries(Supplier<KafkaStreams> streams, long windowSizeMs, RecentAlerts recentAlerts) {
        this(streams, windowSizeMs, recentAlerts, 3_600_000L);
    }

    public TeamQueries(Supplier<KafkaStreams> streams, long windowSizeMs, RecentAlerts recentAlerts, long repeatsHorizonMs) {
        this.streams = streams;
        this.windowSizeMs = windowSizeMs;
        this.recentAlerts = recentAlerts;
        this.repeatsHorizonMs = repeatsHorizonMs;
    }

    /** The team's repeated prompts over the horizon up to its latest window; null without any. */
    public ApiAnswers.RepeatsView repeats(String team) {
        org.apache.kafka.streams.state.ReadOnlyWindowStore<String, io.spendmonitor.streams.repeats.RepeatWindow> store =
                store(SpendTopology.REPEAT_STORE, ks -> ks.store(StoreQueryParameters.fromNameAndType(
                        SpendTopology.REPEAT_STORE, QueryableStoreTypes.windowStore())));
        // the store keeps only the horizon plus the grace: all of a team's windows are few
        java.util.TreeMap<Long, io.spendmonitor.streams.repeats.RepeatWindow> all = new java.util.TreeMap<>();
        try (WindowStoreIterator<io.spendmonitor.streams.repeats.RepeatWindow> it = store.fetch(team, Instant.EPOCH,
                Instant.ofEpochMilli(Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
        }
        if (all.isEmpty()) {
            return null;
        }
        ReadOnlyKeyValueStore<String, io.spendmonitor.streams.repeats.RepeatTotals> totals = store(SpendTopology.REPEAT_TOTALS_STORE,
                ks -> ks.store(StoreQueryParameters.fromNameAndType(SpendTopology.REPEAT_TOTALS_STORE, QueryableStoreTypes.keyValueStore())));
        return repeatsView(all, totals.get(team), windowSizeMs, repeatsHorizonMs);
    }

    /** Pure: the answer from a team's repeat windows by start (non-empty) and its totals (null: none yet). */
    public static ApiAnswers.RepeatsView repeatsView(java.util.NavigableMap<Long, io.spendmonitor.streams.repeats.RepeatWindow> all,
                                                     io.spendmonitor.streams.repeats.RepeatTotals t, long windowSizeMs, long repeatsHorizonMs) {
        long end = all.lastKey() + windowSizeMs;
        io.spendmonitor.streams.repeats.RepeatMath.Span span = io.spendmonitor.streams.repeats.RepeatMath.span(
                new ArrayList<>(all.tailMap(end - repeatsHorizonMs, true).values()));
        return new ApiAnswers.RepeatsView((int) (repeatsHorizonMs / 60_000), span.calls(), span.distinct(),
                span.calls() == 0 ? null : span.repeatShare(),
                io.spendmonitor.streams.repeats.RepeatMath.usd(span.hashedCostFemto()).toPlainString(),
                io.spendmonitor.streams.repeats.RepeatMath.usd(span.cacheableFemto()).toPlainString(),
                t == null ? "0" : io.spendmonitor.streams.repeats.RepeatMath.usd(t.cacheableFemto()).toPlainString(),
                span.cachedInputTokens(), span.inputTokens(), "hashed_cost_usd x repeat_share; distinct from a HyperLogLog sketch (about 1 %)");
    }

    private KafkaStreams running() {
        KafkaStreams ks = streams.get();
        if (ks == null || ks.state() != KafkaStreams.State.RUNNING) {
            throw new ServiceUnavailableException("the application is " + (ks == null ? "starting" : ks.state().name().toLowerCase())
                    + "; retry shortly");
        }
        return ks;
    }

    /** The instance that owns {@code team}'s state, or empty when it is this one or unknown. */
    public Optional<HostInfo> ownerOf(String team, HostInfo self) {
        KeyQueryMetadata metadata = running().queryMetadataForKey(SpendTopology.TEAM_STATE_STORE, team, Serdes.String().serializer());
        if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw new ServiceUnavailableException("no instance owns team '" + team + "' right now (rebalancing); retry shortly");
        }
        HostInfo owner = metadata.activeHost();
        return owner.equals(self) ? Optional.empty() : Optional.of(owner);
    }

    /** Every other instance's address, for fan-out queries. */
    public List<HostInfo> otherHosts(HostInfo self) {
        List<HostInfo> hosts = new ArrayList<>();
        running().metadataForAllStreamsClients().forEach(m -> {
            if (!m.hostInfo().equals(self) && !hosts.contains(m.hostInfo())) {
                hosts.add(m.hostInfo());
            }
        });
        return hosts;
    }

    private <T> T store(String name, java.util.function.Function<KafkaStreams, T> query) {
        try {
            return query.apply(running());
        } catch (ServiceUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // the exception's text stays out of the answer (it goes to the server's debug log)
            throw new ServiceUnavailableException("store " + name + " is not queryable right now (rebalancing); retry shortly", e);
        }
    }

    private ReadOnlyKeyValueStore<String, TeamState> teamStates() {
        return store(SpendTopology.TEAM_STATE_STORE, ks -> ks.store(StoreQueryParameters.fromNameAndType(
                SpendTopology.TEAM_STATE_STORE, QueryableStoreTypes.keyValueStore())));
    }

    private ReadOnlyWindowStore<String, TeamWindow> windows() {
        return store(SpendTopology.WINDOW_STORE, ks -> ks.store(StoreQueryParameters.fromNameAndType(
                SpendTopology.WINDOW_STORE, QueryableStoreTypes.windowStore())));
    }

    private ReadOnlyKeyValueStore<String, TeamBudget> budgetStore() {
        return store(SpendTopology.BUDGET_STORE, ks -> ks.store(
                StoreQueryParameters.fromNameAndType(SpendTopology.BUDGET_STORE, QueryableStoreTypes.keyValueStore())));
    }

    private Optional<TeamBudget> budget(String team) {
        return Optional.ofNullable(io.spendmonitor.streams.topology.TeamBudgets.own(budgetStore(), team));
    }

    /** A line per team this instance owns. */
    public List<ApiAnswers.TeamLine> localTeams() {
        List<ApiAnswers.TeamLine> result = new ArrayList<>();
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                var kv = it.next();
                result.add(summary(kv.key, kv.value));
            }
        }
        return result;
    }

    private ApiAnswers.TeamLine summary(String team, TeamState s) {
        ApiAnswers.HorizonView horizon = horizon(s);
        BreakEven best = null;
        for (BreakEven b : s.lastBreakEven) {
            if (best == null || b.savingsUsdPerHour().compareTo(best.savingsUsdPerHour()) > 0) {
                best = b;
            }
        }
        return new ApiAnswers.TeamLine(team, horizon.apiUsdPerHour(), horizon.gpuUsdPerHour(), round3(s.lastIdleGpus),
                best == null ? null : breakEven(best), activeAlerts(team, s),
                s.lastActivityMs == 0 ? null : Instant.ofEpochMilli(s.lastActivityMs).toString(), rate(team, s),
                provisional(team, s.lastEvaluatedMs), budgetUsed(team, s));
    }

    /** The spend rate of the team's latest final window (0 $/h when that window had no data); null before any. */
    private ApiAnswers.RateView rate(String team, TeamState s) {
        if (s.lastEvaluatedMs <= 0) {
            return null;
        }
        long start = s.lastEvaluatedMs - windowSizeMs;
        TeamWindow w = windows().fetch(team, start);
        java.math.BigInteger api = w == null ? java.math.BigInteger.ZERO : w.apiCost().value();
        java.math.BigInteger gpu = w == null ? java.math.BigInteger.ZERO : w.gpuCost().value();
        return new ApiAnswers.RateView(Instant.ofEpochMilli(start).toString(), Instant.ofEpochMilli(s.lastEvaluatedMs).toString(),
                true, perHour(api, windowSizeMs), perHour(gpu, windowSizeMs));
    }

    /** Open windows hold at most the grace's worth of minutes; more than this many are not listed. */
    static final int MAX_PROVISIONAL = 16;

    /** The team's windows after the last evaluated one: open, their amounts so far. */
    private List<ApiAnswers.ProvisionalWindow> provisional(String team, long evaluatedUpTo) {
        List<ApiAnswers.ProvisionalWindow> open = new ArrayList<>();
        try (WindowStoreIterator<TeamWindow> it = windows().fetch(team, Instant.ofEpochMilli(Math.max(0, evaluatedUpTo)),
                Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
            while (it.hasNext() && open.size() < MAX_PROVISIONAL) {
                TeamWindow w = it.next().value;
                if (w.windowStartMs() < evaluatedUpTo) {
                    continue;
                }
                open.add(new ApiAnswers.ProvisionalWindow(Instant.ofEpochMilli(w.windowStartMs()).toString(),
                        Instant.ofEpochMilli(w.windowStartMs() + windowSizeMs).toString(), false,
                        usd(Money.usdNanos(w.apiCost())), usd(Money.usdNanos(w.gpuCost()))));
            }
        }
        return open;
    }

    private ApiAnswers.BudgetUsed budgetUsed(String team, TeamState s) {
        Optional<TeamBudget> b = budget(team);
        if (b.isEmpty()) {
            return null;
        }
        return new ApiAnswers.BudgetUsed(share(currentSpend(s.day, s.lastEvaluatedMs), b.get().getDailyUsd()),
                share(currentSpend(s.month, s.lastEvaluatedMs), b.get().getMonthlyUsd()));
    }

    /** spend / budget to four decimals; null without a (positive) budget. */
    static Double share(BigDecimal spend, BigDecimal budget) {
        if (budget == null || budget.signum() <= 0) {
            return null;
        }
        return spend.divide(budget, 4, java.math.RoundingMode.HALF_EVEN).doubleValue();
    }

    /** The period's spend if it is the period of the latest final window, else 0 (a new period has begun). */
    private BigDecimal currentSpend(TeamState.BudgetPeriod p, long evaluatedUpTo) {
        return isCurrent(p, evaluatedUpTo) ? p.spendUsd : BigDecimal.ZERO;
    }

    /** Whether the latest final window lies in the period (the evaluator counts a window in the period of its start). */
    private boolean isCurrent(TeamState.BudgetPeriod p, long evaluatedUpTo) {
        long[] bounds = periodBounds(p.period);
        long latestStart = evaluatedUpTo - windowSizeMs;
        return bounds != null && latestStart >= bounds[0] && latestStart < bounds[1];
    }

    /** [start, end) in epoch ms of a budget period "day:2026-03-02" or "month:2026-03" (UTC); null when unknown. */
    static long[] periodBounds(String period) {
        if (period == null) {
            return null;
        }
        try {
            if (period.startsWith("day:")) {
                java.time.LocalDate day = java.time.LocalDate.parse(period.substring(4));
                return new long[] {day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli(),
                        day.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli()};
            }
            if (period.startsWith("month:")) {
                java.time.YearMonth month = java.time.YearMonth.parse(period.substring(6));
                return new long[] {month.atDay(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli(),
                        month.plusMonths(1).atDay(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli()};
            }
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
        return null;
    }

    /**
     * The period's spend extrapolated linearly to its end, in event time: spend so far * period
     * length / (end of the latest final window - period start), to the nano-dollar. Null when the
     * period is not the current one or none of it has passed.
     */
    static BigDecimal forecast(BigDecimal spend, String period, long evaluatedUpTo) {
        long[] bounds = periodBounds(period);
        if (bounds == null || evaluatedUpTo <= bounds[0] || evaluatedUpTo > bounds[1]) {
            return null;
        }
        return spend.multiply(BigDecimal.valueOf(bounds[1] - bounds[0]))
                .divide(BigDecimal.valueOf(evaluatedUpTo - bounds[0]), 9, java.math.RoundingMode.HALF_EVEN);
    }

    /** DESIGN.md's team answer, or empty when this instance has no such team. */
    public Optional<ApiAnswers.TeamDetail> localTeam(String team) {
        TeamState s = teamStates().get(team);
        TeamWindow latest = latestWindow(team);
        if (s == null && latest == null) {
            return Optional.empty();
        }
        ApiAnswers.WindowView window = latest == null ? null : window(latest, s == null ? 0 : s.lastEvaluatedMs);
        if (s == null) {
            return Optional.of(new ApiAnswers.TeamDetail(team, window, null, List.of(), List.of(), null, null,
                    provisional(team, 0), null, repeats(team)));
        }
        ApiAnswers.TotalsView totals = new ApiAnswers.TotalsView(
                usd(s.modelTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)),
                usd(s.gpuTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)),
                usd(s.gpuTotals.values().stream().map(t -> t.idleCostUsd).reduce(BigDecimal.ZERO, BigDecimal::add)));
        return Optional.of(new ApiAnswers.TeamDetail(team, window, horizon(s),
                s.lastBreakEven.stream().map(TeamQueries::breakEven).toList(), activeAlerts(team, s), budgetOf(team, s), totals,
                provisional(team, s.lastEvaluatedMs), breakdown(team, s.lastEvaluatedMs, BREAKDOWN_MINUTES), repeats(team)));
    }

    /** The span of the team page's spend by model and deployment: the last 15 final minutes. */
    static final int BREAKDOWN_MINUTES = 15;

    /** Spend by model and by deployment over the final windows in [to - minutes, to); null before any final window. */
    private ApiAnswers.Breakdown breakdown(String team, long to, int minutes) {
        if (to <= 0) {
            return null;
        }
        long from = to - minutes * windowSizeMs;
        List<TeamWindow> span = new ArrayList<>();
        try (WindowStoreIterator<TeamWindow> it = windows().fetch(team, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to - 1))) {
            it.forEachRemaining(kv -> span.add(kv.value));
        }
        return breakdown(span, from, to, minutes);
    }

    /** One model's sums over a span of windows. */
    private static final class ModelSum {
        final String provider;
        final String model;
        final FemtoSum cost = new FemtoSum();
        long calls;
        long tokens;

        ModelSum(String provider, String model) {
            this.provider = provider;
            this.model = model;
        }
    }

    /** One deployment's sums over a span of windows. */
    private static final class DeploymentSum {
        String model;
        String gpuModel;
        final FemtoSum gpuCost = new FemtoSum();
        final FemtoSum busyCost = new FemtoSum();
        double gpuSeconds;
        double busyGpuSeconds;
        long tokens;
    }

    /** Pure: sums the windows by model (API and self-hosted) and by deployment; rates over the whole span. */
    static ApiAnswers.Breakdown breakdown(List<TeamWindow> span, long from, long to, int minutes) {
        long spanMs = to - from;
        Map<String, ModelSum> models = new java.util.TreeMap<>();
        Map<String, DeploymentSum> deployments = new java.util.TreeMap<>();
        Map<String, Map<String, TeamWindow.Attributed>> labels = new java.util.TreeMap<>();
        for (TeamWindow w : span) {
            w.attribution().forEach((key, values) -> values.forEach((value, a) -> {
                TeamWindow.Attributed sum = labels.computeIfAbsent(key, k -> new java.util.TreeMap<>())
                        .computeIfAbsent(value, v -> new TeamWindow.Attributed());
                sum.cost.add(a.cost);
                sum.calls += a.calls;
                sum.tokens += a.tokens;
            }));
            w.apiModels().forEach((key, m) -> addModel(models, key, m));
            w.selfhostModels().forEach((key, m) -> addModel(models, io.spendmonitor.schemas.Providers.SELF_HOSTED + "/" + key, m));
            w.deployments().forEach((name, d) -> {
                DeploymentSum sum = deployments.computeIfAbsent(name, k -> new DeploymentSum());
                sum.model = d.model != null ? d.model : sum.model;
                sum.gpuModel = d.gpuModel != null ? d.gpuModel : sum.gpuModel;
                sum.gpuCost.add(d.gpuCost);
                sum.busyCost.add(d.busyCost);
                sum.gpuSeconds += d.gpuSeconds;
                sum.busyGpuSeconds += d.busyGpuSeconds;
                sum.tokens += d.tokens;
            });
        }
        List<ApiAnswers.ModelSpend> modelSpend = new ArrayList<>();
        models.values().forEach(m -> modelSpend.add(new ApiAnswers.ModelSpend(m.provider, m.model, usd(Money.usdNanos(m.cost)),
                perHour(m.cost.value(), spanMs), m.calls, m.tokens)));
        List<ApiAnswers.DeploymentSpend> deploymentSpend = new ArrayList<>();
        deployments.forEach((name, d) -> {
            java.math.BigInteger gpu = d.gpuCost.value();
            java.math.BigInteger idle = d.gpuCost.minus(d.busyCost);
            double utilization = d.gpuSeconds == 0 ? 0 : d.busyGpuSeconds / d.gpuSeconds;
            // idle share by cost where the GPUs are priced, by time where they are not
            double idleShare = gpu.signum() > 0
                    ? new BigDecimal(idle).divide(new BigDecimal(gpu), 6, java.math.RoundingMode.HALF_EVEN).doubleValue()
                    : d.gpuSeconds == 0 ? 0 : 1 - utilization;
            deploymentSpend.add(new ApiAnswers.DeploymentSpend(name, d.model, d.gpuModel, usd(Money.usdNanos(gpu)),
                    perHour(gpu, spanMs), usd(Money.usdNanos(idle)), round3(d.gpuSeconds), round3(utilization), round3(idleShare),
                    d.tokens));
        });
        List<ApiAnswers.LabelSpend> attribution = new ArrayList<>();
        labels.forEach((key, values) -> values.entrySet().stream()
                .sorted(java.util.Comparator.comparing((Map.Entry<String, TeamWindow.Attributed> e) -> e.getValue().cost.value())
                        .reversed().thenComparing(Map.Entry::getKey))
                .limit(TOP_LABEL_VALUES)
                .forEach(e -> attribution.add(new ApiAnswers.LabelSpend(key, e.getKey(), usd(Money.usdNanos(e.getValue().cost)),
                        perHour(e.getValue().cost.value(), spanMs), e.getValue().calls, e.getValue().tokens))));
        return new ApiAnswers.Breakdown(Instant.ofEpochMilli(from).toString(), Instant.ofEpochMilli(to).toString(), minutes,
                modelSpend, deploymentSpend, attribution);
    }

    /** Values of each attribution key listed in a team's breakdown (by cost, highest first). */
    static final int TOP_LABEL_VALUES = 10;

    private static void addModel(Map<String, ModelSum> models, String key, TeamWindow.ModelStats m) {
        ModelSum sum = models.computeIfAbsent(key, k -> new ModelSum(m.provider, m.model));
        sum.cost.add(m.cost);
        sum.calls += m.calls;
        sum.tokens += m.input + m.output;
    }

    /** The team's break-even results of its evaluations in the last {@code minutes} evaluated minutes, per profile. */
    public ApiAnswers.BreakEvenHistoryView localBreakEven(String team, int minutes) {
        TeamState s = teamStates().get(team);
        if (s == null || s.lastEvaluatedMs <= 0) {
            return new ApiAnswers.BreakEvenHistoryView(team, null, null, List.of());
        }
        long to = s.lastEvaluatedMs;
        long from = to - minutes * windowSizeMs;
        ReadOnlyWindowStore<String, List<BreakEvenHistory.Point>> store = store(SpendTopology.BREAKEVEN_STORE, ks -> ks.store(
                StoreQueryParameters.fromNameAndType(SpendTopology.BREAKEVEN_STORE, QueryableStoreTypes.windowStore())));
        Map<String, ApiAnswers.ProfileHistory> byProfile = new java.util.TreeMap<>();
        try (WindowStoreIterator<List<BreakEvenHistory.Point>> it = store.fetch(team, Instant.ofEpochMilli(from),
                Instant.ofEpochMilli(to - 1))) {
            while (it.hasNext()) {
                var kv = it.next();
                long end = kv.key + windowSizeMs;
                for (BreakEvenHistory.Point p : kv.value) {
                    byProfile.computeIfAbsent(p.profile() + " " + p.mode(), k -> new ApiAnswers.ProfileHistory(p.profile(), p.mode(),
                            p.apiModel(), new ArrayList<>())).points().add(new ApiAnswers.RatioPoint(end, p.ratio(),
                            usd(p.savingsUsdPerHour())));
                }
            }
        }
        return new ApiAnswers.BreakEvenHistoryView(team, Instant.ofEpochMilli(from).toString(), Instant.ofEpochMilli(to).toString(),
                new ArrayList<>(byProfile.values()));
    }

    /** What fires for the team now (when this instance owns it) and its transitions this instance emitted. */
    public ApiAnswers.TeamAlerts localTeamAlerts(String team) {
        TeamState s = teamStates().get(team);
        List<ApiAnswers.RecentAlert> recent = new ArrayList<>();
        for (AlertTransition t : recentAlerts.list()) {
            if (t.team().equals(team)) {
                recent.add(recent(t));
            }
        }
        return new ApiAnswers.TeamAlerts(team, s == null ? List.of() : activeAlerts(team, s), recent, false);
    }

    private static ApiAnswers.RecentAlert recent(AlertTransition t) {
        return new ApiAnswers.RecentAlert(t.alertId(), t.team(), t.type().name(), t.subject(), t.state(),
                Instant.ofEpochMilli(t.windowEndMs()).toString(), t.summary());
    }

    private TeamWindow latestWindow(String team) {
        ReadOnlyWindowStore<String, TeamWindow> store = windows();
        try (WindowStoreIterator<TeamWindow> it = store.backwardFetch(team, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
            return it.hasNext() ? it.next().value : null;
        }
    }

    private ApiAnswers.WindowView window(TeamWindow w, long evaluatedUpTo) {
        return new ApiAnswers.WindowView(Instant.ofEpochMilli(w.windowStartMs()).toString(),
                Instant.ofEpochMilli(w.windowStartMs() + windowSizeMs).toString(), w.windowStartMs() + windowSizeMs <= evaluatedUpTo,
                usd(Money.usdNanos(w.apiCost())), usd(Money.usdNanos(w.gpuCost())), usd(Money.usdNanos(w.idleCostFemto())),
                new ApiAnswers.Tokens(w.inputTokens(), w.cachedInputTokens(), w.cacheWriteInputTokens(), w.outputTokens()),
                w.selfhostTokens(), w.apiCalls(), w.unpricedCalls(), round3(w.idleGpus(windowSizeMs)));
    }

    private ApiAnswers.HorizonView horizon(TeamState s) {
        // the horizon's length (states written before it was kept in ms have the minutes)
        long horizonMs = s.horizonMs > 0 ? s.horizonMs : Math.max(1, s.horizonMinutes) * 60_000L;
        // spend rate over the horizon: cost * 3,600,000 / horizon ms
        return new ApiAnswers.HorizonView(s.horizonMinutes, usd(Money.usdNanos(s.horizonApiCostFemto)),
                usd(Money.usdNanos(s.horizonGpuCostFemto)), perHour(s.horizonApiCostFemto, horizonMs),
                perHour(s.horizonGpuCostFemto, horizonMs));
    }

    static String perHour(java.math.BigInteger femto, long horizonMs) {
        return usd(Money.usdNanos(Money.usd(femto).multiply(BigDecimal.valueOf(3_600_000))
                .divide(BigDecimal.valueOf(horizonMs), 15, java.math.RoundingMode.HALF_EVEN)));
    }

    static ApiAnswers.BreakEvenView breakEven(BreakEven b) {
        boolean api = b.mode() == BreakEven.Mode.API;
        return new ApiAnswers.BreakEvenView(b.profile(), b.gpuModel(), b.mode().name(), b.apiModel(), b.minutes(),
                api ? b.replicas() : null, api ? b.gpus() : null, usd(b.actualUsd()), usd(b.counterfactualUsd()), b.ratio(),
                usd(b.savingsUsdPerHour()), throughput(b.throughput()));
    }

    static ApiAnswers.ThroughputView throughput(BreakEven.Throughput t) {
        if (t == null) {
            return null;
        }
        java.math.MathContext three = java.math.MathContext.DECIMAL64;
        return new ApiAnswers.ThroughputView(t.declaredTokensPerSecondPerReplica(),
                t.measuredTokensPerSecondPerReplica() == null ? null
                        : t.measuredTokensPerSecondPerReplica().round(three).setScale(3, java.math.RoundingMode.HALF_EVEN),
                t.measuredTokensPerBusyGpuSecond() == null ? null
                        : t.measuredTokensPerBusyGpuSecond().round(three).setScale(3, java.math.RoundingMode.HALF_EVEN),
                t.evidenceSeconds() / 60.0, t.requiredSeconds() / 60.0, t.used().name().toLowerCase(java.util.Locale.ROOT),
                t.deployments(), t.prefixCacheHitRate(), byDeployment(t.byDeployment(), three));
    }

    private static java.util.Map<String, java.math.BigDecimal> byDeployment(java.util.Map<String, java.math.BigDecimal> measured,
                                                                          java.math.MathContext precision) {
        java.util.Map<String, java.math.BigDecimal> out = new java.util.TreeMap<>();
        measured.forEach((d, v) -> out.put(d, v.round(precision).setScale(3, java.math.RoundingMode.HALF_EVEN)));
        return out;
    }

    private static List<ApiAnswers.ActiveAlert> activeAlerts(String team, TeamState s) {
        List<ApiAnswers.ActiveAlert> alerts = new ArrayList<>();
        s.breakEven.forEach((key, h) -> {
            if (h.firing) {
                io.spendmonitor.streams.cost.BreakEvenKey k = io.spendmonitor.streams.cost.BreakEvenKey.parse(key);
                alerts.add(alert(team, k.alertType(), k.subject(), h.sinceMs));
            }
        });
        s.idle.forEach((deployment, i) -> {
            if (i.hysteresis.firing) {
                alerts.add(alert(team, AlertType.IDLE_CAPACITY, deployment, i.hysteresis.sinceMs));
            }
        });
        if (s.spike.firing) {
            alerts.add(alert(team, AlertType.SPEND_SPIKE, "api-cost", s.spike.sinceMs));
        }
        return alerts;
    }

    private static ApiAnswers.ActiveAlert alert(String team, AlertType type, String subject, long sinceMs) {
        return new ApiAnswers.ActiveAlert(team, type.name(), subject, AlertTransition.FIRING, Instant.ofEpochMilli(sinceMs).toString());
    }

    private ApiAnswers.BudgetView budgetOf(String team, TeamState s) {
        Optional<TeamBudget> b = budget(team);
        List<ApiAnswers.LabelBudgetView> labels = new ArrayList<>();
        io.spendmonitor.streams.topology.TeamBudgets.labels(budgetStore(), team).forEach((label, budget) -> labels.add(new ApiAnswers.LabelBudgetView(label,
                period(s.labelDay.getOrDefault(label, new TeamState.BudgetPeriod()), budget.getDailyUsd(), s.lastEvaluatedMs),
                period(s.labelMonth.getOrDefault(label, new TeamState.BudgetPeriod()), budget.getMonthlyUsd(), s.lastEvaluatedMs))));
        if (b.isEmpty() && labels.isEmpty()) {
            return null;
        }
        return new ApiAnswers.BudgetView(b.map(t -> period(s.day, t.getDailyUsd(), s.lastEvaluatedMs)).orElse(null),
                b.map(t -> period(s.month, t.getMonthlyUsd(), s.lastEvaluatedMs)).orElse(null), labels);
    }


    private ApiAnswers.BudgetPeriodView period(TeamState.BudgetPeriod p, BigDecimal budget, long evaluatedUpTo) {
        boolean current = isCurrent(p, evaluatedUpTo);
        BigDecimal spend = current ? p.spendUsd : BigDecimal.ZERO;
        return new ApiAnswers.BudgetPeriodView(p.period, usd(Money.usdNanos(p.spendUsd)), budget == null ? null : usd(Money.usdNanos(budget)),
                share(spend, budget), current ? usd(forecast(p.spendUsd, p.period, evaluatedUpTo)) : null);
    }

    /** Exact sums over this team's minute windows that start in [from, to). */
    public ApiAnswers.CostRange localCost(String team, Instant from, Instant to) {
        return localCost(team, from, to, null);
    }

    /** Exact sums over this team's minute windows that start in [from, to); with {@code by}, also per value of that label. */
    public ApiAnswers.CostRange localCost(String team, Instant from, Instant to, String by) {
        io.spendmonitor.streams.cost.CostTotals totals = new io.spendmonitor.streams.cost.CostTotals();
        Map<String, Object[]> byValue = new java.util.HashMap<>(); // FemtoSum cost, long[] {calls, tokens}
        try (WindowStoreIterator<TeamWindow> it = windows().fetch(team, from, to.minusMillis(1))) {
            while (it.hasNext()) {
                TeamWindow w = it.next().value;
                totals.add(w);
                if (by != null) {
                    w.attribution().getOrDefault(by, Map.of()).forEach((value, a) -> {
                        Object[] sums = byValue.computeIfAbsent(value, v -> new Object[] {new io.spendmonitor.streams.cost.FemtoSum(), new long[2]});
                        ((io.spendmonitor.streams.cost.FemtoSum) sums[0]).add(a.cost);
                        long[] counts = (long[]) sums[1];
                        counts[0] = Math.addExact(counts[0], a.calls);
                        counts[1] = Math.addExact(counts[1], a.tokens);
                    });
                }
            }
        }
        ApiAnswers.AttributedCosts attributed = null;
        if (by != null) {
            List<Map.Entry<String, Object[]>> sorted = new ArrayList<>(byValue.entrySet());
            sorted.sort((a, b) -> {
                int c = ((io.spendmonitor.streams.cost.FemtoSum) b.getValue()[0]).value()
                        .compareTo(((io.spendmonitor.streams.cost.FemtoSum) a.getValue()[0]).value());
                return c != 0 ? c : a.getKey().compareTo(b.getKey());
            });
            List<ApiAnswers.AttributedCost> values = new ArrayList<>();
            for (Map.Entry<String, Object[]> e : sorted) {
                long[] counts = (long[]) e.getValue()[1];
                values.add(new ApiAnswers.AttributedCost(e.getKey(),
                        usd(Money.usdNanos((io.spendmonitor.streams.cost.FemtoSum) e.getValue()[0])), counts[0], counts[1]));
            }
            attributed = new ApiAnswers.AttributedCosts(by, values);
        }
        return new ApiAnswers.CostRange(team, from.toString(), to.toString(), totals.windows(), usd(totals.apiUsd()),
                usd(totals.gpuUsd()), usd(totals.busyUsd()), usd(totals.idleUsd()),
                new ApiAnswers.Tokens(totals.inputTokens(), totals.cachedInputTokens(), totals.cacheWriteInputTokens(),
                        totals.outputTokens()), totals.selfhostTokens(), totals.apiCalls(), attributed);
    }


    /** Per-minute spend of every local team in the last {@code minutes} minutes of event time. */
    public List<ApiAnswers.TimelinePoint> localTimeline(int minutes) {
        long latest = 0;
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                latest = Math.max(latest, it.next().value.lastActivityMs);
            }
        }
        List<ApiAnswers.TimelinePoint> points = new ArrayList<>();
        Map<String, Long> evaluatedUpTo = new java.util.HashMap<>();
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                var kv = it.next();
                evaluatedUpTo.put(kv.key, kv.value.lastEvaluatedMs);
            }
        }
        if (latest == 0) {
            return points;
        }
        Instant from = Instant.ofEpochMilli(latest - minutes * windowSizeMs);
        try (KeyValueIterator<Windowed<String>, TeamWindow> it = windows().fetchAll(from, Instant.ofEpochMilli(latest - 1))) {
            while (it.hasNext()) {
                var kv = it.next();
                TeamWindow w = kv.value;
                points.add(new ApiAnswers.TimelinePoint(kv.key.key(), w.windowStartMs(), usd(Money.usdNanos(w.apiCost())),
                        usd(Money.usdNanos(w.gpuCost())), usd(Money.usdNanos(w.idleCostFemto())), round3(w.idleGpus(windowSizeMs)),
                        w.windowStartMs() + windowSizeMs <= evaluatedUpTo.getOrDefault(kv.key.key(), 0L)));
            }
        }
        return points;
    }

    /** Alerts firing on this instance's teams, and its recent transitions. */
    public ApiAnswers.Alerts localAlerts() {
        List<ApiAnswers.ActiveAlert> active = new ArrayList<>();
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                var kv = it.next();
                active.addAll(activeAlerts(kv.key, kv.value));
            }
        }
        List<ApiAnswers.RecentAlert> recent = new ArrayList<>();
        for (AlertTransition t : recentAlerts.list()) {
            recent.add(recent(t));
        }
        return new ApiAnswers.Alerts(active, recent, false);
    }

    /** GPU equivalents are measured doubles: three decimals are all the precision they have. */
    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    static String usd(BigDecimal amount) {
        return amount == null ? null : Money.usdNanos(amount).toPlainString();
    }
}
