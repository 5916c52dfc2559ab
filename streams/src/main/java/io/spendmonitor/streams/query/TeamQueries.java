package io.spendmonitor.streams.query;

import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.streams.cost.AlertType;
import io.spendmonitor.streams.cost.AlertTransition;
import io.spendmonitor.streams.cost.BreakEven;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
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

    public TeamQueries(Supplier<KafkaStreams> streams, long windowSizeMs, RecentAlerts recentAlerts) {
        this.streams = streams;
        this.windowSizeMs = windowSizeMs;
        this.recentAlerts = recentAlerts;
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

    private Optional<TeamBudget> budget(String team) {
        ReadOnlyKeyValueStore<String, TeamBudget> budgets = store(SpendTopology.BUDGET_STORE, ks -> ks.store(
                StoreQueryParameters.fromNameAndType(SpendTopology.BUDGET_STORE, QueryableStoreTypes.keyValueStore())));
        return Optional.ofNullable(budgets.get(team));
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
                s.lastActivityMs == 0 ? null : Instant.ofEpochMilli(s.lastActivityMs).toString());
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
            return Optional.of(new ApiAnswers.TeamDetail(team, window, null, List.of(), List.of(), null, null));
        }
        ApiAnswers.TotalsView totals = new ApiAnswers.TotalsView(
                usd(s.modelTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)),
                usd(s.gpuTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)),
                usd(s.gpuTotals.values().stream().map(t -> t.idleCostUsd).reduce(BigDecimal.ZERO, BigDecimal::add)));
        return Optional.of(new ApiAnswers.TeamDetail(team, window, horizon(s),
                s.lastBreakEven.stream().map(TeamQueries::breakEven).toList(), activeAlerts(team, s), budgetOf(team, s), totals));
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

    private static String perHour(java.math.BigInteger femto, long horizonMs) {
        return usd(Money.usdNanos(Money.usd(femto).multiply(BigDecimal.valueOf(3_600_000))
                .divide(BigDecimal.valueOf(horizonMs), 15, java.math.RoundingMode.HALF_EVEN)));
    }

    static ApiAnswers.BreakEvenView breakEven(BreakEven b) {
        boolean api = b.mode() == BreakEven.Mode.API;
        return new ApiAnswers.BreakEvenView(b.profile(), b.gpuModel(), b.mode().name(), b.apiModel(), b.minutes(),
                api ? b.replicas() : null, api ? b.gpus() : null, usd(b.actualUsd()), usd(b.counterfactualUsd()), b.ratio(),
                usd(b.savingsUsdPerHour()));
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
        if (b.isEmpty()) {
            return null;
        }
        return new ApiAnswers.BudgetView(period(s.day, b.get().getDailyUsd()), period(s.month, b.get().getMonthlyUsd()));
    }

    private static ApiAnswers.BudgetPeriodView period(TeamState.BudgetPeriod p, BigDecimal budget) {
        return new ApiAnswers.BudgetPeriodView(p.period, usd(Money.usdNanos(p.spendUsd)), budget == null ? null : usd(Money.usdNanos(budget)));
    }

    /** Exact sums over this team's minute windows that start in [from, to). */
    public ApiAnswers.CostRange localCost(String team, Instant from, Instant to) {
        io.spendmonitor.streams.cost.CostTotals totals = new io.spendmonitor.streams.cost.CostTotals();
        try (WindowStoreIterator<TeamWindow> it = windows().fetch(team, from, to.minusMillis(1))) {
            while (it.hasNext()) {
                totals.add(it.next().value);
            }
        }
        return new ApiAnswers.CostRange(team, from.toString(), to.toString(), totals.windows(), usd(totals.apiUsd()),
                usd(totals.gpuUsd()), usd(totals.busyUsd()), usd(totals.idleUsd()),
                new ApiAnswers.Tokens(totals.inputTokens(), totals.cachedInputTokens(), totals.cacheWriteInputTokens(),
                        totals.outputTokens()), totals.selfhostTokens(), totals.apiCalls());
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
        if (latest == 0) {
            return points;
        }
        Instant from = Instant.ofEpochMilli(latest - minutes * windowSizeMs);
        try (KeyValueIterator<Windowed<String>, TeamWindow> it = windows().fetchAll(from, Instant.ofEpochMilli(latest - 1))) {
            while (it.hasNext()) {
                var kv = it.next();
                TeamWindow w = kv.value;
                points.add(new ApiAnswers.TimelinePoint(kv.key.key(), w.windowStartMs(), usd(Money.usdNanos(w.apiCost())),
                        usd(Money.usdNanos(w.gpuCost())), usd(Money.usdNanos(w.idleCostFemto())), round3(w.idleGpus(windowSizeMs))));
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
            recent.add(new ApiAnswers.RecentAlert(t.alertId(), t.team(), t.type().name(), t.subject(), t.state(),
                    Instant.ofEpochMilli(t.windowEndMs()).toString(), t.summary()));
        }
        return new ApiAnswers.Alerts(active, recent, false);
    }

    /** GPU equivalents are measured doubles: three decimals are all the precision they have. */
    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String usd(BigDecimal amount) {
        return amount == null ? null : Money.usdNanos(amount).toPlainString();
    }
}
