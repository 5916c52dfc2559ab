package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EventLinePublisherTest {
    private static final String USAGE = EventLineParserTest.USAGE + "}";
    private static final String BUDGET = "{\"type\":\"team_budget\",\"team\":\"search\",\"daily_usd\":\"100\",\"effective_from\":\"2026-11-01\"}";
    private static final String TYPO = EventLineParserTest.USAGE.replace("\"output_tokens\"", "\"output_token\"") + "}";

    private final Topics topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, "t."), new InMemorySchemaRegistryClient());
    private final List<LineError> rejected = new ArrayList<>();
    private final EventLinePublisher.Listener listener = rejected::add;

    private static BufferedReader lines(String... lines) {
        return new BufferedReader(new StringReader(String.join("\n", lines)));
    }

    private static MockProducer<String, Object> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new StringSerializer(), (topic, value) -> new byte[0]);
    }

    @Test
    void publishesGoodLinesToTheirTopicsAndReportsBadOnes() {
        MockProducer<String, Object> producer = producer(true);
        PublishResult result = EventLinePublisher.to(producer, topics, TopicCheck.none(), listener, null)
                .publish(lines("# usage", USAGE, "", TYPO, BUDGET), EventLineParserTest.newParser());

        List<ProducerRecord<String, Object>> sent = producer.history();
        assertThat(sent).extracting(ProducerRecord::topic).containsExactly("t.llm.token-usage", "t.spend.team-budgets");
        assertThat(sent).extracting(ProducerRecord::key).containsExactly("search", "search");
        assertThat(((TokenUsage) sent.get(0).value()).getInputTokens()).isEqualTo(1000);
        assertThat(rejected).extracting(LineError::lineNumber).containsExactly(4);
        assertThat(result.linesRead()).isEqualTo(5);
        assertThat(result.valid()).isEqualTo(2);
        assertThat(result.published()).isEqualTo(2);
        assertThat(result.rejected()).isEqualTo(1);
        assertThat(result.rejectedByReason()).containsExactly(Map.entry(LineError.UNKNOWN_FIELD, 1L));
        assertThat(result.publishedByType()).containsExactly(Map.entry("team_budget", 1L), Map.entry("token_usage", 1L));
        assertThat(result.notAcknowledged()).isZero();
        assertThat(result.failure()).isNull();
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.summary()).matches("published 2 \\(team_budget 1, token_usage 1\\), rejected 1 \\(unknown-field 1\\) in \\d+\\.\\d s");
        assertThat(producer.flushed()).isTrue();
    }

    @Test
    void everyLineGoodExitsWithZero() {
        PublishResult result = EventLinePublisher.to(producer(true), topics, TopicCheck.none(), listener, null)
                .publish(lines(USAGE, BUDGET), EventLineParserTest.newParser());
        assertThat(result.exitCode()).isZero();
        assertThat(result.summary()).startsWith("published 2 (team_budget 1, token_usage 1), rejected 0 in ");
    }

    @Test
    void aDryRunCountsWithoutKafka() {
        PublishResult result = EventLinePublisher.dryRun(listener, null).publish(lines(USAGE, TYPO), EventLineParserTest.newParser());
        assertThat(result.dryRun()).isTrue();
        assertThat(result.valid()).isEqualTo(1);
        assertThat(result.published()).isZero();
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.summary()).matches("valid 1 \\(token_usage 1\\), rejected 1 \\(unknown-field 1\\) in \\d+\\.\\d s; dry run: nothing published");
    }

    @Test
    void aMissingTopicStopsPublishingWithAClearReason() {
        MockProducer<String, Object> producer = producer(true);
        TopicCheck check = (destination, topic) -> {
            if (destination == Destination.TEAM_BUDGETS) {
                throw new MissingTopicException(topic.name());
            }
        };
        PublishResult result = EventLinePublisher.to(producer, topics, check, listener, null)
                .publish(lines(USAGE, BUDGET, USAGE), EventLineParserTest.newParser());
        assertThat(result.failure()).isEqualTo("topic 't.spend.team-budgets' does not exist (needed by line 2)");
        assertThat(result.linesRead()).isEqualTo(2);
        assertThat(result.published()).isEqualTo(1);
        assertThat(result.exitCode()).isEqualTo(1);
    }

    @Test
    void unacknowledgedEventsAreCountedAndFail() {
        MockProducer<String, Object> producer = new MockProducer<>(false, null, new StringSerializer(), (t, v) -> new byte[0]) {
            @Override
            public synchronized void flush() {
                // the broker never answers: every pending send expires
                while (errorNext(new TimeoutException("Expiring 1 record(s): 60000 ms has passed since batch creation"))) {
                    // next
                }
            }
        };
        PublishResult result = EventLinePublisher.to(producer, topics, TopicCheck.none(), listener, null)
                .publish(lines(USAGE, USAGE), EventLineParserTest.newParser());
        assertThat(result.published()).isZero();
        assertThat(result.notAcknowledged()).isEqualTo(2);
        assertThat(result.failure()).isEqualTo("Kafka did not accept line 1 (topic t.llm.token-usage): "
                + "Expiring 1 record(s): 60000 ms has passed since batch creation");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.summary()).startsWith("published 0, rejected 0, not acknowledged 2 in ");
    }

    @Test
    void aSendThatThrowsStopsReading() {
        MockProducer<String, Object> producer = producer(true);
        producer.sendException = new KafkaException("cannot write io.spendmonitor.avro.TokenUsage: registry unavailable");
        PublishResult result = EventLinePublisher.to(producer, topics, TopicCheck.none(), listener, null)
                .publish(lines(USAGE, USAGE, USAGE), EventLineParserTest.newParser());
        assertThat(result.linesRead()).isEqualTo(1);
        assertThat(result.failure()).isEqualTo("cannot publish line 1 to t.llm.token-usage: "
                + "cannot write io.spendmonitor.avro.TokenUsage: registry unavailable");
        assertThat(result.exitCode()).isEqualTo(1);
    }

    @Test
    void aLineThatIsNotUtf8IsRejectedAlone() {
        // "café" in ISO-8859-1: the é is byte 0xE9, not UTF-8
        byte[] bytes = (USAGE + "\n{\"type\":\"team_budget\",\"team\":\"caf\u00e9\"}\n" + USAGE + "\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(new java.io.ByteArrayInputStream(bytes),
                java.nio.charset.StandardCharsets.UTF_8));
        PublishResult result = EventLinePublisher.dryRun(listener, null).publish(reader, EventLineParserTest.newParser());
        assertThat(rejected).singleElement().satisfies(e -> {
            assertThat(e.lineNumber()).isEqualTo(2);
            assertThat(e.reason()).isEqualTo(LineError.NOT_UTF8);
            assertThat(e.describe()).isEqualTo("line 2: not UTF-8 text (undecodable bytes, shown as U+FFFD)");
        });
        assertThat(result.valid()).isEqualTo(2);
        assertThat(result.exitCode()).isEqualTo(2);
    }

    @Test
    void progressReportsRate() {
        EventLinePublisher.Progress p = new EventLinePublisher.Progress(3000, 2900, 10, 90, java.time.Duration.ofSeconds(2));
        // 3000 lines in 2 s
        assertThat(p.linesPerSecond()).isEqualTo(1500.0);
    }
}
