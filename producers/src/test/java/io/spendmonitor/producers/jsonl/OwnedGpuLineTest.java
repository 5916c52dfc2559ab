package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.OwnedGpuPrice;
import io.spendmonitor.avro.PriceEntry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OwnedGpuLineTest {
    private final EventLineParser parser = new EventLineParser();

    @Test
    void anOwnedGpuLineIsACatalogEntryAndImpossibleFiguresAreALineError() {
        LineResult ok = parser.parse(1, "{\"type\":\"owned_gpu\",\"gpu_model\":\"A100-80GB-owned\",\"gpus\":8,\"purchase_usd\":\"200000\","
                + "\"amortisation_years\":4,\"power_kw\":6.5,\"usd_per_kwh\":\"0.12\",\"hosting_usd_per_month\":\"700\","
                + "\"effective_from\":\"2023-08-01T00:00:00Z\",\"source\":\"the seed's DGX-class box\"}").orElseThrow();
        assertThat(ok).isInstanceOf(ParsedEvent.class);
        ParsedEvent event = (ParsedEvent) ok;
        assertThat(event.type()).isEqualTo(EventType.OWNED_GPU);
        assertThat(event.key()).isEqualTo("gpu|A100-80GB-owned|2023-08-01T00:00:00.000Z");
        OwnedGpuPrice owned = (OwnedGpuPrice) ((PriceEntry) event.value()).getEntry();
        assertThat(owned.getGpus()).isEqualTo(8);
        assertThat(owned.getPurchaseUsd()).isEqualByComparingTo("200000");

        LineResult bad = parser.parse(2, "{\"type\":\"owned_gpu\",\"gpu_model\":\"x\",\"purchase_usd\":\"1000\",\"amortisation_years\":0,"
                + "\"power_kw\":1,\"usd_per_kwh\":\"0.1\",\"effective_from\":\"2023-08-01T00:00:00Z\"}").orElseThrow();
        assertThat(bad).isInstanceOf(LineError.class);
        assertThat(((LineError) bad).message()).contains("amortisation_years");
    }
}
