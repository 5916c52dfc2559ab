package io.spendmonitor.producers.ingest.otlp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.rules.EventRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;

/**
 * {@code POST /v1/traces}: OTLP/HTTP trace export (protobuf or JSON, gzip or not) to token-usage
 * events. Free of any HTTP framework: the route authenticates, then calls {@link #export}. The
 * answer is OTLP's: an {@code ExportTraceServiceResponse} in the request's encoding, with
 * {@code partial_success} (rejected_spans, error_message) when some GenAI spans were refused.
 * Memory is bounded by the body limit: the raw body is limited by the server, the inflated one here,
 * before anything is decoded.
 */
public final class OtlpTraceIngest {
    public static final String PROTOBUF = "application/x-protobuf";
    public static final String JSON_TYPE = "application/json";

    private static final Logger log = LoggerFactory.getLogger(OtlpTraceIngest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private final GenAiSpanMapper mapper;
    private final Function<List<TokenUsage>, Integer> publisher;
    private final long maxBodyBytes;
    private final int maxEvents;
    private final java.time.Clock clock;

    /**
     * @param publisher    sends the events and waits for Kafka's acknowledgement; throws IllegalStateException
     *                     (with a message safe to show) when Kafka did not take them
     * @param maxBodyBytes largest body after gunzip
     * @param maxEvents    most GenAI spans in one request
     */
    public OtlpTraceIngest(OtlpSettings settings, EventRules rules, Function<List<TokenUsage>, Integer> publisher,
                           long maxBodyBytes, int maxEvents, java.time.Clock clock) {
        this.mapper = new GenAiSpanMapper(settings, rules);
        this.publisher = publisher;
        this.maxBodyBytes = maxBodyBytes;
        this.maxEvents = maxEvents;
        this.clock = clock;
    }

    /** What the HTTP layer sends back: status, Content-Type and body. */
    public record Response(int status, String contentType, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The encoding a Content-Type names, or null when it is neither OTLP encoding (415). */
    public static Encoding encoding(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";", -1);
        String type = parts[0].strip().toLowerCase(Locale.ROOT);
        if (type.equals(PROTOBUF) && parts.length == 1) {
            return Encoding.PROTOBUF;
        }
        if (type.equals(JSON_TYPE) && io.spendmonitor.producers.ingest.IngestMediaType.accepted(contentType)) {
            return Encoding.JSON;
        }
        return null;
    }

    public enum Encoding { PROTOBUF, JSON }

    /**
     * @param contentEncoding the request's Content-Encoding: absent, {@code identity} or {@code gzip}
     */
    public Response export(Encoding encoding, String contentEncoding, byte[] body) {
        byte[] plain;
        try {
            plain = inflate(contentEncoding, body);
        } catch (TooLarge e) {
            return error(413, "the request body inflates to more than " + maxBodyBytes + " bytes");
        } catch (IOException e) {
            return error(400, "the body is not valid gzip: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(415, e.getMessage());
        }
        ExportTraceServiceRequest request;
        try {
            request = encoding == Encoding.PROTOBUF ? ExportTraceServiceRequest.parseFrom(plain) : fromJson(plain);
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            return error(400, "not an OTLP ExportTraceServiceRequest (" + (encoding == Encoding.PROTOBUF ? "protobuf" : "JSON")
                    + "): " + clip(e.getMessage()));
        }
        GenAiSpanMapper.Result result = mapper.map(request, clock.millis());
        if (result.events().size() > maxEvents) {
            return error(413, "more than " + maxEvents + " GenAI spans in one request (--max-request-events): "
                    + "lower the exporter's batch size. Nothing was published.");
        }
        if (!result.events().isEmpty()) {
            try {
                publisher.apply(result.events());
            } catch (IllegalStateException e) {
                // 503 is retryable for OTLP exporters; the retry carries the same ids, so nothing counts twice
                return error(503, "Kafka did not acknowledge the events: " + e.getMessage());
            }
        }
        ExportTraceServiceResponse.Builder answer = ExportTraceServiceResponse.newBuilder();
        int rejected = result.rejectedSpans();
        if (rejected > 0) {
            StringBuilder message = new StringBuilder();
            message.append(rejected).append(" GenAI span").append(rejected == 1 ? "" : "s").append(" rejected (");
            String separator = "";
            for (Map.Entry<String, Integer> e : result.rejected().entrySet()) {
                message.append(separator).append(e.getKey()).append(": ").append(e.getValue());
                separator = ", ";
            }
            message.append("); ").append(String.join("; ", result.described()));
            answer.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                    .setRejectedSpans(rejected).setErrorMessage(clip(message.toString())));
            log.info("OTLP: {} GenAI spans accepted, {} rejected {}", result.events().size(), rejected, result.rejected());
        }
        return encode(encoding, 200, answer.build());
    }

    /** The body as sent, or inflated with at most {@code maxBodyBytes} read: a gzip bomb stops at the limit. */
    private byte[] inflate(String contentEncoding, byte[] body) throws IOException {
        String coding = contentEncoding == null ? "" : contentEncoding.strip().toLowerCase(Locale.ROOT);
        if (coding.isEmpty() || coding.equals("identity")) {
            return body;
        }
        if (!coding.equals("gzip")) {
            throw new IllegalArgumentException("Content-Encoding must be gzip or identity, not " + clip(contentEncoding));
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(body.length * 4, (int) Math.min(maxBodyBytes, 1 << 20)));
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > maxBodyBytes) {
                    throw new TooLarge();
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    private static final class TooLarge extends IOException {
        TooLarge() {
            super("inflated body over the limit");
        }
    }

    /**
     * OTLP/JSON is proto3 JSON except that trace and span ids are hex, not base64 (the spec's one
     * deviation); field names may be lowerCamelCase or the proto's own, enums numbers or names.
     */
    static ExportTraceServiceRequest fromJson(byte[] body) throws InvalidProtocolBufferException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode)) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        for (JsonNode resourceSpans : either(root, "resourceSpans", "resource_spans")) {
            for (JsonNode scopeSpans : either(resourceSpans, "scopeSpans", "scope_spans")) {
                for (JsonNode span : either(scopeSpans, "spans", "spans")) {
                    hexToBase64(span, "traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id");
                    for (JsonNode link : either(span, "links", "links")) {
                        hexToBase64(link, "traceId", "trace_id", "spanId", "span_id");
                    }
                }
            }
        }
        ExportTraceServiceRequest.Builder builder = ExportTraceServiceRequest.newBuilder();
        JSON_PARSER.merge(root.toString(), builder);
        return builder.build();
    }

    private static Iterable<JsonNode> either(JsonNode node, String camel, String snake) {
        JsonNode value = node.get(camel);
        if (value == null) {
            value = node.get(snake);
        }
        return value != null && value.isArray() ? value : List.of();
    }

    private static void hexToBase64(JsonNode node, String... fields) {
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        for (String field : fields) {
            JsonNode value = object.get(field);
            if (value != null && value.isTextual()) {
                byte[] id;
                try {
                    id = HEX.parseHex(value.textValue());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(field + " is not hex: OTLP/JSON writes trace and span ids as hex strings");
                }
                object.put(field, Base64.getEncoder().encodeToString(id));
            }
        }
    }

    private static Response encode(Encoding encoding, int status, ExportTraceServiceResponse response) {
        if (encoding == Encoding.PROTOBUF) {
            return new Response(status, PROTOBUF, response.toByteArray());
        }
        try {
            return new Response(status, JSON_TYPE, JSON_PRINTER.print(response).getBytes(StandardCharsets.UTF_8));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** OTLP answers a failed request with a google.rpc.Status; its JSON form carries the code and the message. */
    public static Response error(int status, String message) {
        int code = switch (status) {
            case 400, 413, 415 -> 3; // INVALID_ARGUMENT
            case 401 -> 16;          // UNAUTHENTICATED
            default -> 14;           // UNAVAILABLE
        };
        ObjectNode body = JSON.createObjectNode().put("code", code).put("message", clip(message));
        return new Response(status, JSON_TYPE, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String clip(String message) {
        if (message == null) {
            return "";
        }
        return message.length() <= 1000 ? message : message.substring(0, 1000) + "…";
    }
}
