package io.spendmonitor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where run's tokens come from, and that ingest is never open by accident. */
class RunCommandTokensTest {
    private final StringWriter err = new StringWriter();

    @Test
    void runRefusesToStartWithAnOpenIngestEndpointUnlessAskedTo() {
        // fails before any connection: no broker needed
        CliRun refused = CliRun.of("run", "-b", "127.0.0.1:1", "-r", "http://127.0.0.1:1", "--http-port", "0");

        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("--ingest-token").contains("--ingest-allow-anonymous").contains("SPEND_INGEST_TOKEN");
    }

    @Test
    void tokensComeFromTheEnvironmentAFileOrWithAWarningTheCommandLine(@TempDir Path dir) throws Exception {
        Path apiFile = dir.resolve("api.token");
        Files.writeString(apiFile, "api-from-file\n");
        RunCommand run = new RunCommand();
        run.apiTokenFile = apiFile;
        run.metricsToken = "metrics-on-the-command-line";

        RunCommand.Tokens tokens = run.tokens(new PrintWriter(err, true), Map.of("SPEND_INGEST_TOKEN", "ingest-from-env"));

        assertThat(tokens.ingest()).isEqualTo("ingest-from-env");
        assertThat(tokens.api()).isEqualTo("api-from-file");
        assertThat(tokens.metrics()).isEqualTo("metrics-on-the-command-line");
        assertThat(err.toString()).contains("warning: --metrics-token on the command line").contains("SPEND_METRICS_TOKEN")
                .doesNotContain("metrics-on-the-command-line").doesNotContain("api-from-file");
        assertThat(tokens.toString()).doesNotContain("from");
    }

    @Test
    void anonymousIngestIsAnExplicitChoiceAndSaidOutLoud() {
        RunCommand run = new RunCommand();
        run.ingestAllowAnonymous = true;

        RunCommand.Tokens tokens = run.tokens(new PrintWriter(err, true), Map.of());

        assertThat(tokens.ingest()).isNull();
        assertThat(err.toString()).contains("--ingest-allow-anonymous");
    }

    @Test
    void aTokenAndItsFileTogetherOrAnEmptyFileAreBadUsage(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        RunCommand both = new RunCommand();
        both.ingestToken = "x";
        both.ingestTokenFile = empty;
        RunCommand emptyFile = new RunCommand();
        emptyFile.ingestTokenFile = empty;
        RunCommand missing = new RunCommand();
        missing.apiTokenFile = dir.resolve("missing");
        missing.ingestAllowAnonymous = true;

        assertThatThrownBy(() -> both.tokens(new PrintWriter(err, true), Map.of())).hasMessageContaining("not both");
        assertThatThrownBy(() -> emptyFile.tokens(new PrintWriter(err, true), Map.of())).hasMessageContaining("one line");
        assertThatThrownBy(() -> missing.tokens(new PrintWriter(err, true), Map.of())).hasMessageContaining("--api-token-file");
    }

    @Test
    void alertSecretsComeFromAFileOrWithAWarningTheCommandLine(@TempDir Path dir) throws Exception {
        Path slack = Files.writeString(dir.resolve("slack"), "https://hooks.slack.com/services/T/B/from-file\n");
        Path pagerDuty = Files.writeString(dir.resolve("pd"), "pd-key-from-file\n");
        RunCommand run = new RunCommand();
        picocli.CommandLine cli = new picocli.CommandLine(run);
        cli.setErr(new PrintWriter(err, true));
        cli.parseArgs("-b", "127.0.0.1:1", "-r", "http://127.0.0.1:1", "--notify-slack-file", slack.toString(),
                "--notify-pagerduty-key-file", pagerDuty.toString(), "--notify-webhook", "https://ops.example.com/hook",
                "--notify-webhook-secret", "secret-on-the-command-line");
        run.client.env = Map.of();

        var config = run.config();

        assertThat(config.string("spend.notify.slack.url")).isEqualTo("https://hooks.slack.com/services/T/B/from-file");
        assertThat(config.string("spend.notify.pagerduty.routing-key")).isEqualTo("pd-key-from-file");
        assertThat(config.string("spend.notify.webhook.secret")).isEqualTo("secret-on-the-command-line");
        assertThat(err.toString()).contains("warning: --notify-webhook-secret on the command line")
                .doesNotContain("secret-on-the-command-line").doesNotContain("from-file")
                .doesNotContain("--notify-slack on the command line");
    }
}
