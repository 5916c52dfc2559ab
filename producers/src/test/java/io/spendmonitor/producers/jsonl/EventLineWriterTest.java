package io.spendmonitor.producers.jsonl;

import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventLineWriterTest {
    @Test
    void writtenLinesParseBackToEqualRecords() {
        List<String> lines = List.of(
                EventLineParserTest.USAGE + ",\"event_id\":\"e1\",\"reported_cost_usd\":\"0.00131\",\"attributes\":{\"b\":\"2\",\"a\":\"1\"}}",
                "{\"type\":\"gpu_utilization\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"node\":\"n1\",\"gpu_id\":\"0\","
                        + "\"gpu_model\":\"L4\",\"team\":\"search\",\"utilization\":0.25,\"interval_seconds\":15,\"usd_per_hour\":0.8048}",
                "{\"type\":\"api_price\",\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\",\"input_usd_per_mtok\":3,"
                        + "\"cached_input_usd_per_mtok\":0.3,\"cache_write_usd_per_mtok\":3.75,\"output_usd_per_mtok\":15,"
                        + "\"long_context_threshold_tokens\":200000,\"long_context_input_usd_per_mtok\":6,"
                        + "\"long_context_output_usd_per_mtok\":22.5,\"effective_from\":\"2025-09-29T00:00:00Z\",\"source\":\"s\"}",
                "{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":\"0.526\",\"effective_from\":\"2019-09-20T00:00:00Z\"}",
                "{\"type\":\"selfhost_profile\",\"model\":\"phi-1.5\",\"gpu_model\":\"T4\",\"gpus_per_replica\":1,"
                        + "\"tokens_per_second_per_replica\":1500,\"target_utilization\":0.7,\"overhead_usd_per_hour\":\"0.05\","
                        + "\"api_equivalent\":\"openai/gpt-3.5-turbo\",\"effective_from\":\"2023-09-11T00:00:00Z\"}",
                "{\"type\":\"team_budget\",\"team\":\"search\",\"monthly_usd\":\"2500\",\"effective_from\":\"2026-11-01T00:00:00Z\"}");
        EventLineParser parser = EventLineParserTest.newParser();
        for (String line : lines) {
            SpecificRecord record = ((ParsedEvent) parser.parse(1, line).orElseThrow()).value();
            String written = EventLineWriter.toLine((org.apache.avro.generic.IndexedRecord) record);
            LineResult back = EventLineParserTest.newParser().parse(1, written).orElseThrow();
            assertThat(back).as(written).isInstanceOf(ParsedEvent.class);
            assertThat(((ParsedEvent) back).value()).as(written).isEqualTo(record);
        }
    }

    @Test
    void writesMoneyAsExactDecimalStringsAndLeavesOutNulls() {
        String line = "{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":0.526,\"effective_from\":1568937600000}";
        SpecificRecord record = ((ParsedEvent) EventLineParserTest.newParser().parse(1, line).orElseThrow()).value();
        // 1568937600000 ms = 2019-09-20T00:00:00Z; source is null and left out
        assertThat(EventLineWriter.toLine((org.apache.avro.generic.IndexedRecord) record))
                .isEqualTo("{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":\"0.526\",\"effective_from\":\"2019-09-20T00:00:00Z\"}");
    }

    @Test
    void decimalTextKeepsTwoDecimalsAtLeast() {
        assertThat(EventLineWriter.decimalText(new BigDecimal("2.500000000"))).isEqualTo("2.50");
        assertThat(EventLineWriter.decimalText(new BigDecimal("10.000000000"))).isEqualTo("10.00");
        assertThat(EventLineWriter.decimalText(new BigDecimal("0.075000000"))).isEqualTo("0.075");
        assertThat(EventLineWriter.decimalText(new BigDecimal("1E+3"))).isEqualTo("1000.00");
        assertThat(EventLineWriter.decimalText(new BigDecimal("0.000000001"))).isEqualTo("0.000000001");
    }
}
