package io.spendmonitor.producers.jsonl;

import com.sun.management.ThreadMXBean;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Numbers in JSON lines (issue 12 defect 8, issue 13) and the one set of event rules (issue 12 defect 9). */
class EventLineNumbersTest {
    static final String USAGE = EventLineParserTest.USAGE;
    static final String SAMPLE = "{\"type\":\"gpu_utilization\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"node\":\"n1\",\"gpu_id\":\"0\","
            + "\"gpu_model\":\"L4\",\"team\":\"search\",\"utilization\":0.5,\"interval_seconds\":15";
    static final String PROFILE = "{\"type\":\"selfhost_profile\",\"model\":\"llama-3.1-8b\",\"gpu_model\":\"H100-80GB\","
            + "\"gpus_per_replica\":1,\"tokens_per_second_per_replica\":8000,\"target_utilization\":0.7,"
            + "\"overhead_usd_per_hour\":\"0.20\",\"api_equivalent\":\"openai/gpt-4o-mini\",\"effective_from\":\"2026-01-01\"";

    private final EventLineParser parser = EventLineParserTest.newParser();

    private Object value(String line) {
        LineResult result = parser.parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(ParsedEvent.class);
        return ((ParsedEvent) result).value();
    }

    private LineError error(String line) {
        LineResult result = parser.parse(3, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(LineError.class);
        return (LineError) result;
    }

    @Test
    void everyNumericFieldTakesADecimalStringToo() {
        SelfHostProfile profile = (SelfHostProfile) ((PriceEntry) value(PROFILE.replace("0.7", "\"0.6\"")
                .replace(":8000", ":\"8000\"").replace("\"gpus_per_replica\":1", "\"gpus_per_replica\":\"2\"")
                + ",\"min_replicas\":\"0\"}")).getEntry();
        assertThat(profile.getTargetUtilization()).isEqualTo(0.6);
        assertThat(profile.getTokensPerSecondPerReplica()).isEqualTo(8000.0);
        assertThat(profile.getGpusPerReplica()).isEqualTo(2);
        assertThat(profile.getMinReplicas()).isZero();

        TokenUsage usage = (TokenUsage) value(USAGE.replace("1000", "\"1000\"").replace(":200", ":\"200\"")
                + ",\"cached_input_tokens\":\"600\",\"latency_ms\":\" 35 \"}");
        assertThat(usage.getInputTokens()).isEqualTo(1000);
        assertThat(usage.getOutputTokens()).isEqualTo(200);
        assertThat(usage.getCachedInputTokens()).isEqualTo(600);
        assertThat(usage.getLatencyMs()).isEqualTo(35);
        // a timestamp as a string of epoch milliseconds: 1795773600000 ms = 2026-11-27T10:00:00Z
        assertThat(((TokenUsage) value(USAGE.replace("\"2026-11-27T10:00:00Z\"", "\"1795773600000\"") + "}")).getTimestamp())
                .isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));

        // 2^53 + 1 = 9007199254740993 has no double; as a string and as a number it stays exact
        GpuUtilization sample = (GpuUtilization) value(SAMPLE.replace("0.5", "\"0.5\"").replace(":15", ":\"15\"")
                + ",\"memory_used_bytes\":\"9007199254740993\",\"memory_total_bytes\":9007199254740993,\"power_watts\":\"300.5\"}");
        assertThat(sample.getUtilization()).isEqualTo(0.5);
        assertThat(sample.getIntervalSeconds()).isEqualTo(15.0);
        assertThat(sample.getMemoryUsedBytes()).isEqualTo(9_007_199_254_740_993L);
        assertThat(sample.getMemoryTotalBytes()).isEqualTo(9_007_199_254_740_993L);
        assertThat(sample.getPowerWatts()).isEqualTo(300.5);

        ApiModelPrice price = (ApiModelPrice) ((PriceEntry) value("{\"type\":\"api_price\",\"provider\":\"openai\","
                + "\"model\":\"gpt-4.1\",\"input_usd_per_mtok\":2,\"output_usd_per_mtok\":\"8\",\"long_context_threshold_tokens\":\"200000\","
                + "\"long_context_input_usd_per_mtok\":4,\"long_context_output_usd_per_mtok\":16,\"effective_from\":\"2026-01-01\"}")).getEntry();
        assertThat(price.getLongContextThresholdTokens()).isEqualTo(200_000L);
        TeamBudget budget = (TeamBudget) value("{\"type\":\"team_budget\",\"team\":\"search\",\"daily_usd\":\"100\","
                + "\"monthly_usd\":2500.5,\"effective_from\":\"2026-01-01\"}");
        assertThat(budget.getMonthlyUsd()).isEqualTo(new BigDecimal("2500.500000000"));
    }

    @Test
    void aFractionForAWholeNumberIsAClearError() {
        LineError fraction = error(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":\"1.5\"") + "}");
        assertThat(fraction.reason()).isEqualTo(LineError.WRONG_TYPE);
        assertThat(fraction.message()).isEqualTo("input_tokens must be a whole number, got string \"1.5\"");
        assertThat(error(PROFILE.replace("\"gpus_per_replica\":1", "\"gpus_per_replica\":1.5") + "}").message())
                .isEqualTo("gpus_per_replica must be a whole number, got number 1.5");
        assertThat(error(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":\"a lot\"") + "}").message())
                .isEqualTo("input_tokens is not a decimal number: \"a lot\"");
    }

    @Test
    void numberBombsAreRejectedAtOnceInEveryField() {
        // each costs a few bytes to send; read naively (toPlainString, setScale, toBigInteger) each costs
        // a billion digits of memory
        List<String> bombs = List.of("1e999999999", "-1e999999999", "1e-999999999", "9.99e99999999", "\"1e999999999\"",
                "\"1E-999999999\"", "\"1e99999999999\"", "0e-2147483648", "1e2147483648", "0." + "0".repeat(1_000_000) + "1",
                "\"0." + "0".repeat(1_000_000) + "1\"", "9".repeat(10_000_000), "\"" + "9".repeat(10_000_000) + "\"");
        List<String> lines = List.of(
                USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":%s") + "}",
                USAGE + ",\"reported_cost_usd\":%s}",
                USAGE.replace("\"2026-11-27T10:00:00Z\"", "%s") + "}",
                SAMPLE.replace("0.5", "%s") + "}",
                SAMPLE + ",\"usd_per_hour\":%s}",
                SAMPLE + ",\"memory_used_bytes\":%s}",
                PROFILE.replace("0.7", "%s") + "}",
                PROFILE.replace("\"gpus_per_replica\":1", "\"gpus_per_replica\":%s") + "}",
                "{\"type\":\"team_budget\",\"team\":\"search\",\"daily_usd\":%s,\"effective_from\":\"2026-01-01\"}");
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String line : lines) {
            for (String bomb : bombs) {
                String text = line.replace("%s", bomb);
                long before = threads.getCurrentThreadAllocatedBytes();
                LineResult result = parser.parse(3, text).orElseThrow();
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                String shown = line.replace("%s", bomb.length() > 30 ? bomb.substring(0, 30) + "..." : bomb);
                assertThat(result).as(shown).isInstanceOf(LineError.class);
                // memory in proportion to the line (Jackson reads it into a String and a tree), never to the exponent
                assertThat(allocated).as("bytes allocated for %s", shown).isLessThan(64L * text.length() + 8_000_000L);
                assertThat(((LineError) result).message()).as(shown).hasSizeLessThan(300);
            }
        }
    }

    @Test
    void theEdgeRefusesWhatTheTopologyWouldDeadLetter() {
        // the topology's limit is 200 characters; JSON lines used to take 256
        LineError longTeam = error(USAGE.replace("\"team\":\"search\"", "\"team\":\"" + "t".repeat(201) + "\"") + "}");
        assertThat(longTeam.reason()).isEqualTo("bad-name");
        assertThat(longTeam.message()).isEqualTo("team is longer than 200 characters");
        LineError markup = error(USAGE.replace("\"team\":\"search\"", "\"team\":\"<b>search</b>\"") + "}");
        assertThat(markup.reason()).isEqualTo("bad-name");
        // a day at $10,000/h is $240,000: more than the topology's femto-dollar long holds
        assertThat(error(SAMPLE.replace(":15", ":86400") + ",\"usd_per_hour\":10000}").reason()).isEqualTo("absurd-price");
        assertThat(error(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":10000001") + "}").reason())
                .isEqualTo("absurd-tokens");
        LineError future = error(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T12:01:00.001Z") + "}");
        assertThat(future.reason()).isEqualTo("future-timestamp");
        assertThat(future.message()).isEqualTo("timestamp 2026-11-27T12:01:00.001Z is more than 1 minute in the future");
    }
}
