package io.spendmonitor.schemas;

import io.spendmonitor.avro.OwnedGpuPrice;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OwnedGpuCostTest {
    private static OwnedGpuPrice.Builder dgx() {
        // the seed's figures: a DGX-class box of 8 GPUs at about $200,000, about $65,000 a year to run
        return OwnedGpuPrice.newBuilder().setGpuModel("A100-80GB-owned").setGpus(8).setPurchaseUsd(new BigDecimal("200000"))
                .setAmortisationYears(4).setPowerKw(6.5).setUsdPerKwh(new BigDecimal("0.12")).setHostingUsdPerMonth(new BigDecimal("700"))
                .setEffectiveFrom(Instant.parse("2023-08-01T00:00:00Z"));
    }

    @Test
    void aMachinesPurchasePowerAndHostingBecomeAPricePerGpuHour() {
        // per machine-hour: 200,000 / (4 * 8760) = 5.707762557...; 6.5 kW * $0.12 = 0.78; 700 / 730 = 0.958904109...
        // = 7.446666666...; a year: 7.446666... * 8760 = $65,232.80 (the seed's "about $65,000")
        // per GPU-hour: 7.446666666... / 8 = 0.930833333... -> $0.930833333 (nano-dollars, half-even)
        assertThat(OwnedGpuCost.usdPerGpuHour(dgx().build())).isEqualByComparingTo("0.930833333");
        // without hosting: (5.707762557 + 0.78) / 8 = 0.810970319...
        assertThat(OwnedGpuCost.usdPerGpuHour(dgx().setHostingUsdPerMonth(null).build())).isEqualByComparingTo("0.810970320");
    }

    @Test
    void figuresThatCannotBeAMachineAreRefused() {
        assertThatThrownBy(() -> OwnedGpuCost.usdPerGpuHour(dgx().setGpus(0).build())).hasMessageContaining("gpus");
        assertThatThrownBy(() -> OwnedGpuCost.usdPerGpuHour(dgx().setAmortisationYears(0).build())).hasMessageContaining("amortisation_years");
        assertThatThrownBy(() -> OwnedGpuCost.usdPerGpuHour(dgx().setPowerKw(Double.NaN).build())).hasMessageContaining("power_kw");
        assertThatThrownBy(() -> OwnedGpuCost.usdPerGpuHour(dgx().setPurchaseUsd(new BigDecimal("-1")).build())).hasMessageContaining("purchase_usd");
    }

    @Test
    void anOwnedGpuIsAVersionOfItsGpuModelsPrice() {
        assertThat(PriceKeys.key(new io.spendmonitor.avro.PriceEntry(dgx().build())))
                .isEqualTo("gpu|A100-80GB-owned|2023-08-01T00:00:00.000Z");
    }
}
