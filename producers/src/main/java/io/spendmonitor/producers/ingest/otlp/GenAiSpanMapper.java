package io.spendmonitor.producers.ingest.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import io.spendmonitor.schemas.rules.RejectReason;
import io.spendmonitor.schemas.rules.Violation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenTelemetry GenAI spans to token-usage events (semantic conventions for generative AI):
 * <ul>
 *   <li>a span with {@code gen_ai.usage.input_tokens} or {@code gen_ai.usage.output_tokens} is one call;
 *       every other span is skipped after a look at its attribute keys;</li>
 *   <li>provider: {@code gen_ai.provider.name}, else the older {@code gen_ai.system}; model:
 *       {@code gen_ai.response.model}, else {@code gen_ai.request.model};</li>
 *   <li>cached = {@code gen_ai.usage.cache_read.input_tokens}, cache write =
 *       {@code gen_ai.usage.cache_creation.input_tokens}; by the convention both are inside
 *       input_tokens, as in our TokenUsage, so they are copied (see {@link OtlpSettings#cacheInsideInput});</li>
 *   <li>timestamp: the span's end; latency: end - start; application: the resource's {@code service.name};
 *       team: the first of the configured attributes set on the span, else on its resource;</li>
 *   <li>event_id {@code otel-<trace id>-<span id>}: an exporter's retry carries the same ids, so the
 *       topology's dedupe counts it once.</li>
 * </ul>
 * Each event then passes {@link EventRules}, like every other way in; a span that fails is rejected
 * with the rule's reason. Pure: no I/O, no clock of its own.
 */
public final class GenAiSpanMapper {
    static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    static final String CACHE_READ = "gen_ai.usage.cache_read.input_tokens";
    static final String CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens";
    static final String PROVIDER = "gen_ai.provider.name";
    static final String SYSTEM = "gen_ai.system";
    static final String RESPONSE_MODEL = "gen_ai.response.model";
    static final String REQUEST_MODEL = "gen_ai.request.model";
    static final String SERVICE_NAME = "service.name";
    /** Rejections described in full in an answer; the rest are only counted. */
    static final int MAX_DESCRIBED = 5;

    private static final HexFormat HEX = HexFormat.of();
    /** OpenTelemetry's provider names where they differ from our price catalog's. */
    private static final Map<String, String> PROVIDER_NAMES = Map.of(
            "gcp.gemini", "google", "gcp.vertex_ai", "google", "gcp.gen_ai", "google");

    private final OtlpSettings settings;
    private final EventRules rules;

    public GenAiSpanMapper(OtlpSettings settings, EventRules rules) {
        this.settings = settings;
        this.rules = rules;
    }

    /** A rejected span: the reason (a RejectReason's wire string, or JSON lines' {@code wrong-type}) and what was wrong. */
    public record Rejection(String reason, String message) {
        Rejection(RejectReason reason, String message) {
            this(reason.wire(), message);
        }
    }

    /**
     * What one request held.
     *
     * @param events    calls that passed the rules, in request order
     * @param ignored   spans that are not GenAI calls
     * @param rejected  GenAI spans that were refused, by reason (wire string)
     * @param described the first few refusals in words
     */
    public record Result(List<TokenUsage> events, int ignored, Map<String, Integer> rejected, List<String> described) {
        public int rejectedSpans() {
            return rejected.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    public Result map(ExportTraceServiceRequest request, long nowMillis) {
        List<TokenUsage> events = new ArrayList<>();
        Map<String, Integer> rejected = new TreeMap<>();
        List<String> described = new ArrayList<>();
        int ignored = 0;
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            List<KeyValue> resource = resourceSpans.getResource().getAttributesList();
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    if (!isGenAiCall(span)) {
                        ignored++;
                        continue;
                    }
                    Object outcome = toEvent(span, resource, nowMillis);
                    if (outcome instanceof TokenUsage usage) {
                        events.add(usage);
                    } else {
                        Rejection r = (Rejection) outcome;
                        rejected.merge(r.reason(), 1, Integer::sum);
                        if (described.size() < MAX_DESCRIBED) {
                            described.add("span " + idOrNone(span.getSpanId()) + " of trace " + idOrNone(span.getTraceId())
                                    + ": " + r.reason() + ": " + r.message());
                        }
                    }
                }
            }
        }
        return new Result(events, ignored, rejected, described);
    }

    /** The cheap test every span meets: its keys only, no value is read. */
    static boolean isGenAiCall(Span span) {
        for (int i = 0, n = span.getAttributesCount(); i < n; i++) {
            String key = span.getAttributes(i).getKey();
            if (key.equals(INPUT_TOKENS) || key.equals(OUTPUT_TOKENS)) {
                return true;
            }
        }
        return false;
    }

    /** A TokenUsage or a Rejection. */
    private Object toEvent(Span span, List<KeyValue> resource, long nowMillis) {
        Map<String, AnyValue> attributes = new LinkedHashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            attributes.putIfAbsent(kv.getKey(), kv.getValue());
        }
        if (span.getTraceId().size() != 16 || span.getSpanId().size() != 8 || allZero(span.getTraceId())
                || allZero(span.getSpanId())) {
            return new Rejection(RejectReason.MISSING_FIELD, "a span needs a 16-byte trace id and an 8-byte span id, not zero");
        }
        String team = null;
        for (String name : settings.teamAttributes()) {
            team = text(attributes.get(name));
            if (team == null) {
                team = text(find(resource, name));
            }
            if (team != null) {
                break;
            }
        }
        if (team == null) {
            return new Rejection(RejectReason.MISSING_TEAM, "no team: none of " + String.join(", ", settings.teamAttributes())
                    + " is set on the span or its resource");
        }
        String provider = text(attributes.get(PROVIDER));
        if (provider == null) {
            provider = text(attributes.get(SYSTEM));
        }
        if (provider != null) {
            provider = PROVIDER_NAMES.getOrDefault(provider, provider);
        }
        String model = text(attributes.get(RESPONSE_MODEL));
        if (model == null) {
            model = text(attributes.get(REQUEST_MODEL));
        }
        long input;
        long output;
        long cacheRead;
        long cacheWrite;
        try {
            input = count(attributes.get(INPUT_TOKENS), INPUT_TOKENS);
            output = count(attributes.get(OUTPUT_TOKENS), OUTPUT_TOKENS);
            cacheRead = count(attributes.get(CACHE_READ), CACHE_READ);
            cacheWrite = count(attributes.get(CACHE_CREATION), CACHE_CREATION);
        } catch (IllegalArgumentException e) {
            return new Rejection(io.spendmonitor.producers.jsonl.LineError.WRONG_TYPE, e.getMessage());
        }
        if (!settings.cacheInsideInput() && input >= 0 && cacheRead >= 0 && cacheWrite >= 0
                && input <= EventRules.MAX_TOKENS_PER_CALL && cacheRead <= EventRules.MAX_TOKENS_PER_CALL
                && cacheWrite <= EventRules.MAX_TOKENS_PER_CALL) {
            input = input + cacheRead + cacheWrite; // Anthropic's raw usage: input excludes both (bounded, no overflow)
        }
        Map<String, String> labels = new TreeMap<>();
        for (Map.Entry<String, String> e : settings.labelAttributes().entrySet()) {
            String value = text(attributes.get(e.getKey()));
            if (value == null) {
                value = text(find(resource, e.getKey()));
            }
            if (value != null) {
                labels.put(e.getValue(), value);
            }
        }
        long endNanos = span.getEndTimeUnixNano();
        long startNanos = span.getStartTimeUnixNano();
        TokenUsage usage = new TokenUsage();
        usage.setEventId("otel-" + HEX.formatHex(span.getTraceId().toByteArray()) + "-" + HEX.formatHex(span.getSpanId().toByteArray()));
        // unsigned nanoseconds since the epoch: a value past 2262 reads negative and the time rules refuse it
        usage.setTimestamp(Instant.ofEpochMilli(Math.floorDiv(endNanos, 1_000_000L)));
        usage.setTeam(team);
        usage.setApplication(orEmpty(text(find(resource, SERVICE_NAME))));
        usage.setProvider(orEmpty(provider));
        usage.setModel(orEmpty(model));
        usage.setInputTokens(input);
        usage.setCachedInputTokens(cacheRead);
        usage.setCacheWriteInputTokens(cacheWrite);
        usage.setOutputTokens(output);
        usage.setLatencyMs(endNanos >= startNanos && startNanos > 0 ? (endNanos - startNanos) / 1_000_000L : null);
        usage.setAttributes(Map.of());
        usage.setLabels(labels);
        usage.setPromptHash(text(attributes.get(settings.promptHashAttribute())));
        Violation v = rules.check(usage, nowMillis).orElse(null);
        return v == null ? usage : new Rejection(v.reason(), v.message());
    }

    /** A token count: an int attribute, or a string or a whole double holding one; absent is 0. */
    private static long count(AnyValue value, String name) {
        if (value == null) {
            return 0;
        }
        switch (value.getValueCase()) {
            case INT_VALUE:
                return value.getIntValue();
            case DOUBLE_VALUE: {
                double d = value.getDoubleValue();
                if (d == Math.rint(d) && Math.abs(d) <= EventRules.MAX_TOKENS_PER_CALL * 10.0) {
                    return (long) d;
                }
                throw new IllegalArgumentException(name + " is not a whole number: " + d);
            }
            case STRING_VALUE: {
                String s = value.getStringValue().strip();
                if (s.length() <= 19 && s.matches("-?[0-9]+")) {
                    return Long.parseLong(s);
                }
                throw new IllegalArgumentException(name + " is not a whole number");
            }
            default:
                throw new IllegalArgumentException(name + " is not a number (" + value.getValueCase() + ")");
        }
    }

    /** A scalar attribute as text; arrays, maps, bytes and empty strings are none. */
    private static String text(AnyValue value) {
        if (value == null) {
            return null;
        }
        String s = switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            default -> null;
        };
        return s == null || s.isBlank() ? null : s;
    }

    private static AnyValue find(List<KeyValue> attributes, String key) {
        for (KeyValue kv : attributes) {
            if (kv.getKey().equals(key)) {
                return kv.getValue();
            }
        }
        return null;
    }

    private static boolean allZero(ByteString bytes) {
        for (int i = 0; i < bytes.size(); i++) {
            if (bytes.byteAt(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static String idOrNone(ByteString id) {
        return id.isEmpty() ? "(none)" : HEX.formatHex(id.toByteArray(), 0, Math.min(id.size(), 16));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
