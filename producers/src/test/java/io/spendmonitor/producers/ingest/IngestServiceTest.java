package io.spendmonitor.producers.ingest;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IngestServiceTest {
    private static final String NOW = Instant.now().minusSeconds(60).toString();
    private final MockProducer<String, Object> producer = new MockProducer<>(true, null, new StringSerializer(),
            (Serializer<Object>) (topic, data) -> new byte[0]);
    private final Topics topics = Topics.withDefaults(new InMemorySchemaRegistryClient());

    private IngestService service(String token) {
        return new IngestService(producer, topics, token, Duration.ofSeconds(5));
    }

    private static byte[] body(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String call(String id, String extra) {
        return "{\"event_id\":\"" + id + "\",\"timestamp\":\"" + NOW + "\",\"team\":\"search\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":10,\"output_tokens\":5" + extra + "}";
    }

    @Test
    void acceptsAnObjectAnArrayAndJsonLines() {
        IngestService ingest = service(null);

        assertThat(ingest.ingest(EventType.TOKEN_USAGE, null, body(call("a", ""))).body()).containsEntry("accepted", 1);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, null, body("[" + call("b", "") + "," + call("c", "") + "]")).body())
                .containsEntry("accepted", 2);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, null, body(call("d", "") + "\n\n" + call("e", "") + "\n")).body())
                .containsEntry("accepted", 2);
        // pretty-printed single object
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, null, body(call("f", "").replace(",", ",\n  "))).body())
                .containsEntry("accepted", 1);

        List<ProducerRecord<String, Object>> sent = producer.history();
        assertThat(sent).extracting(r -> ((TokenUsage) r.value()).getEventId()).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(sent).allSatisfy(r -> {
            assertThat(r.topic()).isEqualTo("llm.token-usage");
            assertThat(r.key()).isEqualTo("search");
        });
    }

    @Test
    void badLinesAreListedAndGoodOnesStillGoThrough() {
        IngestService.Response r = service(null).ingest(EventType.TOKEN_USAGE, null, body(
                call("ok-1", "") + "\n" + call("bad", ",\"input_token\":3") + "\n{not json\n" + call("ok-2", ",\"reported_cost_usd\":\"0.000123456\"")));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).containsEntry("accepted", 2).containsEntry("rejected", 2);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> errors = (List<Map<String, Object>>) r.body().get("errors");
        assertThat(errors).extracting(e -> e.get("line") + " " + e.get("reason")).containsExactly("2 unknown-field", "3 invalid-json");
        TokenUsage last = (TokenUsage) producer.history().get(1).value();
        assertThat(last.getReportedCostUsd()).isEqualTo(new BigDecimal("0.000123456")); // exact, through the re-serialization
    }

    @Test
    void aTypeOfAnotherEndpointIsRejectedAndNothingValidIsA400() {
        IngestService.Response r = service(null).ingest(EventType.GPU_UTILIZATION, null,
                body("{\"type\":\"token_usage\"}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(producer.history()).isEmpty();
        assertThat(service(null).ingest(EventType.GPU_UTILIZATION, null, body("  \n")).status()).isEqualTo(400);
        assertThat(service(null).ingest(EventType.GPU_UTILIZATION, null, body("[1,")).status()).isEqualTo(400);
    }

    @Test
    void gpuSamplesGoToTheirTopic() {
        IngestService.Response r = service(null).ingest(EventType.GPU_UTILIZATION, null, body(
                "{\"timestamp\":\"" + NOW + "\",\"node\":\"n1\",\"gpu_id\":\"0\",\"gpu_model\":\"H100-80GB\",\"team\":\"research\","
                        + "\"utilization\":0.25,\"memory_used_bytes\":1,\"memory_total_bytes\":2,\"interval_seconds\":15}"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(producer.history().get(0).topic()).isEqualTo("gpu.utilization");
        assertThat(((GpuUtilization) producer.history().get(0).value()).getUtilization()).isEqualTo(0.25);
    }

    @Test
    void aConfiguredTokenIsRequired() {
        IngestService ingest = service("s3cret-token");

        assertThat(ingest.ingest(EventType.TOKEN_USAGE, null, body(call("x", ""))).status()).isEqualTo(401);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, "Bearer wrong", body(call("x", ""))).status()).isEqualTo(401);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, "Basic s3cret-token", body(call("x", ""))).status()).isEqualTo(401);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, "Bearer s3cret-token", body(call("x", ""))).status()).isEqualTo(200);
        assertThat(ingest.ingest(EventType.TOKEN_USAGE, "bearer s3cret-token", body(call("y", ""))).status()).isEqualTo(200);
        assertThat(producer.history()).hasSize(2);
    }

    @Test
    void kafkaNotAcknowledgingIsA503() {
        MockProducer<String, Object> failing = new MockProducer<>(false, null, new StringSerializer(),
                (Serializer<Object>) (topic, data) -> new byte[0]);
        IngestService ingest = new IngestService(failing, topics, null, Duration.ofMillis(50));

        IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null, body(call("z", "")));

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body().get("error").toString()).contains("timed out");
    }
}
