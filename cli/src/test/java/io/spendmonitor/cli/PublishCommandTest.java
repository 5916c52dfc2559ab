package io.spendmonitor.cli;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.ParsedEvent;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code spend-monitor publish} against a real broker and registry. */
@ExtendWith(KafkaClusterExtension.class)
class PublishCommandTest {
    /** Topics of this class live under their own prefix, created up front as an operator would. */
    static final String PREFIX = "publish-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    static Topics topics;

    private final KafkaCluster cluster;

    @TempDir
    Path dir;

    PublishCommandTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void createTopics(KafkaCluster cluster) {
        topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, PREFIX), new InMemorySchemaRegistryClient());
        cluster.createTopics(List.of(
                new NewTopic(topics.tokenUsage().name(), 3, (short) 1).configs(topics.tokenUsage().configs()),
                new NewTopic(topics.gpuUtilization().name(), 3, (short) 1).configs(topics.gpuUtilization().configs()),
                new NewTopic(topics.priceCatalog().name(), 1, (short) 1).configs(topics.priceCatalog().configs()),
                new NewTopic(topics.teamBudgets().name(), 3, (short) 1).configs(topics.teamBudgets().configs())));
    }

    private CliRun publish(String prefix, String... more) {
        String[] args = new String[7 + more.length];
        System.arraycopy(new String[]{"publish", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                "-X", Topics.PREFIX_CONFIG + "=" + prefix}, 0, args, 0, 7);
        System.arraycopy(more, 0, args, 7, more.length);
        return CliRun.of(args);
    }

    private Path write(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    /** What the file's lines say, parsed the way publish parses them (a fresh parser: same derived ids). */
    private static Map<String, Object> expectedByKey(Path file, Function<ParsedEvent, String> id) throws IOException {
        EventLineParser parser = new EventLineParser();
        List<String> lines = Files.readAllLines(file);
        return java.util.stream.IntStream.range(0, lines.size())
                .mapToObj(i -> parser.parse(i + 1, lines.get(i)))
                .flatMap(java.util.Optional::stream)
                .filter(ParsedEvent.class::isInstance).map(ParsedEvent.class::cast)
                .collect(Collectors.toMap(id, ParsedEvent::value));
    }

    @Test
    void goodLinesArePublishedExactlyAndBadLinesReported() throws IOException {
        String team = "team-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = write("mixed.jsonl",
                "# good and bad lines",
                "{\"type\":\"token_usage\",\"event_id\":\"call-1\",\"timestamp\":\"2026-01-10T10:00:00Z\",\"team\":\"" + team + "\","
                        + "\"application\":\"ranker\",\"provider\":\"anthropic\",\"model\":\"claude-haiku-4-5\",\"input_tokens\":1000,"
                        + "\"cached_input_tokens\":600,\"cache_write_input_tokens\":100,\"output_tokens\":200,\"reported_cost_usd\":0.00131,"
                        + "\"attributes\":{\"region\":\"eu\"}}",
                "{\"type\":\"token_usage\",\"timestamp\":\"2026-01-10T10:00:01Z\",\"team\":\"" + team + "\",\"application\":\"ranker\","
                        + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_token\":5,\"output_tokens\":1}",
                "{\"type\":\"gpu_utilization\",\"timestamp\":1768039200000,\"node\":\"gpu-1\",\"gpu_id\":\"0\",\"gpu_model\":\"H100-80GB\","
                        + "\"team\":\"" + team + "\",\"deployment\":\"llama-8b\",\"utilization\":0.25,\"interval_seconds\":15,\"usd_per_hour\":\"2.99\"}",
                "{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_usd_per_mtok\":0.15,"
                        + "\"cached_input_usd_per_mtok\":\"0.075\",\"output_usd_per_mtok\":\"0.60\",\"effective_from\":\"2024-07-18T00:00:00Z\"}",
                "",
                "{\"type\":\"token_usage\",\"timestamp\":\"2026-01-10T10:00:02Z\",\"team\":\"" + team + "\",\"application\":\"ranker\","
                        + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":-5,\"output_tokens\":1}",
                "{\"type\":\"team_budget\",\"team\":\"" + team + "\",\"daily_usd\":\"100\",\"monthly_usd\":2500.5,\"effective_from\":\"2026-01-01\"}",
                "{\"type\":\"token_usage\",\"timestamp\":\"2026-01-10T10:00:03Z\",\"team\":\"" + team + "\",\"application\":\"chat\","
                        + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1200,\"cached_input_tokens\":1000,\"output_tokens\":80}");

        CliRun run = publish(PREFIX, file.toString());

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("line 3: unknown field 'input_token' in token_usage (did you mean 'input_tokens'?)")
                .contains("line 7: input_tokens must not be negative, got -5")
                .containsPattern("published 5 \\(api_price 1, gpu_utilization 1, team_budget 1, token_usage 2\\), "
                        + "rejected 2 \\(negative-tokens 1, unknown-field 1\\) in \\d+\\.\\d s");
        assertThat(run.err()).doesNotContain("line 2:", "line 4:", "line 5:", "line 8:", "line 9:");

        List<ConsumerRecord<String, TokenUsage>> usage = KafkaTopicReader.read(cluster, topics.tokenUsage().name(), TokenUsage.class, 2)
                .stream().filter(r -> r.key().equals(team)).toList();
        Map<String, Object> expected = expectedByKey(file, e -> e.value() instanceof TokenUsage u ? u.getEventId()
                : e.type().jsonName() + "|" + e.key());
        assertThat(usage).hasSize(2);
        usage.forEach(r -> assertThat(r.value()).isEqualTo(expected.get(r.value().getEventId())));
        TokenUsage first = usage.stream().map(ConsumerRecord::value).filter(u -> u.getEventId().equals("call-1")).findFirst().orElseThrow();
        assertThat(first.getReportedCostUsd()).isEqualTo(new BigDecimal("0.001310000"));
        assertThat(first.getCachedInputTokens()).isEqualTo(600);
        assertThat(first.getAttributes()).containsEntry("region", "eu");

        ConsumerRecord<String, GpuUtilization> gpu = KafkaTopicReader.read(cluster, topics.gpuUtilization().name(), GpuUtilization.class, 1)
                .stream().filter(r -> r.key().equals(team)).findFirst().orElseThrow();
        assertThat(gpu.value()).isEqualTo(expected.get("gpu_utilization|" + team));
        assertThat(gpu.value().getUsdPerHour()).isEqualTo(new BigDecimal("2.990000000"));

        ConsumerRecord<String, TeamBudget> budget = KafkaTopicReader.read(cluster, topics.teamBudgets().name(), TeamBudget.class, 1)
                .stream().filter(r -> r.key().equals(team)).findFirst().orElseThrow();
        assertThat(budget.value().getDailyUsd()).isEqualTo(new BigDecimal("100.000000000"));
        assertThat(budget.value().getMonthlyUsd()).isEqualTo(new BigDecimal("2500.500000000"));

        ConsumerRecord<String, PriceEntry> price = KafkaTopicReader.read(cluster, topics.priceCatalog().name(), PriceEntry.class, 1)
                .stream().filter(r -> r.key().equals("api|openai|gpt-4o-mini||2024-07-18T00:00:00.000Z")).findFirst().orElseThrow();
        assertThat(price.value()).isEqualTo(expected.get("api_price|api|openai|gpt-4o-mini||2024-07-18T00:00:00.000Z"));
    }

    @Test
    void publishingTheSameFileTwiceGivesTheSameEventIds() throws IOException {
        String team = "twice-" + UUID.randomUUID().toString().substring(0, 8);
        String call = "{\"type\":\"token_usage\",\"timestamp\":\"2026-01-10T11:00:00Z\",\"team\":\"" + team + "\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o\",\"input_tokens\":10,\"output_tokens\":%d}";
        // lines 1 and 2 are identical: two calls in the same millisecond, not a duplicate
        Path file = write("twice.jsonl", call.formatted(5), call.formatted(5), call.formatted(7));

        assertThat(publish(PREFIX, "--no-progress", file.toString()).exitCode()).isZero();
        assertThat(publish(PREFIX, "--no-progress", file.toString()).exitCode()).isZero();

        List<String> ids = KafkaTopicReader.read(cluster, topics.tokenUsage().name(), TokenUsage.class, 6).stream()
                .filter(r -> r.key().equals(team)).map(r -> r.value().getEventId()).toList();
        assertThat(ids).hasSize(6);
        Map<String, Long> timesSeen = ids.stream().collect(Collectors.groupingBy(id -> id, Collectors.counting()));
        // three distinct calls, each published twice under the same id
        assertThat(timesSeen).hasSize(3).allSatisfy((id, n) -> assertThat(n).isEqualTo(2L));
        assertThat(timesSeen.keySet()).isEqualTo(expectedByKey(file, e -> ((TokenUsage) e.value()).getEventId()).keySet());
    }

    @Test
    void aMissingTopicIsOneClearError() throws IOException {
        Path file = write("one.jsonl", PublishCommandOptionsTest.GOOD);
        CliRun run = publish("nothing-here.", file.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("error: topic 'nothing-here.llm.token-usage' does not exist (needed by line 1); "
                + "create the spend-monitor topics first ('spend-monitor local' does), or pass --create-topics");
    }

    @Test
    void anUnreachableBrokerFailsWithoutPrintingCredentials() throws IOException {
        Path file = write("one.jsonl", PublishCommandOptionsTest.GOOD);
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        CliRun run = CliRun.of("publish", "-b", "127.0.0.1:" + port, "-r", cluster.schemaRegistryUrl(), "--timeout", "2s",
                "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN",
                "-X", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svc\" password=\"hunter2-secret\";",
                file.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("error: cannot reach Kafka: no answer within 2 s").doesNotContain("hunter2");
        assertThat(run.out()).doesNotContain("hunter2");
    }

    @Test
    void anUnreachableRegistryFailsTheRun() throws IOException {
        Path file = write("one.jsonl", PublishCommandOptionsTest.GOOD, PublishCommandOptionsTest.GOOD);
        CliRun run = CliRun.of("publish", "-b", cluster.bootstrapServers(), "-r", "http://127.0.0.1:1", "--timeout", "5s",
                "-X", Topics.PREFIX_CONFIG + "=" + PREFIX, "-X", "schema.registry.retries=0", file.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("error: cannot publish line 1 to " + PREFIX + "llm.token-usage")
                .contains("published 0, rejected 0");
    }
}
