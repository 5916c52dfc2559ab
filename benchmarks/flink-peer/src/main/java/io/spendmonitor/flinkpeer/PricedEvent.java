package io.spendmonitor.flinkpeer;

import io.spendmonitor.streams.cost.Pricing;

/**
 * A priced call or GPU sample on its way into its team's window. It travels only along a chained
 * edge (pricing and windowing share the key, see {@link PeerJob}), so it is never serialized.
 */
public class PricedEvent {
    public Pricing.PricedCall call;
    public Pricing.PricedSample sample;

    public PricedEvent() {
    }

    PricedEvent(Pricing.PricedCall call, Pricing.PricedSample sample) {
        this.call = call;
        this.sample = sample;
    }

    long timestampMs() {
        return call != null ? call.call().timestampMs() : sample.sample().timestampMs();
    }
}
