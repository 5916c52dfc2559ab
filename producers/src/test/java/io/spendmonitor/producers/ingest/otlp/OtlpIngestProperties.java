package io.spendmonitor.producers.ingest.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever arrives at /v1/traces, the answer is a status with a small body, never an exception,
 * and every span is accounted for: published, refused with a reason, or skipped as not GenAI.
 */
class OtlpIngestProperties {
    private static final long NOW = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
    private static final List<String> KEYS = List.of("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
            "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens", "gen_ai.provider.name",
            "gen_ai.system", "gen_ai.request.model", "gen_ai.response.model", "spend.team", "service.namespace", "customer",
            "feature", "other");

    private final List<TokenUsage> published = new ArrayList<>();
    private final OtlpTraceIngest ingest = new OtlpTraceIngest(OtlpSettings.defaults(), EventRules.defaults(), events -> {
        published.addAll(events);
        return events.size();
    }, 16 * 1024, 1000, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    @Property(tries = 300, seed = "20261130")
    void arbitraryBytesAreAnsweredNeverThrown(@ForAll("bodies") byte[] body, @ForAll boolean json, @ForAll boolean gzip) {
        OtlpTraceIngest.Response r = ingest.export(json ? OtlpTraceIngest.Encoding.JSON : OtlpTraceIngest.Encoding.PROTOBUF,
                gzip ? "gzip" : null, body);

        Statistics.collect(r.status());
        assertThat(r.status()).isIn(200, 400, 413);
        assertThat(r.body().length).isLessThan(4096);
    }

    @Property(tries = 300, seed = "20261130")
    void everySpanIsPublishedRefusedOrSkippedAndWhatIsPublishedPassesTheRules(@ForAll("requests") ExportTraceServiceRequest request) {
        GenAiSpanMapper.Result result = new GenAiSpanMapper(OtlpSettings.defaults(), EventRules.defaults()).map(request, NOW);

        int spans = request.getResourceSpansList().stream().flatMap(r -> r.getScopeSpansList().stream())
                .mapToInt(ScopeSpans::getSpansCount).sum();
        Statistics.collect(result.events().isEmpty() ? "none published" : "some published");
        assertThat(result.events().size() + result.rejectedSpans() + result.ignored()).isEqualTo(spans);
        assertThat(result.events()).allSatisfy(u -> assertThat(EventRules.defaults().check(u, NOW)).isEmpty());
        // the protobuf and the JSON encodings of one request give one answer
        OtlpTraceIngest.Response r = ingest.export(OtlpTraceIngest.Encoding.PROTOBUF, null, request.toByteArray());
        assertThat(r.status()).isIn(200, 413);
    }

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static byte[] nonZero(byte[] id) {
        byte[] copy = id.clone();
        copy[0] |= 1;
        return copy;
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(2000);
        Arbitrary<byte[]> jsonish = Arbitraries.of("{}", "[]", "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"zz\"}]}]}]}",
                "{\"resourceSpans\":7}", "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":1}]}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"endTimeUnixNano\":\"-1\"}]}]}]}", "null", "\"x\"",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" + "0".repeat(31) + "\"}]}]}]}")
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(random, jsonish);
    }

    @Provide
    Arbitrary<ExportTraceServiceRequest> requests() {
        Arbitrary<AnyValue> values = Arbitraries.oneOf(
                Arbitraries.longs().map(l -> AnyValue.newBuilder().setIntValue(l).build()),
                Arbitraries.longs().between(-5, 20_000_000).map(l -> AnyValue.newBuilder().setIntValue(l).build()),
                Arbitraries.strings().ofMaxLength(250).map(s -> AnyValue.newBuilder().setStringValue(s).build()),
                Arbitraries.of("openai", "search", "gpt-4o-mini", "12", "acme").map(s -> AnyValue.newBuilder().setStringValue(s).build()),
                Arbitraries.doubles().map(d -> AnyValue.newBuilder().setDoubleValue(d).build()),
                Arbitraries.just(AnyValue.newBuilder().setBoolValue(true).build()),
                Arbitraries.just(AnyValue.newBuilder().setArrayValue(ArrayValue.getDefaultInstance()).build()),
                Arbitraries.just(AnyValue.getDefaultInstance()));
        Arbitrary<KeyValue> attributes = Combinators.combine(Arbitraries.of(KEYS), values)
                .as((k, v) -> KeyValue.newBuilder().setKey(k).setValue(v).build());
        Arbitrary<ByteString> traceIds = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(16).map(ByteString::copyFrom),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(20).map(ByteString::copyFrom));
        Arbitrary<ByteString> spanIds = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(8).map(ByteString::copyFrom),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(10).map(ByteString::copyFrom));
        Arbitrary<Long> ends = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.longs().between(NOW * 1_000_000L - 86_400_000_000_000L, NOW * 1_000_000L + 120_000_000_000L));
        Arbitrary<Span> hostile = Combinators.combine(traceIds, spanIds, ends, Arbitraries.longs(), attributes.list().ofMaxSize(8))
                .as((t, s, end, start, kvs) -> Span.newBuilder().setTraceId(t).setSpanId(s).setEndTimeUnixNano(end)
                        .setStartTimeUnixNano(start).addAllAttributes(kvs).build());
        // a good GenAI call (its attributes come first, so they win) with hostile extras after them
        List<KeyValue> good = List.of(kv("gen_ai.provider.name", "openai"), kv("gen_ai.request.model", "gpt-4o-mini"),
                kv("spend.team", "search"), KeyValue.newBuilder().setKey("gen_ai.usage.input_tokens")
                        .setValue(AnyValue.newBuilder().setIntValue(100)).build());
        Arbitrary<Span> wellFormed = Combinators.combine(Arbitraries.bytes().array(byte[].class).ofSize(8),
                        Arbitraries.longs().between(0, 3_600_000_000_000L), attributes.list().ofMaxSize(3))
                .as((id, ago, kvs) -> Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
                        .setSpanId(ByteString.copyFrom(nonZero(id)))
                        .setEndTimeUnixNano(NOW * 1_000_000L - ago).addAllAttributes(good).addAllAttributes(kvs).build());
        Arbitrary<Span> spans = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, hostile), net.jqwik.api.Tuple.of(1, wellFormed));
        Arbitrary<ResourceSpans> resources = Combinators.combine(attributes.list().ofMaxSize(4), spans.list().ofMaxSize(6))
                .as((kvs, ss) -> ResourceSpans.newBuilder().setResource(Resource.newBuilder().addAttributes(kv("service.name", "svc")).addAllAttributes(kvs))
                        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(ss)).build());
        return resources.list().ofMaxSize(3).map(rs -> ExportTraceServiceRequest.newBuilder().addAllResourceSpans(rs).build());
    }
}
