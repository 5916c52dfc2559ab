package io.spendmonitor.producers.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What bounds a request and its answer: events per request, errors listed, the length of a message; the media types. */
class IngestLimitsTest {
    private static final String NOW = Instant.now().minusSeconds(60).toString();
    private final MockProducer<String, Object> producer = new MockProducer<>(true, null, new StringSerializer(),
            (Serializer<Object>) (topic, data) -> new byte[0]);
    private final Topics topics = Topics.withDefaults(new InMemorySchemaRegistryClient());

    private static String call(String id) {
        return "{\"event_id\":\"" + id + "\",\"timestamp\":\"" + NOW + "\",\"team\":\"search\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":10,\"output_tokens\":5}";
    }

    private static byte[] lines(int n, java.util.function.IntFunction<String> line) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < n; i++) {
            body.append(line.apply(i)).append('\n');
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void moreEventsThanTheCapIsA413AndNothingIsPublished() {
        IngestService ingest = new IngestService(producer, topics, null, Duration.ofSeconds(5), 50);

        IngestService.Response atCap = ingest.ingest(EventType.TOKEN_USAGE, null, lines(50, i -> call("ok-" + i)));
        IngestService.Response overCap = ingest.ingest(EventType.TOKEN_USAGE, null, lines(51, i -> call("over-" + i)));

        assertThat(atCap.status()).isEqualTo(200);
        assertThat(overCap.status()).isEqualTo(413);
        assertThat(String.valueOf(overCap.body().get("error"))).contains("more than 50 events");
        assertThat(producer.history()).hasSize(50);
        assertThat(new IngestService(producer, topics, null, Duration.ofSeconds(5)).ingest(EventType.TOKEN_USAGE, null,
                lines(IngestService.DEFAULT_MAX_EVENTS + 1, i -> call("many-" + i))).status()).isEqualTo(413);
    }

    @Test
    void aHundredThousandBadLinesGetTheFirstHundredErrorsAndTheCountInASmallAnswer() throws Exception {
        // the default cap counts events, not bad lines: nothing here is an event
        IngestService ingest = new IngestService(producer, topics, null, Duration.ofSeconds(5));

        // about 1.6 MB: within the default --max-request-bytes
        IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null,
                lines(100_000, i -> i % 2 == 0 ? "{not json" : "{\"bogus\":1}"));

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).containsEntry("accepted", 0).containsEntry("rejected", 100_000).containsEntry("errors_truncated", true);
        List<?> errors = (List<?>) r.body().get("errors");
        assertThat(errors).hasSize(100);
        assertThat(((Map<?, ?>) errors.get(0)).get("line")).isEqualTo(1);
        assertThat(((Map<?, ?>) errors.get(99)).get("line")).isEqualTo(100);
        assertThat(new ObjectMapper().writeValueAsBytes(r.body()).length).isLessThan(100_000);
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aMessageQuotingALongInputIsClipped() {
        IngestService ingest = new IngestService(producer, topics, null, Duration.ofSeconds(5));
        String longName = "x".repeat(2_000);

        IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null, lines(3, i -> "{\"" + longName + i + "\":1}"));

        assertThat(r.status()).isEqualTo(400);
        assertThat((List<?>) r.body().get("errors")).hasSize(3).allSatisfy(e ->
                assertThat(String.valueOf(((Map<?, ?>) e).get("message")).length()).isLessThan(IngestService.MAX_MESSAGE_CHARS + 40));
    }

    @Test
    void aKafkaFailureIsA503WithoutTheExceptionText() {
        producer.sendException = new KafkaException("broker kafka-7.internal:9092 is gone");
        IngestService ingest = new IngestService(producer, topics, null, Duration.ofSeconds(5));

        IngestService.Response r = ingest.ingest(EventType.TOKEN_USAGE, null, lines(1, i -> call("k")));

        assertThat(r.status()).isEqualTo(503);
        assertThat(String.valueOf(r.body().get("error"))).doesNotContain("kafka-7").doesNotContain("9092").contains("retrying");
    }

    @Test
    void onlyJsonAndNdjsonAreTaken() {
        assertThat(IngestMediaType.accepted("application/json")).isTrue();
        assertThat(IngestMediaType.accepted("application/x-ndjson")).isTrue();
        assertThat(IngestMediaType.accepted("Application/JSON; charset=UTF-8")).isTrue();
        assertThat(IngestMediaType.accepted("application/x-ndjson;charset=\"utf-8\"")).isTrue();

        assertThat(IngestMediaType.accepted(null)).isFalse();
        assertThat(IngestMediaType.accepted("")).isFalse();
        assertThat(IngestMediaType.accepted("text/plain")).isFalse(); // a cross-site form post
        assertThat(IngestMediaType.accepted("application/x-www-form-urlencoded")).isFalse();
        assertThat(IngestMediaType.accepted("multipart/form-data; boundary=x")).isFalse();
        assertThat(IngestMediaType.accepted("application/json; charset=iso-8859-1")).isFalse();
        assertThat(IngestMediaType.accepted("application/json; boundary=x")).isFalse();
        assertThat(IngestMediaType.accepted("application/jsonx")).isFalse();
    }
}
