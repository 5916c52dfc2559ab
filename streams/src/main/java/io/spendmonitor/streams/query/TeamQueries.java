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
    public List<Map<String, Object>> localTeams() {
        List<Map<String, Object>> result = new ArrayList<>();
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                var kv = it.next();
                result.add(summary(kv.key, kv.value));
            }
        }
        return result;
    }

    private Map<String, Object> summary(String team, TeamState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", team);
        Map<String, Object> horizon = horizon(s);
        m.put("api_usd_per_hour", horizon.get("api_usd_per_hour"));
        m.put("gpu_usd_per_hour", horizon.get("gpu_usd_per_hour"));
        m.put("idle_gpus", round3(s.lastIdleGpus));
        BreakEven best = null;
        for (BreakEven b : s.lastBreakEven) {
            if (best == null || b.savingsUsdPerHour().compareTo(best.savingsUsdPerHour()) > 0) {
                best = b;
            }
        }
        m.put("break_even", best == null ? null : breakEven(best));
        m.put("alerts", activeAlerts(team, s));
        m.put("last_window_end", s.lastActivityMs == 0 ? null : Instant.ofEpochMilli(s.lastActivityMs).toString());
        return m;
    }

    /** DESIGN.md's team answer, or empty when this instance has no such team. */
    public Optional<Map<String, Object>> localTeam(String team) {
        TeamState s = teamStates().get(team);
        TeamWindow latest = latestWindow(team);
        if (s == null && latest == null) {
            return Optional.empty();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", team);
        m.put("window", latest == null ? null : window(latest, s == null ? 0 : s.lastEvaluatedMs));
        if (s != null) {
            m.put("horizon", horizon(s));
            m.put("break_even", s.lastBreakEven.stream().map(TeamQueries::breakEven).toList());
            m.put("alerts", activeAlerts(team, s));
            m.put("budget", budgetOf(team, s));
            Map<String, Object> totals = new LinkedHashMap<>();
            totals.put("api_cost_usd", usd(s.modelTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)));
            totals.put("gpu_cost_usd", usd(s.gpuTotals.values().stream().map(t -> t.costUsd).reduce(BigDecimal.ZERO, BigDecimal::add)));
            totals.put("idle_cost_usd", usd(s.gpuTotals.values().stream().map(t -> t.idleCostUsd).reduce(BigDecimal.ZERO, BigDecimal::add)));
            m.put("totals", totals);
        } else {
            m.put("horizon", null);
            m.put("break_even", List.of());
            m.put("alerts", List.of());
        }
        return Optional.of(m);
    }

    private TeamWindow latestWindow(String team) {
        ReadOnlyWindowStore<String, TeamWindow> store = windows();
        try (WindowStoreIterator<TeamWindow> it = store.backwardFetch(team, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
            return it.hasNext() ? it.next().value : null;
        }
    }

    private Map<String, Object> window(TeamWindow w, long evaluatedUpTo) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("start", Instant.ofEpochMilli(w.windowStartMs()).toString());
        m.put("end", Instant.ofEpochMilli(w.windowStartMs() + windowSizeMs).toString());
        m.put("final", w.windowStartMs() + windowSizeMs <= evaluatedUpTo);
        m.put("api_cost_usd", usd(Money.usdNanos(w.apiCost())));
        m.put("gpu_cost_usd", usd(Money.usdNanos(w.gpuCost())));
        m.put("idle_cost_usd", usd(Money.usdNanos(w.idleCostFemto())));
        m.put("tokens", tokens(w.inputTokens(), w.cachedInputTokens(), w.cacheWriteInputTokens(), w.outputTokens()));
        m.put("selfhost_tokens", w.selfhostTokens());
        m.put("api_calls", w.apiCalls());
        m.put("unpriced_calls", w.unpricedCalls());
        m.put("idle_gpus", round3(w.idleGpus(windowSizeMs)));
        return m;
    }

    private Map<String, Object> horizon(TeamState s) {
        // the horizon's length (states written before it was kept in ms have the minutes)
        long horizonMs = s.horizonMs > 0 ? s.horizonMs : Math.max(1, s.horizonMinutes) * 60_000L;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("minutes", s.horizonMinutes);
        m.put("api_cost_usd", usd(Money.usdNanos(s.horizonApiCostFemto)));
        m.put("gpu_cost_usd", usd(Money.usdNanos(s.horizonGpuCostFemto)));
        // spend rate over the horizon: cost * 3,600,000 / horizon ms
        m.put("api_usd_per_hour", usd(Money.usdNanos(Money.usd(s.horizonApiCostFemto).multiply(BigDecimal.valueOf(3_600_000))
                .divide(BigDecimal.valueOf(horizonMs), 15, java.math.RoundingMode.HALF_EVEN))));
        m.put("gpu_usd_per_hour", usd(Money.usdNanos(Money.usd(s.horizonGpuCostFemto).multiply(BigDecimal.valueOf(3_600_000))
                .divide(BigDecimal.valueOf(horizonMs), 15, java.math.RoundingMode.HALF_EVEN))));
        return m;
    }

    static Map<String, Object> breakEven(BreakEven b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("profile", b.profile());
        m.put("gpu_model", b.gpuModel());
        m.put("mode", b.mode().name());
        m.put("api_model", b.apiModel());
        m.put("minutes", b.minutes());
        if (b.mode() == BreakEven.Mode.API) {
            m.put("replicas", b.replicas());
            m.put("gpus", b.gpus());
        }
        m.put("actual_usd", usd(b.actualUsd()));
        m.put("counterfactual_usd", usd(b.counterfactualUsd()));
        m.put("ratio", b.ratio());
        m.put("savings_usd_per_hour", usd(b.savingsUsdPerHour()));
        return m;
    }

    private static List<Map<String, Object>> activeAlerts(String team, TeamState s) {
        List<Map<String, Object>> alerts = new ArrayList<>();
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
        return alerts;
    }

    private static Map<String, Object> alert(String team, AlertType type, String subject, long sinceMs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", team);
        m.put("type", type.name());
        m.put("subject", subject);
        m.put("state", AlertTransition.FIRING);
        m.put("since", Instant.ofEpochMilli(sinceMs).toString());
        return m;
    }

    private Map<String, Object> budgetOf(String team, TeamState s) {
        Optional<TeamBudget> b = budget(team);
        if (b.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("day", period(s.day, b.get().getDailyUsd()));
        m.put("month", period(s.month, b.get().getMonthlyUsd()));
        return m;
    }

    private static Map<String, Object> period(TeamState.BudgetPeriod p, BigDecimal budget) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("period", p.period);
        m.put("spend_usd", usd(Money.usdNanos(p.spendUsd)));
        m.put("budget_usd", budget == null ? null : usd(Money.usdNanos(budget)));
        return m;
    }

    /** Exact sums over this team's minute windows that start in [from, to). */
    public Map<String, Object> localCost(String team, Instant from, Instant to) {
        io.spendmonitor.streams.cost.CostTotals totals = new io.spendmonitor.streams.cost.CostTotals();
        try (WindowStoreIterator<TeamWindow> it = windows().fetch(team, from, to.minusMillis(1))) {
            while (it.hasNext()) {
                totals.add(it.next().value);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", team);
        m.put("from", from.toString());
        m.put("to", to.toString());
        m.put("windows", totals.windows());
        m.put("api_cost_usd", usd(totals.apiUsd()));
        m.put("gpu_cost_usd", usd(totals.gpuUsd()));
        m.put("busy_cost_usd", usd(totals.busyUsd()));
        m.put("idle_cost_usd", usd(totals.idleUsd()));
        m.put("tokens", tokens(totals.inputTokens(), totals.cachedInputTokens(), totals.cacheWriteInputTokens(),
                totals.outputTokens()));
        m.put("selfhost_tokens", totals.selfhostTokens());
        m.put("api_calls", totals.apiCalls());
        return m;
    }

    /** Per-minute spend of every local team in the last {@code minutes} minutes of event time. */
    public List<Map<String, Object>> localTimeline(int minutes) {
        long latest = 0;
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                latest = Math.max(latest, it.next().value.lastActivityMs);
            }
        }
        List<Map<String, Object>> points = new ArrayList<>();
        if (latest == 0) {
            return points;
        }
        Instant from = Instant.ofEpochMilli(latest - minutes * windowSizeMs);
        try (KeyValueIterator<Windowed<String>, TeamWindow> it = windows().fetchAll(from, Instant.ofEpochMilli(latest - 1))) {
            while (it.hasNext()) {
                var kv = it.next();
                TeamWindow w = kv.value;
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("team", kv.key.key());
                p.put("start", w.windowStartMs());
                p.put("api_cost_usd", usd(Money.usdNanos(w.apiCost())));
                p.put("gpu_cost_usd", usd(Money.usdNanos(w.gpuCost())));
                p.put("idle_cost_usd", usd(Money.usdNanos(w.idleCostFemto())));
                p.put("idle_gpus", round3(w.idleGpus(windowSizeMs)));
                points.add(p);
            }
        }
        return points;
    }

    /** Alerts firing on this instance's teams, and its recent transitions. */
    public Map<String, Object> localAlerts() {
        List<Map<String, Object>> active = new ArrayList<>();
        try (KeyValueIterator<String, TeamState> it = teamStates().all()) {
            while (it.hasNext()) {
                var kv = it.next();
                active.addAll(activeAlerts(kv.key, kv.value));
            }
        }
        List<Map<String, Object>> recent = new ArrayList<>();
        for (AlertTransition t : recentAlerts.list()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("alert_id", t.alertId());
            m.put("team", t.team());
            m.put("type", t.type().name());
            m.put("subject", t.subject());
            m.put("state", t.state());
            m.put("window_end", Instant.ofEpochMilli(t.windowEndMs()).toString());
            m.put("summary", t.summary());
            recent.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("active", active);
        m.put("recent", recent);
        return m;
    }

    private static Map<String, Object> tokens(long input, long cached, long cacheWrite, long output) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("input", input);
        t.put("cached", cached);
        t.put("cache_write", cacheWrite);
        t.put("output", output);
        return t;
    }

    /** GPU equivalents are measured doubles: three decimals are all the precision they have. */
    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String usd(BigDecimal amount) {
        return amount == null ? null : Money.usdNanos(amount).toPlainString();
    }
}
