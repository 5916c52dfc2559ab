package io.spendmonitor.producers.ingest.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GenAiSpanMapperTest {
    static final long NOW = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
    static final long END_NANOS = Instant.parse("2026-11-27T09:59:30.123456789Z").getEpochSecond() * 1_000_000_000L + 123_456_789L;
    static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    static final String SPAN = "b7ad6b7169203331";

    private final GenAiSpanMapper mapper = new GenAiSpanMapper(OtlpSettings.defaults(), EventRules.defaults());

    @Test
    void aGenAiSpanBecomesOneCallWithCacheTokensInsideInputAsTheConventionSays() {
        Span span = span(SPAN, Map.of("gen_ai.provider.name", "anthropic", "gen_ai.request.model", "claude-sonnet-4-5",
                "gen_ai.response.model", "claude-sonnet-4-5-20250929", "gen_ai.usage.input_tokens", 5300L,
                "gen_ai.usage.cache_read.input_tokens", 4000L, "gen_ai.usage.cache_creation.input_tokens", 1000L,
                "gen_ai.usage.output_tokens", 640L, "customer", "acme", "ignored.attribute", "x"));

        GenAiSpanMapper.Result result = mapper.map(request(Map.of("service.name", "chat-api", "spend.team", "search"), span), NOW);

        assertThat(result.rejected()).isEmpty();
        TokenUsage u = result.events().get(0);
        assertThat(u.getEventId()).isEqualTo("otel-" + TRACE + "-" + SPAN);
        assertThat(u.getTimestamp()).isEqualTo(Instant.parse("2026-11-27T09:59:30.123Z")); // span end, to the millisecond
        assertThat(u.getLatencyMs()).isEqualTo(2000L);
        assertThat(u.getTeam()).isEqualTo("search");
        assertThat(u.getApplication()).isEqualTo("chat-api");
        assertThat(u.getProvider()).isEqualTo("anthropic");
        assertThat(u.getModel()).isEqualTo("claude-sonnet-4-5-20250929"); // the response model wins
        // OTel: input_tokens already holds the 4000 cache reads and 1000 cache writes; copied as they are
        assertThat(List.of(u.getInputTokens(), u.getCachedInputTokens(), u.getCacheWriteInputTokens(), u.getOutputTokens()))
                .containsExactly(5300L, 4000L, 1000L, 640L);
        assertThat(u.getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme"));
    }

    @Test
    void anInstrumentationThatCopiedAnthropicsRawUsageIsReadWithTheOtherConvention() {
        // Anthropic's raw usage: input_tokens 300 excludes the 4000 cache reads and 1000 cache writes
        Span span = span(SPAN, Map.of("gen_ai.system", "anthropic", "gen_ai.request.model", "claude-sonnet-4-5",
                "gen_ai.usage.input_tokens", 300L, "gen_ai.usage.cache_read.input_tokens", 4000L,
                "gen_ai.usage.cache_creation.input_tokens", 1000L, "gen_ai.usage.output_tokens", 640L));
        ExportTraceServiceRequest request = request(Map.of("service.name", "chat-api", "service.namespace", "search"), span);

        GenAiSpanMapper.Result otelConvention = mapper.map(request, NOW);
        GenAiSpanMapper.Result rawConvention = new GenAiSpanMapper(
                OtlpSettings.fromConfig(Map.of(OtlpSettings.CACHE_INSIDE_INPUT, "false")), EventRules.defaults()).map(request, NOW);

        // read by the OTel convention, 4000 + 1000 cannot be part of 300: refused, never priced wrong
        assertThat(otelConvention.rejected()).containsExactlyEntriesOf(Map.of("inconsistent-tokens", 1));
        TokenUsage u = rawConvention.events().get(0);
        assertThat(u.getProvider()).isEqualTo("anthropic"); // from the older gen_ai.system
        assertThat(u.getTeam()).isEqualTo("search");        // from service.namespace, the second team attribute
        assertThat(List.of(u.getInputTokens(), u.getCachedInputTokens(), u.getCacheWriteInputTokens()))
                .containsExactly(5300L, 4000L, 1000L);      // 300 + 4000 + 1000
    }

    @Test
    void otherSpansAreIgnoredAndASpanWithoutTeamIsRejectedWithItsReason() {
        Span http = span("00000000000000a1", Map.of("http.request.method", "POST"));
        Span noTeam = span("00000000000000a2", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini",
                "gen_ai.usage.input_tokens", 10L, "gen_ai.usage.output_tokens", 2L));
        Span spanTeam = span("00000000000000a3", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini",
                "gen_ai.usage.output_tokens", 2L, "spend.team", "ads"));

        GenAiSpanMapper.Result result = mapper.map(request(Map.of("service.name", "svc"), http, noTeam, spanTeam), NOW);

        assertThat(result.ignored()).isEqualTo(1);
        assertThat(result.rejected()).containsExactlyEntriesOf(Map.of("missing-team", 1));
        assertThat(result.described()).singleElement().asString()
                .contains("00000000000000a2").contains("none of spend.team, service.namespace is set");
        assertThat(result.events()).extracting(TokenUsage::getTeam).containsExactly("ads");
        assertThat(result.events().get(0).getInputTokens()).isZero(); // an absent count is 0
    }

    @Test
    void hostileValuesAreRejectedNotThrown() {
        Span stringTokens = span("00000000000000b1", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "m",
                "gen_ai.usage.input_tokens", "lots", "gen_ai.usage.output_tokens", 1L));
        Span negative = span("00000000000000b2", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "m",
                "gen_ai.usage.input_tokens", -5L, "gen_ai.usage.output_tokens", 1L));
        Span markup = span("00000000000000b3", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "<b>m</b>",
                "gen_ai.usage.input_tokens", 5L));
        Span badLabel = span("00000000000000b4", Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "m",
                "gen_ai.usage.input_tokens", 5L, "customer", "x".repeat(201)));
        Span noIds = Span.newBuilder(span("00000000000000b5", Map.of("gen_ai.usage.input_tokens", 5L)))
                .setTraceId(ByteString.EMPTY).build();

        GenAiSpanMapper.Result result = mapper.map(request(Map.of("service.name", "svc", "spend.team", "search"),
                stringTokens, negative, markup, badLabel, noIds), NOW);

        assertThat(result.events()).isEmpty();
        assertThat(result.rejected()).containsExactlyInAnyOrderEntriesOf(Map.of("wrong-type", 1, "negative-tokens", 1,
                "bad-name", 1, "bad-labels", 1, "missing-field", 1));
        assertThat(result.rejectedSpans()).isEqualTo(5);
    }

    @Test
    void labelAttributesMayBeRenamedAndComeFromTheResourceToo() {
        OtlpSettings settings = OtlpSettings.fromConfig(Map.of(OtlpSettings.LABEL_ATTRIBUTES, "app.customer_id=customer, feature",
                OtlpSettings.TEAM_ATTRIBUTES, "team"));
        Span span = span(SPAN, Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini",
                "gen_ai.usage.input_tokens", 10L, "app.customer_id", 42L, "team", "search"));

        TokenUsage u = new GenAiSpanMapper(settings, EventRules.defaults())
                .map(request(Map.of("service.name", "svc", "feature", "summarize"), span), NOW).events().get(0);

        assertThat(u.getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of("customer", "42", "feature", "summarize"));
    }

    @Test
    void thePromptHashComesFromTheConfiguredAttribute() {
        String hash = "ae67335d42044eb931506543fa22760daf315b49dfd4a573a68c689f69e43822";
        Span span = span(SPAN, Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini",
                "gen_ai.usage.input_tokens", 10L, "gen_ai.prompt.hash", hash, "my.hash", "00000000000000ff"));
        ExportTraceServiceRequest request = request(Map.of("service.name", "svc", "spend.team", "search"), span);

        assertThat(mapper.map(request, NOW).events().get(0).getPromptHash()).isEqualTo(hash);
        OtlpSettings renamed = OtlpSettings.fromConfig(Map.of(OtlpSettings.PROMPT_HASH_ATTRIBUTE, "my.hash"));
        assertThat(new GenAiSpanMapper(renamed, EventRules.defaults()).map(request, NOW).events().get(0).getPromptHash())
                .isEqualTo("00000000000000ff");
        Span prompt = span(SPAN, Map.of("gen_ai.provider.name", "openai", "gen_ai.request.model", "gpt-4o-mini",
                "gen_ai.usage.input_tokens", 10L, "gen_ai.prompt.hash", "tell me a joke"));
        GenAiSpanMapper.Result refused = mapper.map(request(Map.of("service.name", "svc", "spend.team", "search"), prompt), NOW);
        assertThat(refused.events()).isEmpty();
        assertThat(refused.rejected()).containsEntry("bad-prompt-hash", 1);
    }

    static ExportTraceServiceRequest request(Map<String, Object> resource, Span... spans) {
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAllAttributes(attributes(resource)))
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))).build();
    }

    static Span span(String spanIdHex, Map<String, Object> attributes) {
        return Span.newBuilder()
                .setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(TRACE)))
                .setSpanId(ByteString.copyFrom(HexFormat.of().parseHex(spanIdHex)))
                .setName("chat")
                .setStartTimeUnixNano(END_NANOS - 2_000_000_000L)
                .setEndTimeUnixNano(END_NANOS)
                .addAllAttributes(attributes(attributes))
                .build();
    }

    static List<KeyValue> attributes(Map<String, Object> values) {
        return values.entrySet().stream().map(e -> KeyValue.newBuilder().setKey(e.getKey()).setValue(
                e.getValue() instanceof Long l ? AnyValue.newBuilder().setIntValue(l).build()
                        : AnyValue.newBuilder().setStringValue(e.getValue().toString()).build()).build()).toList();
    }
}
