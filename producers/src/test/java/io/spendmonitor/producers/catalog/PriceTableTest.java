package io.spendmonitor.producers.catalog;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PriceTableTest {
    private static PriceEntry entry(String line) {
        return (PriceEntry) ((ParsedEvent) new EventLineParser().parse(1, line).orElseThrow()).value();
    }

    @Test
    void rendersAnAlignedTableSortedByKindSubjectAndTime() {
        List<PriceEntry> entries = List.of(
                entry("{\"type\":\"selfhost_profile\",\"model\":\"llama-2-70b\",\"gpu_model\":\"A100-80GB\",\"gpus_per_replica\":2,"
                        + "\"tokens_per_second_per_replica\":700,\"target_utilization\":0.7,\"overhead_usd_per_hour\":\"0.30\","
                        + "\"api_equivalent\":\"openai/gpt-3.5-turbo\",\"effective_from\":\"2023-07-18T00:00:00Z\",\"source\":\"assumption\"}"),
                entry("{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":\"0.526\",\"effective_from\":\"2019-09-20T00:00:00Z\"}"),
                entry("{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-3.5-turbo\",\"input_usd_per_mtok\":\"0.5\","
                        + "\"output_usd_per_mtok\":\"1.5\",\"effective_from\":\"2024-01-25T00:00:00Z\",\"source\":\"openai\"}"),
                entry("{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-3.5-turbo\",\"input_usd_per_mtok\":\"1\","
                        + "\"output_usd_per_mtok\":\"2\",\"effective_from\":\"2023-11-06T12:30:00Z\",\"source\":\"openai\"}"),
                entry("{\"type\":\"api_price\",\"provider\":\"google\",\"model\":\"gemini-2.5-pro\",\"input_usd_per_mtok\":\"1.25\","
                        + "\"cached_input_usd_per_mtok\":\"0.125\",\"output_usd_per_mtok\":\"10\",\"long_context_threshold_tokens\":200000,"
                        + "\"long_context_input_usd_per_mtok\":\"2.5\",\"long_context_output_usd_per_mtok\":\"15\","
                        + "\"effective_from\":\"2025-06-17T00:00:00Z\",\"source\":\"google\"}"));
        assertThat(PriceTable.render(entries)).containsExactly(
                "KIND     SUBJECT                      EFFECTIVE_FROM        PRICES (USD)                                                                                   SOURCE",
                "api      google/gemini-2.5-pro        2025-06-17            in 1.25, cached 0.125, out 10.00 per 1M tokens; above 200000 input tokens: in 2.50, out 15.00  google",
                "api      openai/gpt-3.5-turbo         2023-11-06T12:30:00Z  in 1.00, out 2.00 per 1M tokens                                                                openai",
                "api      openai/gpt-3.5-turbo         2024-01-25            in 0.50, out 1.50 per 1M tokens                                                                openai",
                "gpu      T4                           2019-09-20            0.526 per GPU-hour                                                                             -",
                "profile  llama-2-70b on 2x A100-80GB  2023-07-18            700 tok/s per replica at 70%, min 1, +0.30/h overhead, replaces openai/gpt-3.5-turbo           assumption");
    }
}
