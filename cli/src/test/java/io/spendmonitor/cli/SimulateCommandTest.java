package io.spendmonitor.cli;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code spend-monitor simulate}: options and exit codes, and a short run against the real broker and registry. */
@ExtendWith(KafkaClusterExtension.class)
class SimulateCommandTest {

    @Test
    void listNamesEveryScenarioWithALineAboutIt() {
        CliRun run = CliRun.of("simulate", "--list");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out().lines()).hasSize(4).satisfiesExactly(
                l -> assertThat(l).startsWith("crossover  the demo: 'search' (gpt-4o-mini) grows past the self-hosting break-even"),
                l -> assertThat(l).startsWith("steady     constant traffic from --teams teams"),
                l -> assertThat(l).startsWith("idle-gpus  only 'research'"),
                l -> assertThat(l).startsWith("seed-2023  the seed's 2023 test"));
    }

    @Test
    void badUsageExitsWithTwoAndSaysWhy() {
        assertThat(CliRun.of("simulate")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).isEqualTo("error: name a scenario: crossover, steady, idle-gpus, seed-2023 (see --list)\n");
        });
        assertThat(CliRun.of("simulate", "rush-hour", "-b", "x:1", "-r", "http://x")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).contains("unknown scenario 'rush-hour'; known: crossover, steady, idle-gpus, seed-2023");
        });
        assertThat(CliRun.of("simulate", "crossover", "--teams", "5")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).contains("--teams and --rate apply to the steady scenario only");
        });
        assertThat(CliRun.of("simulate", "steady", "--speed", "0")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).contains("speed must be a positive number");
        });
        assertThat(CliRun.of("simulate", "steady", "--start", "yesterday")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).contains("'yesterday' is not a time");
        });
        assertThat(CliRun.of("simulate", "steady", "--duration", "0s")).satisfies(r -> assertThat(r.exitCode()).isEqualTo(2));
        assertThat(CliRun.of("simulate", "idle-gpus")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err()).contains("no Kafka address");
        });
    }

    @Test
    void startTakesInstantsDatesAndTimesRelativeToNow() {
        Clock clock = Clock.fixed(Instant.parse("2026-03-02T10:17:42Z"), ZoneOffset.UTC);
        assertThat(SimulateCommand.StartConverter.convert("2026-03-02T09:00:00Z", clock)).isEqualTo("2026-03-02T09:00:00Z");
        assertThat(SimulateCommand.StartConverter.convert("2026-03-02T10:00:00+01:00", clock)).isEqualTo("2026-03-02T09:00:00Z");
        assertThat(SimulateCommand.StartConverter.convert("2026-03-01", clock)).isEqualTo("2026-03-01T00:00:00Z");
        assertThat(SimulateCommand.StartConverter.convert("now", clock)).isEqualTo("2026-03-02T10:17:00Z");
        assertThat(SimulateCommand.StartConverter.convert("now-6h", clock)).isEqualTo("2026-03-02T04:17:00Z");
        assertThat(SimulateCommand.StartConverter.convert("now - PT90M", clock)).isEqualTo("2026-03-02T08:47:00Z");
        assertThatThrownBy(() -> SimulateCommand.StartConverter.convert("soon", clock))
                .isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void theDefaultsAreSixtyTimesRealTimeFromTwoHoursAgo() {
        SimulateCommand command = new SimulateCommand();
        new CommandLine(command).parseArgs("steady");
        var settings = command.settings(Clock.fixed(Instant.parse("2026-03-02T10:17:42Z"), ZoneOffset.UTC));
        assertThat(settings.start()).isEqualTo("2026-03-02T08:17:00Z");
        assertThat(settings.speed()).isEqualTo(60);
        assertThat(settings.seed()).isEqualTo(42);
        assertThat(settings.duration()).isNull();
        assertThat(settings.teams()).isEqualTo(20);
        assertThat(settings.rate()).isEqualTo(200);
        assertThat(settings.loadPrices()).isFalse();
    }

    @Test
    void crossoverForTwentySimulatedMinutesWithPricesAndTopicsCreated(KafkaCluster cluster) {
        String prefix = "simulate-cli.";
        CliRun run = CliRun.of("simulate", "crossover", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                "-X", "spend.topic.prefix=" + prefix, "--speed", "1200", "--duration", "20m", "--start", "now-3h",
                "--load-prices", "--create-topics");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).contains("created topic " + prefix + "llm.token-usage (6 partitions)")
                .contains("loaded the default price catalog")
                .contains("published the budget of support (daily $40, monthly -)")
                .contains("simulating 'crossover' from ")
                .containsPattern("finished: sent \\d+ events \\(token_usage \\d+, gpu_utilization 160\\), \\d+ acknowledged; simulated ");

        List<ConsumerRecord<String, GpuUtilization>> samples = KafkaTopicReader.read(cluster, prefix + "gpu.utilization",
                GpuUtilization.class, 160);
        assertThat(samples).hasSize(160).allSatisfy(r -> assertThat(r.value().getIntervalSeconds()).isEqualTo(15.0));
        Matcher sent = Pattern.compile("finished: sent \\d+ events \\(token_usage (\\d+),").matcher(run.err());
        assertThat(sent.find()).isTrue();
        int tokenUsage = Integer.parseInt(sent.group(1));
        List<ConsumerRecord<String, TokenUsage>> calls = KafkaTopicReader.read(cluster, prefix + "llm.token-usage", TokenUsage.class,
                tokenUsage);
        assertThat(calls).hasSize(tokenUsage).extracting(ConsumerRecord::key).contains("search", "support", "research");
        assertThat(KafkaTopicReader.read(cluster, prefix + "spend.team-budgets", TeamBudget.class, 1)).isNotEmpty();
    }

    @Test
    void aMissingTopicFailsWithExitOneAndAHint(KafkaCluster cluster) {
        CliRun run = CliRun.of("simulate", "idle-gpus", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                "-X", "spend.topic.prefix=simulate-missing.");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: topic 'simulate-missing.llm.token-usage' does not exist; create the spend-monitor "
                + "topics first ('spend-monitor local' does), or let the simulator create them (--create-topics)\n");
    }
}
