package io.spendmonitor.streams.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.streams.cost.AlertType;
import io.spendmonitor.streams.cost.BreakEven;
import io.spendmonitor.streams.cost.LiveSpend;
import io.spendmonitor.streams.topology.CommittedSpend;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.topology.SpendListener;
import io.spendmonitor.streams.topology.SpendTopology;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The spend metrics of DESIGN.md. The money and token series are read, at scrape time, from the
 * team state this instance owns (the lifetime totals in {@link TeamState}): they move with a
 * team's partition, so an instance that loses a team stops exporting it, the new owner exports the
 * same totals, and the sum over instances is exact. Rejections are counted as they happen.
 * Cardinality is capped: teams past {@code maxTeams} (and models past {@code maxModels} a team)
 * are folded into {@code other}, and the folding is counted.
 */
public final class SpendMetrics implements SpendListener, MultiCollector {
    public static final String MAX_TEAMS = "spend.metrics.max-teams";
    public static final String MAX_MODELS = "spend.metrics.max-models";
    static final String OTHER = "other";

    private final PrometheusMeterRegistry registry;
    private final Supplier<KafkaStreams> streams;
    private final CommittedSpend committed;
    private final int maxTeams;
    private final int maxModels;
    private final Counter folded;

    public SpendMetrics(PrometheusMeterRegistry registry, Supplier<KafkaStreams> streams, CommittedSpend committed, int maxTeams,
                        int maxModels) {
        this.registry = registry;
        this.streams = streams;
        this.committed = committed;
        this.maxTeams = maxTeams;
        this.maxModels = maxModels;
        this.folded = Counter.builder("spend.metrics.folded.series")
                .description("Scrapes that folded teams or models past the cardinality cap into 'other'").register(registry);
        registry.getPrometheusRegistry().register(this);
    }

    @Override
    public void rejected(String reason, String topic) {
        registry.counter("spend.events.rejected", "reason", reason).increment();
    }

    @Override
    public void duplicate(String team) {
        registry.counter("spend.events.duplicate").increment();
    }

    /** spend_evaluations_failed_total: team evaluations that threw (the team's state was left as before). */
    @Override
    public void evaluationFailed(String team) {
        registry.counter("spend.evaluations.failed").increment();
    }

    /** spend_catalog_entries_rejected_total: price-catalog entries refused (they cannot be evaluated). */
    @Override
    public void catalogEntryRejected(String key, String reason) {
        registry.counter("spend.catalog.entries.rejected").increment();
    }

    @Override
    public MetricSnapshots collect() {
        Series apiCost = new Series();
        Series tokens = new Series();
        Series gpuCost = new Series();
        Series gpuIdleCost = new Series();
        Series utilization = new Series();
        Series idleGpus = new Series();
        Series ratio = new Series();
        Series savings = new Series();
        Series alertActive = new Series();
        Series budgetUsed = new Series();
        Series attributed = new Series();
        Series capacity = new Series();
        Series labelBudgetUsed = new Series();
        Series capacityMeasured = new Series();
        Series capacityEvidence = new Series();
        Series prefixHits = new Series();

        List<Map.Entry<String, TeamState>> teams = localTeams();
        Map<String, LiveSpend> live = new java.util.TreeMap<>(committed.view());
        Map<String, TeamBudget> budgets = budgets();
        java.util.Set<String> named = namedTeams(live, teams);
        boolean foldedAny = false;
        // every label that comes from data is bounded per team (the folded teams share one bound)
        Map<String, LabelFold> folds = new java.util.HashMap<>();
        // the money and token counters: final windows plus open ones, as of the last commit
        for (Map.Entry<String, LiveSpend> entry : live.entrySet()) {
            String team = named.contains(entry.getKey()) ? entry.getKey() : OTHER;
            foldedAny |= OTHER.equals(team);
            LabelFold fold = folds.computeIfAbsent(team, t -> new LabelFold(maxModels));
            for (LiveSpend.ModelLine m : entry.getValue().models()) {
                String model = fold.of("model", m.model());
                String provider = fold.of("provider", m.provider());
                if (!io.spendmonitor.schemas.Providers.isSelfHosted(m.provider())) {
                    apiCost.add(m.costUsd().doubleValue(), "team", team, "provider", provider, "model", model);
                }
                tokens.add(m.input(), "team", team, "provider", provider, "model", model, "type", "input");
                tokens.add(m.cached(), "team", team, "provider", provider, "model", model, "type", "cached");
                tokens.add(m.cacheWrite(), "team", team, "provider", provider, "model", model, "type", "cache_write");
                tokens.add(m.output(), "team", team, "provider", provider, "model", model, "type", "output");
            }
            for (LiveSpend.AttributedLine a : entry.getValue().attributed()) {
                String key = fold.of("attribution key", a.key());
                attributed.add(a.costUsd().doubleValue(), "team", team, "key", key, "value", fold.of("attribution:" + key, a.value()));
            }
            for (LiveSpend.GpuLine g : entry.getValue().gpus()) {
                String deployment = fold.of("deployment", g.deployment());
                String gpuModel = fold.of("gpu_model", g.gpuModel());
                gpuCost.add(g.costUsd().doubleValue(), "team", team, "deployment", deployment, "gpu_model", gpuModel);
                gpuIdleCost.add(g.idleCostUsd().doubleValue(), "team", team, "deployment", deployment, "gpu_model", gpuModel);
            }
        }
        // the gauges: final windows only (evaluation never flaps on a partial minute)
        for (Map.Entry<String, TeamState> entry : teams) {
            String team = named.contains(entry.getKey()) ? entry.getKey() : OTHER;
            foldedAny |= OTHER.equals(team);
            LabelFold fold = folds.computeIfAbsent(team, t -> new LabelFold(maxModels));
            TeamState s = entry.getValue();
            for (TeamState.GpuTotals g : s.gpuTotals.values()) {
                String deployment = fold.of("deployment", g.deployment);
                String gpuModel = fold.of("gpu_model", g.gpuModel);
                if (!OTHER.equals(team) && !OTHER.equals(deployment) && !OTHER.equals(gpuModel) && g.gpuSeconds > 0) {
                    utilization.set(g.lastUtilization, "team", team, "deployment", deployment, "gpu_model", gpuModel);
                }
            }
            if (s.gpuTotals.values().stream().anyMatch(g -> g.gpuSeconds > 0)) {
                idleGpus.add(s.lastIdleGpus, "team", team);
            }
            if (OTHER.equals(team)) {
                continue; // ratios and alert states do not add up: only for named teams
            }
            for (BreakEven b : s.lastBreakEven) {
                // no counterfactual (GPUs serving no tokens): infinitely dearer, +Inf in Prometheus
                double r = b.ratio() == null ? Double.POSITIVE_INFINITY : b.ratio();
                ratio.set(r, "team", team, "profile", b.profile(), "gpu_model", b.gpuModel(), "mode", b.mode().name(),
                        "api_model", b.apiModel());
                savings.set(b.savingsUsdPerHour().doubleValue(), "team", team, "profile", b.profile(),
                        "gpu_model", b.gpuModel(), "mode", b.mode().name());
                capacity(b, team, capacity, capacityMeasured, capacityEvidence, prefixHits);
            }
            s.breakEven.forEach((key, h) -> {
                io.spendmonitor.streams.cost.BreakEvenKey k = io.spendmonitor.streams.cost.BreakEvenKey.parse(key);
                alertActive.set(h.firing ? 1 : 0, "team", entry.getKey(), "type", k.alertType().name(), "subject", k.subject());
            });
            // a folded subject holds several alerts: it is firing when any of them is
            s.idle.forEach((deployment, idle) -> alertActive.merge(idle.hysteresis.firing ? 1 : 0, "team", entry.getKey(),
                    "type", AlertType.IDLE_CAPACITY.name(), "subject", fold.of("subject", deployment)));
            if (s.spike.firing || s.modelTotals.values().stream().anyMatch(t -> !io.spendmonitor.schemas.Providers.isSelfHosted(t.provider))) {
                alertActive.set(s.spike.firing ? 1 : 0, "team", entry.getKey(), "type", AlertType.SPEND_SPIKE.name(), "subject", "api-cost");
            }
            TeamBudget budget = budgets.get(entry.getKey());
            if (budget != null && io.spendmonitor.schemas.BudgetKeys.isTeamBudget(budget)) {
                budget(budgetUsed, alertActive, entry.getKey(), "day", s.day, budget.getDailyUsd());
                budget(budgetUsed, alertActive, entry.getKey(), "month", s.month, budget.getMonthlyUsd());
            }
            // label budgets: their state exists while a budget is in force
            String prefix = io.spendmonitor.schemas.BudgetKeys.labelPrefix(entry.getKey());
            s.labelDay.forEach((label, day) -> {
                TeamBudget lb = budgets.get(prefix + label);
                if (lb != null) {
                    labelBudget(labelBudgetUsed, alertActive, entry.getKey(), label, "day", day, lb.getDailyUsd());
                    labelBudget(labelBudgetUsed, alertActive, entry.getKey(), label, "month", s.labelMonth.get(label), lb.getMonthlyUsd());
                }
            });
        }
        if (foldedAny || folds.values().stream().anyMatch(LabelFold::folded)) {
            folded.increment();
        }
        List<MetricSnapshot> snapshots = new ArrayList<>();
        snapshots.add(apiCost.counter("llm_api_cost_usd", "API spend in USD by team, provider and model (open windows included, as of the last commit)"));
        snapshots.add(tokens.counter("llm_tokens", "Tokens by team, provider, model and type (input counts all input tokens)"));
        snapshots.add(attributed.counter("llm_attributed_cost_usd",
                "API spend in USD by team and attribution label (spend.attribution.keys), open windows included, as of the last commit"));
        snapshots.add(gpuCost.counter("gpu_cost_usd", "GPU cost in USD by team, deployment and GPU model"));
        snapshots.add(gpuIdleCost.counter("gpu_idle_cost_usd", "Cost of idle GPU time in USD"));
        snapshots.add(utilization.gauge("gpu_utilization_ratio", "Busy GPU-seconds / GPU-seconds in the last finalized window"));
        snapshots.add(idleGpus.gauge("gpu_idle_gpus", "Idle GPU equivalents in the last finalized window"));
        snapshots.add(ratio.gauge("llm_selfhost_vs_api_ratio", "Break-even ratio: API mode > 1 self-hosting would be cheaper; SELF_HOSTED mode > 1 self-hosting is dearer"));
        snapshots.add(savings.gauge("llm_switch_savings_usd_per_hour", "USD per hour a switch would save (negative: it would cost more)"));
        snapshots.add(alertActive.gauge("spend_alert_active", "1 while an alert is firing"));
        snapshots.add(budgetUsed.gauge("spend_budget_used_ratio", "Spend of the current UTC day or month / its budget"));
        snapshots.add(labelBudgetUsed.gauge("spend_label_budget_used_ratio",
                "API spend of the calls carrying a label (label=\"customer=acme\") in the current UTC day or month / its label budget"));
        snapshots.add(capacity.gauge("llm_selfhost_capacity_tokens_per_second",
                "Tokens per second one replica of a self-host profile serves: source=declared (the profile's "
                + "tokens_per_second_per_replica) or measured (vLLM's counters per busy GPU-second x gpus_per_replica)"));
        snapshots.add(capacityMeasured.gauge("llm_selfhost_capacity_measured",
                "1 when break-even sizes the profile's replicas with the measured throughput, 0 while it uses the declared one"));
        snapshots.add(capacityEvidence.gauge("llm_selfhost_capacity_evidence_ratio",
                "Busy-enough measured time over the horizon / spend.capacity.min-evidence (1 or more: enough to use the measurement)"));
        snapshots.add(prefixHits.gauge("llm_selfhost_prefix_cache_hit_ratio",
                "vLLM prefix-cache hits / queries (tokens) of the deployments measured for the profile over the horizon"));
        repeatMetrics(snapshots, named);
        return new MetricSnapshots(snapshots);
    }

    /** The throughput behind a break-even evaluation: declared and measured, which one is used, the evidence. */
    private static void capacity(BreakEven b, String team, Series capacity, Series measured, Series evidence, Series prefixHits) {
        BreakEven.Throughput t = b.throughput();
        if (t == null) {
            return;
        }
        String mode = b.mode().name();
        capacity.set(t.declaredTokensPerSecondPerReplica(), "team", team, "profile", b.profile(), "gpu_model", b.gpuModel(),
                "mode", mode, "source", "declared");
        if (t.measuredTokensPerSecondPerReplica() != null) {
            capacity.set(t.measuredTokensPerSecondPerReplica().doubleValue(), "team", team, "profile", b.profile(),
                    "gpu_model", b.gpuModel(), "mode", mode, "source", "measured");
        }
        measured.set(t.used() == BreakEven.Source.MEASURED ? 1 : 0, "team", team, "profile", b.profile(), "gpu_model", b.gpuModel(),
                "mode", mode);
        if (t.requiredSeconds() > 0) {
            evidence.set((double) t.evidenceSeconds() / t.requiredSeconds(), "team", team, "profile", b.profile(),
                    "gpu_model", b.gpuModel(), "mode", mode);
        }
        if (t.prefixCacheHitRate() != null) {
            prefixHits.set(t.prefixCacheHitRate(), "team", team, "profile", b.profile(), "gpu_model", b.gpuModel(), "mode", mode);
        }
    }

    // --- repeated prompts (issue 17): from the team-repeat-totals store, final windows only ---

    /**
     * {@code llm_repeat_share{team}}: the repeat share of the horizon ending at the team's last final
     * window; {@code llm_cacheable_cost_usd_total{team}}: the estimated cost of repeated calls, summed
     * over final windows (each adds its own, never a negative amount, so the counter only grows), as of
     * the last committed transaction ({@link CommittedSpend#cacheableView}).
     */
    private void repeatMetrics(List<MetricSnapshot> snapshots, java.util.Set<String> named) {
        Series share = new Series();
        Series cacheable = new Series();
        KafkaStreams ks = streams.get();
        if (ks != null && ks.state().isRunningOrRebalancing()) {
            try {
                ReadOnlyKeyValueStore<String, io.spendmonitor.streams.repeats.RepeatTotals> store = ks.store(
                        StoreQueryParameters.fromNameAndType(SpendTopology.REPEAT_TOTALS_STORE, QueryableStoreTypes.keyValueStore()));
                try (KeyValueIterator<String, io.spendmonitor.streams.repeats.RepeatTotals> it = store.all()) {
                    it.forEachRemaining(kv -> {
                        String team = named.contains(kv.key) ? kv.key : OTHER;
                        if (!OTHER.equals(team) && !Double.isNaN(kv.value.repeatShare())) {
                            share.set(kv.value.repeatShare(), "team", team);
                        }
                    });
                }
            } catch (RuntimeException e) {
                // stores move during a rebalance: nothing for them this scrape
            }
        }
        // the counter: as of the last commit, like the spend counters (a crash never takes back what was shown)
        committed.cacheableView().forEach((team, femto) -> cacheable.add(
                io.spendmonitor.streams.repeats.RepeatMath.usd(femto).doubleValue(), "team", named.contains(team) ? team : OTHER));
        snapshots.add(share.gauge("llm_repeat_share", "Share of calls with a prompt_hash whose prompt was already seen within spend.repeats.horizon (HyperLogLog estimate, last final window)"));
        snapshots.add(cacheable.counter("llm_cacheable_cost_usd", "Estimated USD of repeated calls (hashed calls' cost x repeat share), final windows only"));
    }

    private static void labelBudget(Series used, Series active, String team, String label, String period, TeamState.BudgetPeriod p,
                                    BigDecimal budgetUsd) {
        if (budgetUsd == null || budgetUsd.signum() <= 0 || p == null || p.period == null) {
            return;
        }
        used.set(p.spendUsd.divide(budgetUsd, MathContext.DECIMAL64).doubleValue(), "team", team, "label", label, "period", period);
        active.set(p.exceeded ? 1 : 0, "team", team, "type", AlertType.BUDGET.name(), "subject", label + " " + period);
    }

    private static void budget(Series used, Series active, String team, String period, TeamState.BudgetPeriod p, BigDecimal budgetUsd) {
        if (budgetUsd == null || budgetUsd.signum() <= 0 || p.period == null) {
            return;
        }
        used.set(p.spendUsd.divide(budgetUsd, MathContext.DECIMAL64).doubleValue(), "team", team, "period", period);
        active.set(p.exceeded ? 1 : 0, "team", team, "type", AlertType.BUDGET.name(), "subject", period);
    }

    /**
     * The teams that keep their own label: the first {@code maxTeams} by when they started (then by
     * name), so a new team never pushes a named one into {@code other}, which would read as a reset.
     */
    private java.util.Set<String> namedTeams(Map<String, LiveSpend> live, List<Map.Entry<String, TeamState>> states) {
        Map<String, Long> since = new java.util.HashMap<>();
        live.forEach((team, spend) -> since.put(team, spend.sinceMs() < 0 ? Long.MAX_VALUE : spend.sinceMs()));
        for (Map.Entry<String, TeamState> e : states) {
            since.putIfAbsent(e.getKey(), e.getValue().firstWindowStartMs < 0 ? Long.MAX_VALUE : e.getValue().firstWindowStartMs);
        }
        if (since.size() <= maxTeams) {
            return since.keySet();
        }
        List<String> order = new ArrayList<>(since.keySet());
        order.sort(java.util.Comparator.<String>comparingLong(since::get).thenComparing(java.util.Comparator.naturalOrder()));
        return new java.util.HashSet<>(order.subList(0, maxTeams));
    }

    private List<Map.Entry<String, TeamState>> localTeams() {
        List<Map.Entry<String, TeamState>> result = new ArrayList<>();
        KafkaStreams ks = streams.get();
        if (ks == null || !ks.state().isRunningOrRebalancing()) {
            return result;
        }
        try {
            ReadOnlyKeyValueStore<String, TeamState> store = ks.store(StoreQueryParameters.fromNameAndType(
                    SpendTopology.TEAM_STATE_STORE, QueryableStoreTypes.keyValueStore()));
            try (KeyValueIterator<String, TeamState> it = store.all()) {
                it.forEachRemaining(kv -> result.add(Map.entry(kv.key, kv.value)));
            }
        } catch (RuntimeException e) {
            // stores move during a rebalance: export nothing for them this scrape rather than fail it
            result.clear();
        }
        result.sort(Map.Entry.comparingByKey());
        return result;
    }

    private Map<String, TeamBudget> budgets() {
        Map<String, TeamBudget> result = new LinkedHashMap<>();
        KafkaStreams ks = streams.get();
        if (ks == null || !ks.state().isRunningOrRebalancing()) {
            return result;
        }
        try {
            ReadOnlyKeyValueStore<String, TeamBudget> store = ks.store(StoreQueryParameters.fromNameAndType(
                    SpendTopology.BUDGET_STORE, QueryableStoreTypes.keyValueStore()));
            try (KeyValueIterator<String, TeamBudget> it = store.all()) {
                it.forEachRemaining(kv -> result.put(kv.key, kv.value));
            }
        } catch (RuntimeException e) {
            result.clear();
        }
        return result;
    }

    /** Data points of one metric family by label values; adding sums (for folded series), setting replaces. */
    private static final class Series {
        private final Map<List<String>, Double> points = new LinkedHashMap<>();

        void add(double value, String... labels) {
            points.merge(List.of(labels), value, Double::sum);
        }

        void set(double value, String... labels) {
            points.put(List.of(labels), value);
        }

        /** The larger of the values (a folded gauge: any of them). */
        void merge(double value, String... labels) {
            points.merge(List.of(labels), value, Math::max);
        }

        CounterSnapshot counter(String name, String help) {
            CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
            points.forEach((labels, v) -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(labels(labels)).value(v).build()));
            return b.build();
        }

        GaugeSnapshot gauge(String name, String help) {
            GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
            points.forEach((labels, v) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(labels(labels)).value(v).build()));
            return b.build();
        }

        private static Labels labels(List<String> pairs) {
            return Labels.of(pairs.toArray(String[]::new));
        }
    }
}
