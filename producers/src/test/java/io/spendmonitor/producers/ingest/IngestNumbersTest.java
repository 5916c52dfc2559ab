package io.spendmonitor.producers.ingest;

import com.sun.management.ThreadMXBean;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.LineResult;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Numbers in HTTP ingest bodies: decimal strings survive the re-serialization, number bombs are line errors at once. */
class IngestNumbersTest {
    private static final String CALL = "{\"event_id\":\"e1\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"team\":\"search\","
            + "\"application\":\"a\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":%s,\"output_tokens\":5}";
    private final MockProducer<String, Object> producer = new MockProducer<>(true, null, new StringSerializer(),
            (Serializer<Object>) (topic, data) -> new byte[0]);
    private final IngestService ingest = new IngestService(producer, Topics.withDefaults(new InMemorySchemaRegistryClient()),
            null, Duration.ofSeconds(5));

    @Test
    void decimalStringsAndExactNumbersSurviveTheBodyForms() {
        // the body's events are re-written with their "type" before the parser reads them: strings stay
        // strings and 2^53 + 1 = 9007199254740993 (no double holds it) stays exact, in all three forms
        String sample = "{\"timestamp\":\"2026-11-27T10:00:00Z\",\"node\":\"n1\",\"gpu_id\":\"0\",\"gpu_model\":\"L4\","
                + "\"team\":\"search\",\"utilization\":\"0.25\",\"interval_seconds\":\"15\",\"memory_used_bytes\":9007199254740993,"
                + "\"memory_total_bytes\":\"9007199254740993\",\"usd_per_hour\":\"0.80\"}";
        EventLineParser parser = new EventLineParser(Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC),
                EventLineParser.DEFAULT_EARLIEST_EVENT_TIME, EventLineParser.DEFAULT_MAX_EVENT_TIME_AHEAD,
                Set.of(EventType.GPU_UTILIZATION));
        for (String body : List.of(sample, "[" + sample + "]", sample + "\n" + sample)) {
            for (String line : IngestService.lines(body, EventType.GPU_UTILIZATION)) {
                LineResult result = parser.acceptingOnly(Set.of(EventType.GPU_UTILIZATION)).parse(1, line).orElseThrow();
                assertThat(result).as(body).isInstanceOf(ParsedEvent.class);
                GpuUtilization g = (GpuUtilization) ((ParsedEvent) result).value();
                assertThat(g.getUtilization()).isEqualTo(0.25);
                assertThat(g.getMemoryUsedBytes()).isEqualTo(9_007_199_254_740_993L);
                assertThat(g.getMemoryTotalBytes()).isEqualTo(9_007_199_254_740_993L);
            }
        }
    }

    @Test
    void aNumberJacksonCannotHoldFailsItsLineOnlyInJsonLines() {
        // 0e-2147483648 has a scale beyond an int: Jackson throws NumberFormatException, not a JSON error
        String bad = CALL.formatted("0e-2147483648");
        String good = CALL.replace("\"e1\"", "\"e2\"").formatted("10"); // 2026-11-27: in the past, within the rules from then on
        IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null, (bad + "\n" + good).getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).containsEntry("accepted", 1).containsEntry("rejected", 1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> errors = (List<Map<String, Object>>) r.body().get("errors");
        assertThat(errors).extracting(e -> e.get("line") + " " + e.get("reason")).containsExactly("1 invalid-json");
    }

    @Test
    void numberBombsInABodyAreLineErrorsAtOnce() {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String bomb : List.of("1e999999999", "1e-999999999", "0e-2147483648", "\"1e999999999\"", "0." + "0".repeat(1_000_000) + "1",
                "9".repeat(10_000_000))) {
            String event = CALL.formatted(bomb);
            for (String body : List.of(event, "[" + event + "]", event + "\n" + CALL.formatted("10"))) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                long before = threads.getCurrentThreadAllocatedBytes();
                IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null, bytes);
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                String shown = body.length() > 60 ? body.substring(0, 60) + "..." : body;
                assertThat(allocated).as("bytes allocated for %s", shown).isLessThan(64L * bytes.length + 8_000_000L);
                assertThat(r.toString()).as(shown).hasSizeLessThan(2000);
                if (r.body().containsKey("errors")) {
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> errors = (List<Map<String, Object>>) r.body().get("errors");
                    assertThat(errors).as(shown).extracting(e -> e.get("line")).contains(1);
                    assertThat(errors).as(shown).allSatisfy(e -> assertThat(e.get("reason"))
                            .isIn(LineError.INVALID_VALUE, LineError.INVALID_JSON, LineError.WRONG_TYPE));
                } else {
                    assertThat(r.status()).as(shown).isEqualTo(400);
                }
            }
        }
    }
}
