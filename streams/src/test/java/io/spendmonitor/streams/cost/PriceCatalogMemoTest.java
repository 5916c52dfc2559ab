package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.schemas.PriceKeys;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog remembers which subject a (provider, model, tier) names, so pricing a call builds no
 * subject string. Whatever it remembered, the answer must be the catalog's as it is now.
 */
class PriceCatalogMemoTest {
    private static final long AT = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
    private final PriceCatalog catalog = new PriceCatalog();

    private static PriceEntry price(String model, String tier, String inputUsdPerMtok, String from) {
        return new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel(model).setServiceTier(tier)
                .setInputUsdPerMtok(new BigDecimal(inputUsdPerMtok).setScale(9)).setOutputUsdPerMtok(new BigDecimal("2.000000000"))
                .setEffectiveFrom(Instant.parse(from)).build());
    }

    private void apply(PriceEntry entry) {
        catalog.apply(PriceKeys.key(entry), entry);
    }

    /** The cost in nano-USD of 1,000,000 input tokens: the input price per Mtok. */
    private BigDecimal perMtok(String model, String tier) {
        return catalog.apiPrice("openai", model, tier, AT)
                .map(p -> Money.usdNanos(p.costFemto(new TokenCounts(1_000_000, 0, 0, 0)))).orElse(null);
    }

    @Test
    void aPriceArrivingAfterTheModelWasMissingIsFound() {
        assertThat(perMtok("gpt-new", null)).isNull(); // remembered as "no price"
        apply(price("gpt-new", null, "3.00", "2026-01-01T00:00:00Z"));
        // 1,000,000 * $3.00 / 1e6 = $3.00
        assertThat(perMtok("gpt-new", null)).isEqualByComparingTo("3.00");
    }

    @Test
    void aNewVersionOfAKnownSubjectAndItsTombstoneShowAtOnce() {
        apply(price("gpt-4o", null, "2.50", "2025-01-01T00:00:00Z"));
        assertThat(perMtok("gpt-4o", null)).isEqualByComparingTo("2.50");
        PriceEntry cut = price("gpt-4o", null, "1.25", "2026-02-01T00:00:00Z");
        apply(cut);
        assertThat(perMtok("gpt-4o", null)).isEqualByComparingTo("1.25");
        catalog.apply(PriceKeys.key(cut), null);
        assertThat(perMtok("gpt-4o", null)).isEqualByComparingTo("2.50");
    }

    @Test
    void aTierWithoutItsOwnPriceUsesTheDefaultUntilItGetsOne() {
        apply(price("gpt-4o", null, "2.50", "2025-01-01T00:00:00Z"));
        assertThat(perMtok("gpt-4o", "flex")).isEqualByComparingTo("2.50");
        apply(price("gpt-4o", "flex", "1.25", "2025-01-01T00:00:00Z"));
        assertThat(perMtok("gpt-4o", "flex")).isEqualByComparingTo("1.25");
        assertThat(perMtok("gpt-4o", "")).isEqualByComparingTo("2.50"); // "" is the default tier, like null
    }

    @Test
    void moreNamesThanTheMemoHoldsAreStillPricedRight() {
        for (int i = 0; i < PriceCatalog.MAX_MEMO + 100; i++) {
            assertThat(perMtok("flood-" + i, null)).isNull();
        }
        apply(price("gpt-4o", null, "2.50", "2025-01-01T00:00:00Z"));
        for (int i = 0; i < PriceCatalog.MAX_MEMO + 100; i++) {
            assertThat(perMtok("flood-" + i, null)).isNull();
        }
        assertThat(perMtok("gpt-4o", null)).isEqualByComparingTo("2.50");
        apply(price("flood-" + (PriceCatalog.MAX_MEMO + 99), null, "7.00", "2025-01-01T00:00:00Z"));
        assertThat(perMtok("flood-" + (PriceCatalog.MAX_MEMO + 99), null)).isEqualByComparingTo("7.00");
    }
}
