package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.producers.ingest.IngestService;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.spendmonitor.producers.jsonl.EventLineParserTest.USAGE;
import static io.spendmonitor.producers.jsonl.EventLineParserTest.newParser;
import static org.assertj.core.api.Assertions.assertThat;

/** Attribution labels (TokenUsage v2) in JSON lines and HTTP ingest: same field name, same rules. */
class LabelsInJsonLinesTest {

    @Test
    void labelsAreReadFromJsonLines() {
        TokenUsage u = parsed(USAGE + ",\"event_id\":\"l-1\",\"labels\":{\"customer\":\"acme\",\"feature\":\"search-box\"}}");

        assertThat(u.getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of("customer", "acme", "feature", "search-box"));
        assertThat(parsed(USAGE + ",\"event_id\":\"l-2\"}").getLabels()).isEmpty();
    }

    @Test
    void hostileLabelsAreALineErrorWithTheRulesReason() {
        String many = IntStream.range(0, 33).mapToObj(i -> "\"k" + i + "\":\"v\"").collect(Collectors.joining(",", "{", "}"));

        LineError tooMany = error(USAGE + ",\"labels\":" + many + "}");
        LineError badKey = error(USAGE + ",\"labels\":{\"cust omer\":\"acme\"}}");
        LineError notText = error(USAGE + ",\"labels\":{\"customer\":42}}");
        LineError notObject = error(USAGE + ",\"labels\":[\"customer\"]}");

        assertThat(tooMany.reason()).isEqualTo("bad-labels");
        assertThat(tooMany.message()).isEqualTo("labels has 33 entries, at most 32 are allowed");
        assertThat(badKey.reason()).isEqualTo("bad-labels");
        assertThat(notText.reason()).isEqualTo(LineError.WRONG_TYPE);
        assertThat(notObject.reason()).isEqualTo(LineError.WRONG_TYPE);
    }

    @Test
    void derivedIdsOfUnlabelledCallsAreUnchangedAndLabelsMakeAnotherCall() {
        String plain = USAGE + "}";
        String labelled = USAGE + ",\"labels\":{\"customer\":\"acme\"}}";

        String plainId = parsed(plain).getEventId();

        // the id an unlabelled call had before labels existed (schema v1): replays dedupe against old data
        assertThat(plainId).isEqualTo(EventIds.nameBased(EventIds.canonicalContent(parsed(plain))).toString());
        assertThat(new String(EventIds.canonicalContent(parsed(plain)), StandardCharsets.UTF_8)).doesNotContain("acme").endsWith(",{}]");
        assertThat(parsed(labelled).getEventId()).isNotEqualTo(plainId);
    }

    @Test
    void httpIngestTakesLabelsInTheSameJson() {
        MockProducer<String, Object> producer = new MockProducer<>(true, null, new StringSerializer(),
                (Serializer<Object>) (topic, data) -> new byte[0]);
        IngestService ingest = new IngestService(producer, Topics.withDefaults(new InMemorySchemaRegistryClient()), null,
                Duration.ofSeconds(5));
        String now = Instant.now().minusSeconds(60).toString();
        String body = "{\"event_id\":\"h-1\",\"timestamp\":\"" + now + "\",\"team\":\"search\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":10,\"output_tokens\":5,"
                + "\"labels\":{\"customer\":\"acme\"}}\n"
                + "{\"event_id\":\"h-2\",\"timestamp\":\"" + now + "\",\"team\":\"search\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":10,\"output_tokens\":5,"
                + "\"labels\":{\"customer\":\"<script>\"}}";

        IngestService.Response response = ingest.ingest(EventType.TOKEN_USAGE, null, body.getBytes(StandardCharsets.UTF_8));

        assertThat(response.body()).containsEntry("accepted", 1).containsEntry("rejected", 1);
        assertThat(response.body().get("errors").toString()).contains("line=2").contains("reason=bad-labels");
        assertThat(producer.history()).singleElement().satisfies(r ->
                assertThat(((TokenUsage) r.value()).getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme")));
    }

    private static TokenUsage parsed(String line) {
        LineResult result = newParser().parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(ParsedEvent.class);
        return (TokenUsage) ((ParsedEvent) result).value();
    }

    private static LineError error(String line) {
        LineResult result = newParser().parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(LineError.class);
        return (LineError) result;
    }
}
