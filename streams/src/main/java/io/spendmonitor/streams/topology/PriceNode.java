package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.Pricing;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * {@code price}: prices an admitted event at its own time with the catalog in force then
 * ({@link Pricing}, pure). A priced or self-hosted event goes on to {@code window}; an unpriced one
 * goes on too (counted in tokens and calls) and a copy is dead-lettered as {@code unpriced} for
 * reconciliation; a rejected one ({@code absurd-cost}) is dead-lettered only: it never creates state.
 */
final class PriceNode implements Processor<byte[], NodeMessages.Admitted, byte[], Object> {
    private final Pricing pricing;
    private final PriceCatalog catalog;
    private final SpendListener listener;
    private final boolean callCosts;
    private ProcessorContext<byte[], Object> context;

    PriceNode(PriceCatalog catalog, SpendListener listener) {
        this(catalog, listener, false);
    }

    /** @param callCosts also write every priced call to {@code spend.call-costs} ({@link CallCostRecords}) */
    PriceNode(PriceCatalog catalog, SpendListener listener, boolean callCosts) {
        this.catalog = catalog;
        this.pricing = new Pricing(catalog);
        this.listener = listener;
        this.callCosts = callCosts;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        loadCatalog();
    }

    /** The global store was restored without running its processor: fill the shared catalog from it once. */
    private void loadCatalog() {
        synchronized (catalog) {
            if (catalog.loaded()) {
                return;
            }
            KeyValueStore<String, PriceEntry> prices = context.getStateStore(SpendTopology.PRICE_STORE);
            try (KeyValueIterator<String, PriceEntry> all = prices.all()) {
                all.forEachRemaining(kv -> {
                    try {
                        catalog.apply(kv.key, kv.value);
                    } catch (RuntimeException e) {
                        listener.catalogEntryRejected(kv.key, e.getMessage());
                    }
                });
            }
            catalog.markLoaded();
        }
    }

    @Override
    public void process(Record<byte[], NodeMessages.Admitted> record) {
        NodeMessages.Admitted event = record.value();
        Pricing.Outcome outcome;
        String reason;
        NodeMessages.Priced priced;
        String sink;
        if (event.call() != null) {
            Pricing.PricedCall p = pricing.price(event.call());
            outcome = p.outcome();
            reason = p.reason();
            priced = new NodeMessages.Priced(p, null, event.idHash());
            sink = SpendTopology.DEAD_LETTER_TOKEN_SINK;
            if (callCosts && outcome == Pricing.Outcome.PRICED && event.original() instanceof io.spendmonitor.avro.TokenUsage u) {
                var call = event.call();
                // keyed by team (the contract), whatever key the call came with
                catalog.apiPriceVersion(call.provider(), call.model(), call.serviceTier(), call.timestampMs()).ifPresent(version ->
                        context.forward(record.withKey(call.team().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                                .withValue(CallCostRecords.of(u, version, p.costFemto())), SpendTopology.CALL_COSTS_SINK));
            }
        } else {
            Pricing.PricedSample p = pricing.price(event.sample());
            outcome = p.outcome();
            reason = p.reason();
            priced = new NodeMessages.Priced(null, p, 0);
            sink = SpendTopology.DEAD_LETTER_GPU_SINK;
        }
        if (outcome != Pricing.Outcome.REJECTED) {
            context.forward(record.withValue(priced), SpendTopology.WINDOW_NODE);
        }
        if (outcome == Pricing.Outcome.REJECTED || outcome == Pricing.Outcome.UNPRICED) {
            AdmitNode.deadLetter(context, listener, record, event.original(), sink, reason);
        }
    }
}
