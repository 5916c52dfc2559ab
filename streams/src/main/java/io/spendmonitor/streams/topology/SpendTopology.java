package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.EventValidator;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SpendSettings;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The spend topology. Every input topic is keyed by team, so all per-team work happens on the
 * partition that owns the team, without a repartition; the price catalog and budgets are small
 * and live whole in every instance (global stores). The per-team work is four nodes of one
 * sub-topology (forwarding between them is a method call), so {@code describe()} reads as the
 * cost model:
 *
 * <pre>
 *   llm.token-usage ─┐
 *                    ├─► admit ─► price ─► window ─► evaluate ─► spend.alerts
 *   gpu.utilization ─┘     │        │        └─► spend.team-costs
 *                          └────────┴─► spend.dead-letter
 *   admit:    event rules, future / late events, duplicate ids        (open-window-ids, partition-clock)
 *   price:    {@link io.spendmonitor.streams.cost.Pricing} at the event's own time (pure)
 *   window:   the open windows ({@link OpenWindows}); closes final ones (team-windows, partition-clock)
 *   evaluate: break-even, idle capacity, budgets, alerts               (team-state, team-budgets, team-breakeven)
 *   spend.price-catalog ─► price-catalog store (global)    spend.team-budgets ─► team-budgets store (global)
 * </pre>
 */
public final class SpendTopology {
    public static final String TOKEN_USAGE_SOURCE = "token-usage-source";
    public static final String GPU_SOURCE = "gpu-utilization-source";
    public static final String PRICE_SOURCE = "price-catalog-source";
    public static final String BUDGET_SOURCE = "team-budgets-source";
    public static final String PRICE_UPDATER = "price-catalog-updater";
    public static final String BUDGET_UPDATER = "team-budgets-updater";
    public static final String ADMIT_NODE = "admit";
    public static final String PRICE_NODE = "price";
    public static final String WINDOW_NODE = "window";
    public static final String EVALUATE_NODE = "evaluate";
    public static final String TEAM_COSTS_SINK = "team-costs-sink";
    public static final String ALERTS_SINK = "alerts-sink";
    public static final String DEAD_LETTER_TOKEN_SINK = "dead-letter-token-usage-sink";
    public static final String DEAD_LETTER_GPU_SINK = "dead-letter-gpu-utilization-sink";
    /** Only with spend.call-costs.enabled=true: the default topology keeps its names. */
    public static final String CALL_COSTS_SINK = "call-costs-sink";

    public static final String PRICE_STORE = "price-catalog";
    public static final String BUDGET_STORE = "team-budgets";
    /** The event-id hashes of the open windows, in chunks (see {@link OpenWindows}). */
    public static final String WINDOW_IDS_STORE = "open-window-ids";
    /** Not data: the point where the nodes write their buffered objects before each commit. */
    public static final String COMMIT_HOOK_STORE = "team-spend-commit-hook";
    public static final String WINDOW_STORE = "team-windows";
    public static final String TEAM_STATE_STORE = "team-state";
    public static final String CLOCK_STORE = "partition-clock";
    /** Each evaluation's break-even results by (team, minute): the history the page draws ({@link BreakEvenHistory}). */
    public static final String BREAKEVEN_STORE = "team-breakeven";
    /** Each team window's repeated-prompt sketch ({@link io.spendmonitor.streams.repeats.RepeatWindow}), kept over spend.repeats.horizon. */
    public static final String REPEAT_STORE = "team-repeats";
    /** Each team's repeat share and cacheable cost as of its last final window ({@link io.spendmonitor.streams.repeats.RepeatTotals}). */
    public static final String REPEAT_TOTALS_STORE = "team-repeat-totals";
    /**
     * The changelog setting of the window stores: Kafka Streams stamps a changelog record with the
     * event time of the record being processed and gives a window store's changelog time-based
     * retention (the store's plus a day); stamped by the broker instead, a backfill's open windows
     * are not deleted from the changelog before they are final (see {@link Topics#TIMESTAMP_TYPE}).
     */
    static final Map<String, String> APPEND_TIME_CHANGELOG = Map.of(Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME);
    /** The stores whose changelogs are stamped by the broker (the window stores). */
    public static final List<String> APPEND_TIME_STORES = List.of(WINDOW_STORE, BREAKEVEN_STORE, REPEAT_STORE);
    /**
     * Benchmarks only: false replaces {@code evaluate} by a node that drops what it gets (no break-even,
     * no alerts, no live spend), so {@code bench} compares the per-event path with a peer that skips evaluation.
     */
    public static final String BENCH_EVALUATION = "spend.bench.evaluation.enabled";
    /** How far back a prompt counts as already seen. */
    public static final String REPEATS_HORIZON = "spend.repeats.horizon";

    private SpendTopology() {
    }

    public static Topology build(SpendConfig config, Topics topics, PriceCatalog catalog, SpendListener listener) {
        return build(config, topics, catalog, listener, System::currentTimeMillis);
    }

    public static Topology build(SpendConfig config, Topics topics, PriceCatalog catalog, SpendListener listener,
                                 java.util.function.LongSupplier wallClock) {
        return build(config, topics, catalog, listener, wallClock, new CommittedSpend());
    }

    /**
     * @param wallClock the wall clock the timestamp extractor compares payload times with (tests pass the driver's)
     * @param committed where the evaluate node publishes the teams' live spend for the metrics
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Topology build(SpendConfig config, Topics topics, PriceCatalog catalog, SpendListener listener,
                                 java.util.function.LongSupplier wallClock, CommittedSpend committed) {
        SpendSettings settings = config.settings();
        io.spendmonitor.streams.cost.CapacitySettings capacity = config.capacity();
        EventValidator validator = new EventValidator(config.timestampMin(), config.timestampMaxAhead());
        long maxAheadMs = config.timestampMaxAhead().toMillis();
        Duration windowRetention = config.windowRetention();
        // the break-even horizon is read back from the window store: it must outlive horizon + grace
        long needed = settings.horizonMs() + settings.windowSizeMs() + settings.graceMs();
        if (windowRetention.toMillis() < needed) {
            throw new IllegalArgumentException("'" + SpendConfig.WINDOW_RETENTION + "' must cover the break-even horizon and the grace ("
                    + java.time.Duration.ofMillis(needed) + ")");
        }
        PayloadTimestampExtractor timestamps = new PayloadTimestampExtractor(validator, wallClock);
        Topology topology = new Topology();

        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PRICE_STORE), Serdes.String(),
                        topics.priceCatalog().valueSerde()).withLoggingDisabled(),
                PRICE_SOURCE, timestamps, Serdes.String().deserializer(), topics.priceCatalog().valueSerde().deserializer(),
                topics.priceCatalog().name(), PRICE_UPDATER, () -> new PriceCatalogUpdater(catalog, listener));
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BUDGET_STORE), Serdes.String(),
                        topics.teamBudgets().valueSerde()).withLoggingDisabled(),
                BUDGET_SOURCE, timestamps, Serdes.String().deserializer(), topics.teamBudgets().valueSerde().deserializer(),
                topics.teamBudgets().name(), BUDGET_UPDATER, BudgetUpdater::new);

        // the keys stay bytes: nothing is counted by them (the team is in the value), and a dead letter
        // carries them as they came (decoding every key cost ~3% of the stream thread)
        topology.addSource(Topology.AutoOffsetReset.EARLIEST, TOKEN_USAGE_SOURCE, timestamps, Serdes.ByteArray().deserializer(),
                topics.tokenUsage().valueSerde().deserializer(), topics.tokenUsage().name());
        topology.addSource(Topology.AutoOffsetReset.EARLIEST, GPU_SOURCE, timestamps, Serdes.ByteArray().deserializer(),
                topics.gpuUtilization().valueSerde().deserializer(), topics.gpuUtilization().name());

        Duration repeatsHorizon = config.duration(REPEATS_HORIZON);
        if (repeatsHorizon.compareTo(settings.windowSize()) < 0 || repeatsHorizon.toMillis() % settings.windowSizeMs() != 0) {
            throw new IllegalArgumentException("'" + REPEATS_HORIZON + "' must be a whole number of windows");
        }
        TaskBuffers buffers = new TaskBuffers(settings.windowSizeMs(), settings.graceMs(), repeatsHorizon.toMillis(), committed);
        topology.addProcessor(ADMIT_NODE, (ProcessorSupplier) () -> new AdmitNode(buffers, validator, maxAheadMs, listener),
                TOKEN_USAGE_SOURCE, GPU_SOURCE);
        boolean callCosts = CallCostRecords.enabled(config.asMap());
        topology.addProcessor(PRICE_NODE, (ProcessorSupplier) () -> new PriceNode(catalog, listener, callCosts), ADMIT_NODE);
        topology.addProcessor(WINDOW_NODE, (ProcessorSupplier) () -> new WindowNode(buffers, settings.windowSizeMs(),
                settings.graceMs(), listener, config.attributionKeys(), config.attributionMaxValues()), PRICE_NODE);
        Object evaluation = config.asMap().get(BENCH_EVALUATION);
        if (evaluation == null || Boolean.parseBoolean(evaluation.toString().strip())) {
            topology.addProcessor(EVALUATE_NODE, (ProcessorSupplier) () -> new EvaluateNode(settings, catalog, listener,
                    config.teamEviction(), buffers, committed, capacity), WINDOW_NODE);
        } else {
            topology.addProcessor(EVALUATE_NODE, (ProcessorSupplier) NoEvaluation::new, WINDOW_NODE);
        }
        // no record caches: the nodes buffer open windows and team states as objects and write them once a commit
        topology.addStateStore(CommitHookStore.builder(COMMIT_HOOK_STORE), ADMIT_NODE, WINDOW_NODE, EVALUATE_NODE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOW_IDS_STORE),
                Serdes.String(), Serdes.ByteArray()), ADMIT_NODE, WINDOW_NODE);
        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(WINDOW_STORE, windowRetention, settings.windowSize(), false),
                Serdes.String(), StateSerdes.teamWindow()).withLoggingEnabled(APPEND_TIME_CHANGELOG), ADMIT_NODE, WINDOW_NODE, EVALUATE_NODE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TEAM_STATE_STORE),
                Serdes.String(), StateSerdes.teamState()), EVALUATE_NODE);
        Duration breakEvenRetention = config.duration(BreakEvenHistory.RETENTION);
        if (breakEvenRetention.compareTo(settings.windowSize()) < 0) {
            throw new IllegalArgumentException("'" + BreakEvenHistory.RETENTION + "' must be at least one window");
        }
        topology.addStateStore(Stores.windowStoreBuilder(
                // in memory (changelogged, restored at start): a RocksDB window store more, written for every team
                // and evaluated minute, made the whole topology several times slower (its segments' memtables share
                // the bounded write buffer with every other store); a few hours of small points fit in memory
                Stores.inMemoryWindowStore(BREAKEVEN_STORE, breakEvenRetention, settings.windowSize(), false),
                Serdes.String(), BreakEvenHistory.serde()).withLoggingEnabled(APPEND_TIME_CHANGELOG), EVALUATE_NODE);
        // the sketches must outlive the horizon plus the grace (a window closes up to a grace after it ends)
        Duration repeatRetention = repeatsHorizon.plus(settings.windowSize()).plusMillis(settings.graceMs());
        topology.addStateStore(Stores.windowStoreBuilder(
                // in memory (changelogged): a persistent store a topology without prompt hashes never writes has no
                // checkpointed offset, and exactly-once then takes the task for corrupted at every restart
                Stores.inMemoryWindowStore(REPEAT_STORE, repeatRetention, settings.windowSize(), false),
                Serdes.String(), io.spendmonitor.streams.repeats.RepeatWindow.serde()).withLoggingEnabled(APPEND_TIME_CHANGELOG),
                WINDOW_NODE);
        // in memory (one small entry a team): a persistent store that a topology without prompt hashes never writes
        // has no checkpointed offset, and under exactly-once Kafka Streams then takes the whole task for corrupted
        // at every restart (wiped and restored)
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(REPEAT_TOTALS_STORE),
                Serdes.String(), io.spendmonitor.streams.repeats.RepeatTotals.serde()), WINDOW_NODE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(CLOCK_STORE),
                Serdes.String(), Serdes.Long()), ADMIT_NODE, WINDOW_NODE);

        topology.addSink(TEAM_COSTS_SINK, topics.teamCosts().name(), Serdes.String().serializer(),
                topics.teamCosts().valueSerde().serializer(), WINDOW_NODE);
        topology.addSink(ALERTS_SINK, topics.alerts().name(), Serdes.String().serializer(),
                topics.alerts().valueSerde().serializer(), EVALUATE_NODE);
        topology.addSink(DEAD_LETTER_TOKEN_SINK, topics.deadLetter().name(), Serdes.ByteArray().serializer(),
                topics.deadLetterValueSerializer(), ADMIT_NODE, PRICE_NODE);
        topology.addSink(DEAD_LETTER_GPU_SINK, topics.deadLetter().name(), Serdes.ByteArray().serializer(),
                topics.deadLetterValueSerializer(), ADMIT_NODE, PRICE_NODE);
        if (callCosts) {
            topology.addSink(CALL_COSTS_SINK, topics.callCosts().name(), Serdes.ByteArray().serializer(),
                    topics.callCosts().valueSerde().serializer(), PRICE_NODE);
        }
        return topology;
    }

    /** {@value #BENCH_EVALUATION}=false: what the window node hands on to evaluation is dropped. */
    static final class NoEvaluation implements Processor<String, Object, String, Object> {
        @Override
        public void process(Record<String, Object> record) {
        }
    }

    /** Keeps the global price store and the shared in-memory catalog in step. */
    static final class PriceCatalogUpdater implements Processor<String, PriceEntry, Void, Void> {
        private final PriceCatalog catalog;
        private final SpendListener listener;
        private KeyValueStore<String, PriceEntry> store;

        PriceCatalogUpdater(PriceCatalog catalog, SpendListener listener) {
            this.catalog = catalog;
            this.listener = listener;
        }

        @Override
        public void init(org.apache.kafka.streams.processor.api.ProcessorContext<Void, Void> context) {
            store = context.getStateStore(PRICE_STORE);
        }

        @Override
        public void process(Record<String, PriceEntry> record) {
            if (record.key() == null) {
                return;
            }
            try {
                catalog.apply(record.key(), record.value());
            } catch (RuntimeException e) {
                // a malformed key or an entry that cannot be evaluated must not stop pricing: skipped, logged, counted
                org.slf4j.LoggerFactory.getLogger(SpendTopology.class).warn("ignoring price entry '{}': {}", record.key(), e.getMessage());
                listener.catalogEntryRejected(record.key(), e.getMessage());
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    static final class BudgetUpdater implements Processor<String, TeamBudget, Void, Void> {
        private KeyValueStore<String, TeamBudget> store;

        @Override
        public void init(org.apache.kafka.streams.processor.api.ProcessorContext<Void, Void> context) {
            store = context.getStateStore(BUDGET_STORE);
        }

        @Override
        public void process(Record<String, TeamBudget> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
