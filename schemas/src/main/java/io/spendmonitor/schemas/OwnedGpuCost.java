package io.spendmonitor.schemas;

import io.spendmonitor.avro.OwnedGpuPrice;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * What an owned GPU costs an hour, busy or idle: the machine's purchase written off evenly over
 * its years, its power, and its hosting, shared by its GPUs.
 * <pre>
 *   per machine-hour = purchase / (years * 8760) + kW * $/kWh + hosting a month / 730
 *   per GPU-hour     = per machine-hour / gpus, rounded half-even to the nano-dollar
 * </pre>
 * (8,760 hours a year; 730 a month, a twelfth of them.) The rounding is the catalog's: prices are
 * nano-dollars.
 */
public final class OwnedGpuCost {
    public static final BigDecimal HOURS_PER_YEAR = BigDecimal.valueOf(8760);
    public static final BigDecimal HOURS_PER_MONTH = BigDecimal.valueOf(730);

    private OwnedGpuCost() {
    }

    /** The price per GPU-hour; {@link IllegalArgumentException} for figures that cannot be a machine. */
    public static BigDecimal usdPerGpuHour(OwnedGpuPrice p) {
        if (p.getGpus() < 1 || p.getGpus() > 1024) {
            throw new IllegalArgumentException("gpus of an owned machine must be 1..1024, got " + p.getGpus());
        }
        if (!(p.getAmortisationYears() > 0 && p.getAmortisationYears() <= 20)) {
            throw new IllegalArgumentException("amortisation_years must be in (0, 20], got " + p.getAmortisationYears());
        }
        if (!(p.getPowerKw() >= 0 && p.getPowerKw() <= 1000)) {
            throw new IllegalArgumentException("power_kw must be in [0, 1000], got " + p.getPowerKw());
        }
        BigDecimal purchase = nonNegative(p.getPurchaseUsd(), "purchase_usd");
        BigDecimal perKwh = nonNegative(p.getUsdPerKwh(), "usd_per_kwh");
        BigDecimal hosting = p.getHostingUsdPerMonth() == null ? BigDecimal.ZERO : nonNegative(p.getHostingUsdPerMonth(), "hosting_usd_per_month");
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal machineHour = purchase.divide(BigDecimal.valueOf(p.getAmortisationYears()).multiply(HOURS_PER_YEAR), mc)
                .add(BigDecimal.valueOf(p.getPowerKw()).multiply(perKwh))
                .add(hosting.divide(HOURS_PER_MONTH, mc));
        return machineHour.divide(BigDecimal.valueOf(p.getGpus()), mc).setScale(9, RoundingMode.HALF_EVEN);
    }

    private static BigDecimal nonNegative(BigDecimal v, String field) {
        if (v == null || v.signum() < 0) {
            throw new IllegalArgumentException(field + " must be 0 or more");
        }
        return v;
    }
}
