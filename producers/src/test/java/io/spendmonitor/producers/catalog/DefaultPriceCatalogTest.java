package io.spendmonitor.producers.catalog;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.LineResult;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultPriceCatalogTest {
    static List<ParsedEvent> entries = new ArrayList<>();
    static List<LineError> errors = new ArrayList<>();

    @BeforeAll
    static void parseTheWholeFile() throws IOException {
        EventLineParser parser = new EventLineParser().acceptingOnly(EventType.pricesAndBudgets());
        try (BufferedReader reader = DefaultPriceCatalog.open()) {
            int n = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                Optional<LineResult> result = parser.parse(++n, line);
                if (result.isPresent() && result.get() instanceof ParsedEvent e) {
                    entries.add(e);
                } else if (result.isPresent()) {
                    errors.add((LineError) result.get());
                }
            }
        }
    }

    private static List<ApiModelPrice> api(String provider, String model) {
        return entries.stream().map(e -> ((PriceEntry) e.value()).getEntry())
                .filter(e -> e instanceof ApiModelPrice a && a.getProvider().equals(provider) && a.getModel().equals(model))
                .map(ApiModelPrice.class::cast)
                .sorted((a, b) -> a.getEffectiveFrom().compareTo(b.getEffectiveFrom()))
                .toList();
    }

    private static <T> List<T> all(Class<T> type) {
        return entries.stream().map(e -> ((PriceEntry) e.value()).getEntry()).filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void everyLineParses() {
        assertThat(errors).isEmpty();
        assertThat(entries).hasSize(45);
        assertThat(entries).extracting(ParsedEvent::key).doesNotHaveDuplicates();
    }

    @Test
    void gpt35TurboHasThePriceOfItsTime() {
        List<ApiModelPrice> gpt35 = api("openai", "gpt-3.5-turbo");
        assertThat(gpt35).hasSize(4);
        // launch (2023-03-01) $2 / $2, input 25 % cheaper from 2023-06-13: a mid-2023 replay is priced
        assertThat(gpt35.get(0).getEffectiveFrom()).isEqualTo(Instant.parse("2023-03-01T00:00:00Z"));
        assertThat(gpt35.get(0).getInputUsdPerMtok()).isEqualTo(new BigDecimal("2.000000000"));
        assertThat(gpt35.get(0).getOutputUsdPerMtok()).isEqualTo(new BigDecimal("2.000000000"));
        assertThat(gpt35.get(1).getEffectiveFrom()).isEqualTo(Instant.parse("2023-06-13T00:00:00Z"));
        assertThat(gpt35.get(1).getInputUsdPerMtok()).isEqualTo(new BigDecimal("1.500000000"));
        assertThat(gpt35.get(1).getOutputUsdPerMtok()).isEqualTo(new BigDecimal("2.000000000"));
        gpt35 = gpt35.subList(2, 4);
        assertThat(api("openai", "gpt-4-32k")).singleElement().satisfies(p -> {
            assertThat(p.getInputUsdPerMtok()).isEqualTo(new BigDecimal("60.000000000"));
            assertThat(p.getOutputUsdPerMtok()).isEqualTo(new BigDecimal("120.000000000"));
        });
        assertThat(gpt35.get(0).getEffectiveFrom()).isEqualTo(Instant.parse("2023-11-06T00:00:00Z"));
        assertThat(gpt35.get(0).getInputUsdPerMtok()).isEqualTo(new BigDecimal("1.000000000"));
        assertThat(gpt35.get(0).getOutputUsdPerMtok()).isEqualTo(new BigDecimal("2.000000000"));
        assertThat(gpt35.get(1).getEffectiveFrom()).isEqualTo(Instant.parse("2024-01-25T00:00:00Z"));
        assertThat(gpt35.get(1).getInputUsdPerMtok()).isEqualTo(new BigDecimal("0.500000000"));
        assertThat(gpt35.get(1).getOutputUsdPerMtok()).isEqualTo(new BigDecimal("1.500000000"));
        assertThat(api("openai", "gpt-4-turbo")).singleElement().satisfies(p -> {
            assertThat(p.getInputUsdPerMtok()).isEqualTo(new BigDecimal("10.000000000"));
            assertThat(p.getOutputUsdPerMtok()).isEqualTo(new BigDecimal("30.000000000"));
        });
        assertThat(api("openai", "gpt-4")).singleElement().satisfies(p -> {
            assertThat(p.getInputUsdPerMtok()).isEqualTo(new BigDecimal("30.000000000"));
            assertThat(p.getOutputUsdPerMtok()).isEqualTo(new BigDecimal("60.000000000"));
        });
    }

    @Test
    void coversTheModelsAndGpusOfTheContract() {
        Set<String> models = all(ApiModelPrice.class).stream().map(p -> p.getProvider() + "/" + p.getModel()).collect(Collectors.toSet());
        assertThat(models).contains("openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-4.1-mini",
                "openai/gpt-4.1-nano", "openai/o3", "openai/o4-mini", "anthropic/claude-opus-4-1",
                "anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5", "anthropic/claude-3-5-haiku",
                "google/gemini-2.5-pro", "google/gemini-2.5-flash", "google/gemini-2.0-flash");
        assertThat(all(GpuPrice.class)).extracting(GpuPrice::getGpuModel).containsExactlyInAnyOrder(
                "H100-80GB", "H200-141GB", "A100-80GB", "A100-40GB", "L40S", "L4", "A10G", "T4");
        assertThat(all(SelfHostProfile.class)).extracting(SelfHostProfile::getModel)
                .contains("llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b", "mistral-7b", "qwen2.5-7b",
                        "llama-2-7b", "llama-2-13b", "llama-2-70b", "phi-1.5", "pythia-1b");
        // Anthropic prices caching both ways; Gemini 2.5 Pro above 200K input tokens
        assertThat(api("anthropic", "claude-sonnet-4-5").get(0).getCacheWriteUsdPerMtok()).isEqualTo(new BigDecimal("3.750000000"));
        ApiModelPrice pro = api("google", "gemini-2.5-pro").get(0);
        assertThat(pro.getLongContextThresholdTokens()).isEqualTo(200_000L);
        assertThat(pro.getLongContextInputUsdPerMtok()).isEqualTo(new BigDecimal("2.500000000"));
        assertThat(pro.getLongContextOutputUsdPerMtok()).isEqualTo(new BigDecimal("15.000000000"));
    }

    @Test
    void everyProfileCanBePricedFromItsFirstDay() {
        for (SelfHostProfile p : all(SelfHostProfile.class)) {
            String what = p.getModel() + " on " + p.getGpuModel();
            assertThat(all(GpuPrice.class)).as(what + ": a GPU price in force")
                    .anyMatch(g -> g.getGpuModel().equals(p.getGpuModel()) && !g.getEffectiveFrom().isAfter(p.getEffectiveFrom()));
            String[] api = p.getApiEquivalent().split("/", 2);
            assertThat(api(api[0], api[1])).as(what + ": the API model it replaces has a price").isNotEmpty();
        }
        assertThat(all(SelfHostProfile.class)).filteredOn(p -> p.getModel().equals("llama-2-70b")).singleElement()
                .satisfies(p -> {
                    assertThat(p.getGpuModel()).isEqualTo("A100-80GB");
                    assertThat(p.getGpusPerReplica()).isEqualTo(2);
                    assertThat(p.getApiEquivalent()).isEqualTo("openai/gpt-3.5-turbo");
                });
    }

    @Test
    void everyEntryNamesItsSource() {
        for (ParsedEvent e : entries) {
            Object entry = ((PriceEntry) e.value()).getEntry();
            String source = PriceTable.source(entry);
            assertThat(source).as(e.key()).isNotEqualTo("-").matches(".*20\\d\\d.*");
        }
    }
}
