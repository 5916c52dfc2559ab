package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Prices one call or one GPU sample at its own event time, with the catalog in force then. Pure:
 * the same input and catalog give the same answer, live or in a replay; nothing here changes state.
 */
public final class Pricing {
    private final PriceCatalog catalog;

    public Pricing(PriceCatalog catalog) {
        this.catalog = catalog;
    }

    /** What pricing made of an event: costed, counted without a price (flagged), or rejected (not counted). */
    public enum Outcome { PRICED, SELF_HOSTED, UNPRICED, REJECTED }

    /**
     * @param costFemto the call's cost (PRICED), else 0
     * @param reason    the dead-letter reason for UNPRICED ({@code unpriced}) and REJECTED ({@code absurd-cost})
     */
    public record PricedCall(LlmCall call, Outcome outcome, long costFemto, String reason) {
    }

    /** @param costFemto / busyFemto interval_seconds / 3600 * usd_per_hour and its busy part (PRICED), else 0 */
    public record PricedSample(GpuSample sample, Outcome outcome, long costFemto, long busyFemto, String reason) {
    }

    public PricedCall price(LlmCall call) {
        if (call.selfHosted()) {
            // served by the team's own GPUs: its cost is the GPU samples', not a token price
            return new PricedCall(call, Outcome.SELF_HOSTED, 0, null);
        }
        Optional<ApiPrice> price = catalog.apiPrice(call.provider(), call.model(), call.serviceTier(), call.timestampMs());
        if (price.isEmpty()) {
            return new PricedCall(call, Outcome.UNPRICED, 0, "unpriced");
        }
        try {
            return new PricedCall(call, Outcome.PRICED, price.get().costFemto(call.tokens()), null);
        } catch (ArithmeticException e) {
            // one call costing more than $9,223: no model's price times a real call comes near it
            return new PricedCall(call, Outcome.REJECTED, 0, "absurd-cost");
        }
    }

    public PricedSample price(GpuSample sample) {
        BigDecimal usdPerHour = sample.usdPerHourOverride() != null ? sample.usdPerHourOverride()
                : catalog.gpuUsdPerHour(sample.gpuModel(), sample.timestampMs()).orElse(null);
        if (usdPerHour == null) {
            return new PricedSample(sample, Outcome.UNPRICED, 0, 0, "unpriced");
        }
        try {
            long cost = GpuSamplePricing.costFemto(sample.intervalSeconds(), usdPerHour);
            long busy = GpuSamplePricing.busyFemto(cost, sample.utilization());
            return new PricedSample(sample, Outcome.PRICED, cost, busy, null);
        } catch (ArithmeticException e) {
            return new PricedSample(sample, Outcome.REJECTED, 0, 0, "absurd-cost");
        }
    }
}
