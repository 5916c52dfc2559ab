package io.spendmonitor.producers.ingest.otlp;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static io.spendmonitor.producers.ingest.otlp.GenAiSpanMapperTest.NOW;
import static io.spendmonitor.producers.ingest.otlp.GenAiSpanMapperTest.SPAN;
import static io.spendmonitor.producers.ingest.otlp.GenAiSpanMapperTest.TRACE;
import static io.spendmonitor.producers.ingest.otlp.GenAiSpanMapperTest.request;
import static io.spendmonitor.producers.ingest.otlp.GenAiSpanMapperTest.span;
import static org.assertj.core.api.Assertions.assertThat;

class OtlpTraceIngestTest {
    private final List<TokenUsage> published = new ArrayList<>();
    private final OtlpTraceIngest ingest = new OtlpTraceIngest(OtlpSettings.defaults(), EventRules.defaults(), events -> {
        published.addAll(events);
        return events.size();
    }, 64 * 1024, 100, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    /** OTLP/JSON as the spec writes it: lowerCamelCase, hex ids, int64 as strings, the enum as a number. */
    private static final String JSON = """
            {"resourceSpans":[{"resource":{"attributes":[
                {"key":"service.name","value":{"stringValue":"chat-api"}},
                {"key":"spend.team","value":{"stringValue":"search"}}]},
              "scopeSpans":[{"scope":{"name":"openllmetry"},"spans":[
                {"traceId":"%s","spanId":"%s","parentSpanId":"","name":"chat gpt-4o-mini","kind":3,
                 "startTimeUnixNano":"1795773568123456789","endTimeUnixNano":"1795773570123456789",
                 "attributes":[
                   {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
                   {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
                   {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},
                   {"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":1024}},
                   {"key":"gen_ai.usage.output_tokens","value":{"intValue":"85"}},
                   {"key":"customer","value":{"stringValue":"acme"}}],
                 "status":{"code":1},"someFutureField":true},
                {"traceId":"%s","spanId":"00000000000000c2","name":"no provider; a blank span team falls back to the resource's",
                 "endTimeUnixNano":"1795773570123456789",
                 "attributes":[{"key":"gen_ai.usage.output_tokens","value":{"intValue":"1"}},
                   {"key":"spend.team","value":{"stringValue":""}}]}]}]}]}
            """.formatted(TRACE, SPAN, TRACE);

    @Test
    void otlpJsonWithHexIdsIsReadAndAPartialSuccessNamesTheRejectedSpan() {
        OtlpTraceIngest.Response response = ingest.export(OtlpTraceIngest.Encoding.JSON, null, JSON.getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).isEqualTo("application/json");
        // proto3 JSON writes int64 as a string
        assertThat(response.text()).startsWith("{\"partialSuccess\":{\"rejectedSpans\":\"1\",\"errorMessage\":\"1 GenAI span rejected (missing-field: 1); span 00000000000000c2 of trace " + TRACE
                + ": missing-field: provider is empty\"}}");
        TokenUsage u = published.get(0);
        assertThat(published).hasSize(1);
        assertThat(u.getEventId()).isEqualTo("otel-" + TRACE + "-" + SPAN);
        assertThat(u.getTimestamp()).isEqualTo(Instant.parse("2026-11-27T09:59:30.123Z"));
        assertThat(List.of(u.getInputTokens(), u.getCachedInputTokens(), u.getOutputTokens())).containsExactly(1200L, 1024L, 85L);
        assertThat(u.getLabels()).containsEntry("customer", "acme");
    }

    @Test
    void protobufGzippedIsReadAndAFullSuccessIsAnEmptyResponse() throws Exception {
        byte[] body = gzip(request(Map.of("service.name", "svc", "spend.team", "search"), span(SPAN, Map.of(
                "gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini", "gen_ai.usage.input_tokens", 7L))).toByteArray());

        OtlpTraceIngest.Response response = ingest.export(OtlpTraceIngest.Encoding.PROTOBUF, "gzip", body);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).isEqualTo("application/x-protobuf");
        assertThat(ExportTraceServiceResponse.parseFrom(response.body())).isEqualTo(ExportTraceServiceResponse.getDefaultInstance());
        assertThat(published).extracting(TokenUsage::getInputTokens).containsExactly(7L);
    }

    @Test
    void aGzipBombStopsAtTheLimitBeforeAnythingIsDecoded() throws Exception {
        byte[] bomb = gzip(new byte[10 * 1024 * 1024]); // 10 MiB of zeros: about 10 kB gzipped, the limit is 64 KiB

        OtlpTraceIngest.Response response = ingest.export(OtlpTraceIngest.Encoding.PROTOBUF, "gzip", bomb);

        assertThat(bomb.length).isLessThan(64 * 1024);
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.text()).contains("inflates to more than 65536 bytes");
        assertThat(published).isEmpty();
    }

    @Test
    void brokenBodiesAreA400WithAStatusMessage() {
        OtlpTraceIngest.Response notProto = ingest.export(OtlpTraceIngest.Encoding.PROTOBUF, null, new byte[]{(byte) 0xff, 1, 2});
        OtlpTraceIngest.Response base64Ids = ingest.export(OtlpTraceIngest.Encoding.JSON, null,
                JSON.replace(TRACE, "CvdlGRbNQ92ESOshHIAxnA==").getBytes(StandardCharsets.UTF_8));
        OtlpTraceIngest.Response notGzip = ingest.export(OtlpTraceIngest.Encoding.JSON, "gzip", JSON.getBytes(StandardCharsets.UTF_8));
        OtlpTraceIngest.Response brotli = ingest.export(OtlpTraceIngest.Encoding.JSON, "br", JSON.getBytes(StandardCharsets.UTF_8));

        assertThat(notProto.status()).isEqualTo(400);
        assertThat(notProto.text()).startsWith("{\"code\":3,\"message\":\"not an OTLP ExportTraceServiceRequest (protobuf)");
        assertThat(base64Ids.status()).isEqualTo(400);
        assertThat(base64Ids.text()).contains("traceId is not hex");
        assertThat(notGzip.status()).isEqualTo(400);
        assertThat(brotli.status()).isEqualTo(415);
        assertThat(published).isEmpty();
    }

    @Test
    void snakeCaseFieldNamesAreReadToo() {
        String snake = JSON.replace("resourceSpans", "resource_spans").replace("scopeSpans", "scope_spans")
                .replace("traceId", "trace_id").replace("\"spanId\"", "\"span_id\"").replace("endTimeUnixNano", "end_time_unix_nano")
                .replace("startTimeUnixNano", "start_time_unix_nano").replace("intValue", "int_value").replace("stringValue", "string_value");

        OtlpTraceIngest.Response response = ingest.export(OtlpTraceIngest.Encoding.JSON, null, snake.getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(200);
        assertThat(published).extracting(TokenUsage::getEventId).containsExactly("otel-" + TRACE + "-" + SPAN);
    }

    @Test
    void contentTypesAreTheTwoOtlpEncodings() {
        assertThat(OtlpTraceIngest.encoding("application/x-protobuf")).isEqualTo(OtlpTraceIngest.Encoding.PROTOBUF);
        assertThat(OtlpTraceIngest.encoding("application/json; charset=utf-8")).isEqualTo(OtlpTraceIngest.Encoding.JSON);
        assertThat(OtlpTraceIngest.encoding("application/x-ndjson")).isNull();
        assertThat(OtlpTraceIngest.encoding("text/plain")).isNull();
        assertThat(OtlpTraceIngest.encoding(null)).isNull();
    }

    private static byte[] gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }
}
