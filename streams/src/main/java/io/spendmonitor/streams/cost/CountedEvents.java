package io.spendmonitor.streams.cost;

/**
 * How a priced event enters its team window: the {@code window} node's rule, pure, so the live
 * topology and a replay ({@code whatif}) count alike. A self-hosted call adds tokens (its cost is
 * the GPU samples'); a priced call adds its cost; an unpriced call is counted and flagged, without
 * cost; a GPU sample without a price adds GPU time, no cost. A rejected event never gets here.
 */
public final class CountedEvents {
    private CountedEvents() {
    }

    public static void add(TeamWindow window, Pricing.PricedCall priced) {
        LlmCall call = priced.call();
        switch (priced.outcome()) {
            case SELF_HOSTED -> window.addSelfHostedCall(call.model(), call.deployment(), call.tokens());
            case PRICED -> window.addApiCall(call.provider(), call.model(), call.tokens(), priced.costFemto());
            case UNPRICED -> window.addApiCall(call.provider(), call.model(), call.tokens(), null);
            case REJECTED -> throw new IllegalArgumentException("a rejected call is never counted");
        }
    }

    public static void add(TeamWindow window, Pricing.PricedSample priced) {
        if (priced.outcome() == Pricing.Outcome.REJECTED) {
            throw new IllegalArgumentException("a rejected sample is never counted");
        }
        GpuSample s = priced.sample();
        boolean costed = priced.outcome() == Pricing.Outcome.PRICED;
        window.addGpuSample(s.deployment(), s.model(), s.gpuModel(), s.intervalSeconds(), s.utilization(),
                costed ? priced.costFemto() : null, costed ? priced.busyFemto() : null);
    }
}
