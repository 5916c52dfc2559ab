package io.spendmonitor.producers.jsonl;

import com.sun.management.ThreadMXBean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON-lines parser over hostile lines: it answers with an event or a typed {@link LineError},
 * never an exception, and allocates at most a fixed amount per character of the line, whatever
 * number (exponent, scale, length) a field holds.
 */
class EventLineParserProperties {
    /** Jackson reads a line into a String, a token buffer and a tree: a few bytes per character, with margin. */
    static final long BYTES_PER_CHAR = 200;
    static final long CONSTANT_BYTES = 2_000_000;
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Valid lines of every type; one field's value is replaced by {@code %s}. */
    private static final List<String> TEMPLATES = List.of(
            EventLineParserTest.USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":%s") + "}",
            EventLineParserTest.USAGE.replace("\"output_tokens\":200", "\"output_tokens\":%s") + "}",
            EventLineParserTest.USAGE + ",\"reported_cost_usd\":%s}",
            EventLineParserTest.USAGE + ",\"latency_ms\":%s}",
            EventLineParserTest.USAGE.replace("\"2026-11-27T10:00:00Z\"", "%s") + "}",
            EventLineParserTest.USAGE.replace("\"search\"", "%s") + "}",
            EventLineNumbersTest.SAMPLE.replace("0.5", "%s") + "}",
            EventLineNumbersTest.SAMPLE.replace(":15", ":%s") + "}",
            EventLineNumbersTest.SAMPLE + ",\"usd_per_hour\":%s}",
            EventLineNumbersTest.SAMPLE + ",\"memory_total_bytes\":%s}",
            EventLineNumbersTest.SAMPLE + ",\"power_watts\":%s}",
            EventLineNumbersTest.PROFILE.replace("0.7", "%s") + "}",
            EventLineNumbersTest.PROFILE.replace("\"gpus_per_replica\":1", "\"gpus_per_replica\":%s") + "}",
            EventLineNumbersTest.PROFILE + ",\"min_replicas\":%s}",
            "{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":%s,\"effective_from\":\"2026-01-01\"}",
            "{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":1,\"effective_from\":%s}",
            "{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"m\",\"input_usd_per_mtok\":%s,\"output_usd_per_mtok\":1,"
                    + "\"effective_from\":\"2026-01-01\"}",
            "{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"m\",\"input_usd_per_mtok\":1,\"output_usd_per_mtok\":1,"
                    + "\"long_context_threshold_tokens\":%s,\"long_context_input_usd_per_mtok\":2,\"long_context_output_usd_per_mtok\":2,"
                    + "\"effective_from\":\"2026-01-01\"}",
            "{\"type\":\"team_budget\",\"team\":\"search\",\"daily_usd\":%s,\"effective_from\":\"2026-01-01\"}");

    @Property(tries = 400, seed = "20261127")
    void anyValueInAnyField(@ForAll("templates") String template, @ForAll("values") String value) {
        parseWithinBounds(template.replace("%s", value));
    }

    @Property(tries = 300, seed = "20261127")
    void anyText(@ForAll("texts") String line) {
        parseWithinBounds(line);
    }

    private static void parseWithinBounds(String line) {
        EventLineParser parser = EventLineParserTest.newParser();
        long least = Long.MAX_VALUE;
        Optional<LineResult> result = Optional.empty();
        // twice, bounding the smaller: the first parse on a new path may link call sites once per JVM
        for (int i = 0; i < 2; i++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            result = parser.parse(1, line);
            least = Math.min(least, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        assertThat(least).as("bytes allocated for a line of %d characters", line.length())
                .isLessThanOrEqualTo(CONSTANT_BYTES + BYTES_PER_CHAR * line.length());
        result.ifPresent(r -> {
            if (r instanceof LineError e) {
                assertThat(e.reason()).isNotBlank();
                assertThat(e.message()).hasSizeLessThan(400);
            }
        });
        Statistics.collect(result.map(r -> r instanceof LineError e ? e.reason() : "event").orElse("skipped"));
    }

    @Provide
    Arbitrary<String> templates() {
        return Arbitraries.of(TEMPLATES);
    }

    /** JSON values a client might send, hostile numbers above all. */
    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> digits = Arbitraries.integers().between(1, 3_000).map(n -> "9".repeat(n));
        Arbitrary<String> exponent = Arbitraries.oneOf(Arbitraries.integers().between(-50, 50), Arbitraries.integers())
                .map(e -> "e" + e);
        Arbitrary<String> mantissa = Arbitraries.oneOf(Arbitraries.longs().map(String::valueOf),
                Arbitraries.integers().between(0, 5_000).map(n -> "0." + "0".repeat(n) + "1"),
                Arbitraries.doubles().map(d -> Double.isFinite(d) ? Double.toString(d) : "1.5"), digits);
        Arbitrary<String> number = Combinators.combine(mantissa, exponent.injectNull(0.5))
                .as((m, e) -> e == null ? m : m.replace("E", "e").contains("e") ? m : m + e);
        Arbitrary<String> quoted = number.map(n -> "\"" + n + "\"");
        Arbitrary<String> texts = Arbitraries.strings().ofMaxLength(40).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\"");
        Arbitrary<String> others = Arbitraries.of("true", "false", "null", "{}", "[]", "[1,2]", "{\"a\":1}", "\"\"", "-", "1e", "--1",
                "\"2026-11-27T10:00:00Z\"", "\"2026-11-27\"", "\"1795773600000\"", "1795773600000", "NaN", "Infinity");
        return Arbitraries.frequencyOf(Tuple.of(5, number), Tuple.of(3, quoted), Tuple.of(1, texts), Tuple.of(1, others));
    }

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> any = Arbitraries.strings().ofMaxLength(300);
        Arbitrary<String> jsonish = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"type\"", "\"token_usage\"", "\"team\"",
                "\"input_tokens\"", "1e999999999", "\"x\"", "0.", "9".repeat(50), " ", "null", "\\u0000")
                .list().ofMaxSize(40).map(parts -> String.join("", parts));
        return Arbitraries.oneOf(any, jsonish);
    }
}
