package io.spendmonitor.producers.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.producers.jsonl.LineError;
import io.spendmonitor.producers.jsonl.LineResult;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import io.spendmonitor.schemas.Topics;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /ingest/token-usage} and {@code POST /ingest/gpu-utilization}: a JSON object, a
 * JSON array or JSON lines of one event type, validated line by line exactly like
 * {@code spend-monitor publish} (same parser, same reasons). Good events go to Kafka and the answer
 * waits for their acknowledgement; bad ones are listed with their line (or array index, from 1)
 * and reason. Free of any HTTP framework: the server calls {@link #ingest}.
 */
public final class IngestService implements AutoCloseable {
    // decimals stay BigDecimal through the re-serialization that adds "type": money is read exactly
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    /** Events one request may carry unless configured otherwise. */
    public static final int DEFAULT_MAX_EVENTS = 10_000;
    /** Errors listed in an answer; the count of all of them is "rejected". */
    static final int MAX_LISTED_ERRORS = 100;
    /** Characters of one error message in an answer (a message may quote the client's input). */
    static final int MAX_MESSAGE_CHARS = 300;

    private final Producer<String, Object> producer;
    private final Topics topics;
    private final byte[] tokenDigest;
    private final Duration ackTimeout;
    private final int maxEvents;

    /** @param token bearer token callers must present; null or blank: no authentication */
    public IngestService(Producer<String, Object> producer, Topics topics, String token, Duration ackTimeout) {
        this(producer, topics, token, ackTimeout, DEFAULT_MAX_EVENTS);
    }

    /** @param maxEvents most events one request may carry; more is a 413 and nothing is published */
    public IngestService(Producer<String, Object> producer, Topics topics, String token, Duration ackTimeout, int maxEvents) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("the most events a request may carry must be at least 1");
        }
        this.producer = producer;
        this.topics = topics;
        this.tokenDigest = token == null || token.isBlank() ? null : sha256(token.getBytes(StandardCharsets.UTF_8));
        this.ackTimeout = ackTimeout;
        this.maxEvents = maxEvents;
    }

    /** Whether a bearer token is required. */
    public boolean requiresToken() {
        return tokenDigest != null;
    }

    /** What the HTTP layer sends back. */
    public record Response(int status, Map<String, Object> body) {
    }

    /**
     * Constant-time check of {@code Authorization: Bearer <token>}: digests of equal length are
     * compared with {@link MessageDigest#isEqual}, so neither the token nor its length leaks by timing.
     */
    public boolean authorized(String authorizationHeader) {
        if (tokenDigest == null) {
            return true;
        }
        String presented = authorizationHeader != null && authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorizationHeader.substring(7).trim() : "";
        return MessageDigest.isEqual(tokenDigest, sha256(presented.getBytes(StandardCharsets.UTF_8)));
    }

    public Response ingest(EventType type, String authorizationHeader, byte[] body) {
        if (!authorized(authorizationHeader)) {
            return new Response(401, Map.of("error", "missing or wrong bearer token (Authorization: Bearer <token>)"));
        }
        String text = new String(body, StandardCharsets.UTF_8);
        List<String> lines;
        try {
            lines = lines(text, type);
        } catch (IllegalArgumentException e) {
            return new Response(400, Map.of("error", clip(e.getMessage())));
        }
        EventLineParser parser = new EventLineParser().acceptingOnly(Set.of(type));
        List<ParsedEvent> good = new ArrayList<>();
        // the first errors in full, the rest only counted: 100,000 bad lines get a small answer
        List<Map<String, Object>> errors = new ArrayList<>();
        int rejected = 0;
        for (int i = 0; i < lines.size(); i++) {
            LineResult result = parser.parse(i + 1, lines.get(i)).orElse(null);
            if (result instanceof ParsedEvent event) {
                good.add(event);
                if (good.size() > maxEvents) {
                    return new Response(413, Map.of("error", "more than " + maxEvents + " events in one request"
                            + " (--max-request-events): split the batch. Nothing was published."));
                }
            } else if (result instanceof LineError error) {
                rejected++;
                if (errors.size() < MAX_LISTED_ERRORS) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("line", error.lineNumber());
                    e.put("reason", error.reason());
                    e.put("message", clip(error.message()));
                    errors.add(e);
                }
            }
        }
        if (good.isEmpty() && rejected == 0) {
            return new Response(400, Map.of("error", "no events in the request body"));
        }
        int accepted;
        try {
            accepted = send(good);
        } catch (IllegalStateException e) {
            // send's own words: Kafka's exception names brokers and topics and went to the log
            return new Response(503, Map.of("error", "Kafka did not acknowledge the events: " + e.getMessage()
                    + "; nothing is lost by retrying (event ids dedupe)"));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("accepted", accepted);
        answer.put("rejected", rejected);
        answer.put("errors", errors);
        if (rejected > errors.size()) {
            answer.put("errors_truncated", true);
        }
        return new Response(accepted == 0 ? 400 : 200, answer);
    }

    /** The most events one request may carry. */
    public int maxEvents() {
        return maxEvents;
    }

    /**
     * Publishes token-usage events that already passed EventRules (OTLP ingest), keyed by team, and
     * waits for Kafka's acknowledgement.
     *
     * @throws IllegalStateException when Kafka did not take them; the message is safe to show
     */
    public int publishTokenUsage(List<io.spendmonitor.avro.TokenUsage> events) {
        List<ParsedEvent> parsed = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            parsed.add(new ParsedEvent(i + 1, EventType.TOKEN_USAGE, events.get(i).getTeam(), events.get(i)));
        }
        return send(parsed);
    }

    /** One string per event: an array's elements, a single object, or the lines of JSON lines. */
    static List<String> lines(String text, EventType type) {
        String trimmed = text.strip();
        List<String> lines = new ArrayList<>();
        if (trimmed.startsWith("[")) {
            JsonNode array;
            try {
                array = JSON.readTree(trimmed);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("body starts like a JSON array but is not valid JSON: " + e.getOriginalMessage());
            }
            for (JsonNode element : array) {
                lines.add(withType(element, type));
            }
            return lines;
        }
        if (trimmed.startsWith("{")) {
            try {
                // one (possibly pretty-printed) object; JSON lines fail this on their second object
                JsonNode single = JSON.readTree(trimmed);
                if (single instanceof ObjectNode) {
                    return List.of(withType(single, type));
                }
            } catch (JsonProcessingException | NumberFormatException notOneObject) {
                // JSON lines, read below
            }
        }
        for (String line : text.split("\r?\n", -1)) {
            lines.add(line.isBlank() ? line : withTypeText(line, type));
        }
        return lines;
    }

    /** The endpoint names the type: an event may leave "type" out. */
    private static String withTypeText(String line, EventType type) {
        try {
            JsonNode node = JSON.readTree(line);
            return node instanceof ObjectNode ? withType(node, type) : line;
        } catch (JsonProcessingException | NumberFormatException e) {
            // (Jackson throws NumberFormatException for a number BigDecimal cannot hold, e.g. 0e-2147483648)
            return line; // the parser reports it with its line number
        }
    }

    private static String withType(JsonNode node, EventType type) {
        if (node instanceof ObjectNode object && !object.has("type")) {
            ObjectNode copy = object.deepCopy();
            copy.put("type", type.jsonName());
            return copy.toString();
        }
        return node.toString();
    }

    /** Sends and waits for the acknowledgements; an exception's message is ours, safe to show (Kafka's goes to the log). */
    private int send(List<ParsedEvent> events) {
        List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
        try {
            for (ParsedEvent e : events) {
                acks.add(producer.send(new ProducerRecord<>(e.destination().topicIn(topics).name(), e.key(), e.value())));
            }
        } catch (RuntimeException e) {
            log.warn("ingest: sending {} events failed", events.size(), e);
            throw new IllegalStateException("the producer refused them");
        }
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            } catch (ExecutionException e) {
                log.warn("ingest: Kafka did not acknowledge {} events", events.size(), e.getCause());
                throw new IllegalStateException("Kafka refused them");
            } catch (TimeoutException e) {
                throw new IllegalStateException("timed out after " + ackTimeout.toSeconds() + " s");
            }
        }
        return events.size();
    }

    private static String clip(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return message;
        }
        return message.substring(0, MAX_MESSAGE_CHARS) + "… (" + message.length() + " characters)";
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
