package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.Pricing;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keyed by team, with the price catalog broadcast: (1) an event for a window the watermark has
 * already closed is late (dropped, counted), (2) a call whose event_id the team's open windows
 * already counted is a duplicate (dropped, counted), (3) the rest is priced at its own event time
 * with the catalog version in force then ({@link Pricing}, the topology's own pure code). An
 * absurd cost is rejected; an unpriced call is counted without cost, as in the topology.
 *
 * <p>State: the team's counted event ids, each with its window's start (keyed map state): an id
 * counts as a duplicate while its window is open, and fired windows' ids are removed by an
 * event-time timer every {@link #CLEANUP_WINDOWS} windows; and the catalog as broadcast state, one entry per
 * catalog key (subject|effective_from: the version history), indexed per subtask in a
 * {@link PriceCatalog} for the event-time lookup.
 */
final class DedupeAndPrice extends KeyedBroadcastProcessFunction<String, PeerEvent, PriceUpdate, PricedEvent> {
    private static final long serialVersionUID = 1L;
    static final MapStateDescriptor<String, byte[]> CATALOG =
            new MapStateDescriptor<>("price-catalog", Types.STRING,
                    org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

    /** Events that reached this operator (in this JVM), the time of the first, late and duplicate events. */
    static final LongAdder PROCESSED = new LongAdder();
    static final AtomicLong FIRST_NANOS = new AtomicLong();
    static final LongAdder LATE = new LongAdder();
    static final LongAdder DUPLICATES = new LongAdder();
    static final LongAdder PRICING_REJECTED = new LongAdder();

    /** Fired windows' ids are removed once per this many windows. */
    static final long CLEANUP_WINDOWS = 5;

    private final long windowMs;
    private final String registryUrl;
    /** The catalog as read up to its end before the job started (see {@link PeerJob#bootstrapCatalog}). */
    private final List<PriceUpdate> bootstrap;

    private transient MapState<String, Long> ids;
    private transient PriceCatalog catalog;
    private transient Pricing pricing;
    private transient boolean indexedState;
    private transient RestSchemaRegistryClient registry;
    private transient AvroDeserializer<PriceEntry> entries;

    DedupeAndPrice(long windowMs, String registryUrl, List<PriceUpdate> bootstrap) {
        this.windowMs = windowMs;
        this.registryUrl = registryUrl;
        this.bootstrap = bootstrap;
    }

    @Override
    public void open(OpenContext openContext) {
        ids = getRuntimeContext().getMapState(new MapStateDescriptor<>("open-window-ids", Types.STRING, Types.LONG));
        registry = RestSchemaRegistryClient.forUrl(registryUrl);
        entries = new AvroDeserializer<>(registry, PriceEntry.class);
        catalog = new PriceCatalog();
        pricing = new Pricing(catalog);
        for (PriceUpdate u : bootstrap) {
            index(u.key, u.value);
        }
    }

    @Override
    public void close() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private void index(String key, byte[] value) {
        try {
            catalog.apply(key, value == null ? null : entries.deserialize("", value));
        } catch (RuntimeException e) {
            // a malformed key or entry is skipped, as the topology's catalog updater skips it
        }
    }

    @Override
    public void processElement(PeerEvent e, ReadOnlyContext ctx, Collector<PricedEvent> out) throws Exception {
        PROCESSED.increment();
        if (FIRST_NANOS.get() == 0) {
            FIRST_NANOS.compareAndSet(0, System.nanoTime());
        }
        if (!indexedState) {
            // after a restore the broadcast state holds the catalog; the index is rebuilt from it once
            ReadOnlyBroadcastState<String, byte[]> state = ctx.getBroadcastState(CATALOG);
            for (Map.Entry<String, byte[]> entry : state.immutableEntries()) {
                index(entry.getKey(), entry.getValue());
            }
            indexedState = true;
        }
        long start = e.timestampMs - Math.floorMod(e.timestampMs, windowMs);
        long maxTimestamp = start + windowMs - 1;
        if (maxTimestamp <= ctx.timerService().currentWatermark()) {
            LATE.increment(); // its window has fired: the topology's "late"
            return;
        }
        if (e.call) {
            Long countedIn = ids.get(e.eventId);
            // a duplicate only while the window that counted it is open (ids are forgotten lazily, below)
            if (countedIn != null && countedIn + windowMs - 1 > ctx.timerService().currentWatermark()) {
                DUPLICATES.increment();
                return;
            }
            Pricing.PricedCall priced = pricing.price(e.toCall());
            if (priced.outcome() == Pricing.Outcome.REJECTED) {
                PRICING_REJECTED.increment();
                return;
            }
            ids.put(e.eventId, start);
            // forget the ids of fired windows every CLEANUP_WINDOWS windows (one pass over the team's ids then,
            // not one per window); until then the check above ignores them
            long block = CLEANUP_WINDOWS * windowMs;
            ctx.timerService().registerEventTimeTimer(Math.floorDiv(start, block) * block + block - 1);
            out.collect(new PricedEvent(priced, null));
        } else {
            Pricing.PricedSample priced = pricing.price(e.toSample());
            if (priced.outcome() == Pricing.Outcome.REJECTED) {
                PRICING_REJECTED.increment();
                return;
            }
            out.collect(new PricedEvent(null, priced));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PricedEvent> out) throws Exception {
        Iterator<Map.Entry<String, Long>> it = ids.iterator();
        while (it.hasNext()) {
            if (it.next().getValue() + windowMs - 1 <= timestamp) {
                it.remove();
            }
        }
    }

    @Override
    public void processBroadcastElement(PriceUpdate update, Context ctx, Collector<PricedEvent> out) throws Exception {
        BroadcastState<String, byte[]> state = ctx.getBroadcastState(CATALOG);
        if (update.value == null) {
            state.remove(update.key);
        } else {
            state.put(update.key, update.value);
        }
        index(update.key, update.value);
    }
}
