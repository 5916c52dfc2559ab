package io.spendmonitor.cli;

import io.spendmonitor.streams.config.SpendConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where each setting comes from: defaults, then --config, then the environment, then -X and dedicated options. */
class ConfigPrecedenceTest {
    @TempDir
    Path dir;

    private RunCommand run(Map<String, String> env, String... args) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs(args);
        run.client.env = env;
        return run;
    }

    private static ClientOptions client(Map<String, String> env, String... args) {
        ClientOptions client = new ClientOptions();
        new CommandLine(client).parseArgs(args);
        client.env = env;
        return client;
    }

    private Path file(String content) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, content);
        return file;
    }

    @Test
    void runTakesTheFileThenTheEnvironmentThenTheOptions() throws Exception {
        Path file = file("bootstrap.servers=file:9092\nspend.window.grace=PT1M\nspend.horizon.minutes=30\n"
                + "spend.idle.fire-windows=7\nspend.notify.max-pending=9\n");
        Map<String, String> env = Map.of("SPEND_WINDOW_GRACE", "PT2M", "SPEND_HORIZON_MINUTES", "45",
                "SPEND_NOTIFY_MAX_PENDING", "10");
        SpendConfig config = run(env, "-r", "http://registry:8081", "--config", file.toString(),
                "-X", "spend.window.grace=PT3M").config();

        assertThat(config.duration(SpendConfig.WINDOW_GRACE)).as("-X beats the environment").isEqualTo(Duration.ofMinutes(3));
        assertThat(config.settings().horizonMinutes()).as("the environment beats the file").isEqualTo(45);
        assertThat(config.string("spend.notify.max-pending")).as("the environment beats the file").isEqualTo("10");
        assertThat(config.settings().idleFireWindows()).as("the file beats the default").isEqualTo(7);
        assertThat(config.string("bootstrap.servers")).isEqualTo("file:9092");
    }

    @Test
    void aDedicatedOptionBeatsTheEnvironmentAndTheFile() throws Exception {
        Path file = file("spend.notify.routes=from-file.json\n");
        SpendConfig config = run(Map.of("SPEND_NOTIFY_ROUTES", "from-env.json"), "-b", "k:9092", "-r", "http://r:8081",
                "-c", file.toString(), "--notify-routes", "from-option.json", "--application-id", "app-option").config();
        assertThat(config.string("spend.notify.routes")).isEqualTo("from-option.json");
        assertThat(config.string("application.id")).isEqualTo("app-option");
    }

    @Test
    void theVariablesNamedInRunsHelpSitWithTheEnvironment() {
        Map<String, String> env = Map.of("SPEND_NOTIFY_SLACK_URL", "https://hooks.example.com/env",
                "SPEND_NOTIFY_PAGERDUTY_KEY", "pd-from-env");
        SpendConfig config = run(env, "-b", "k:9092", "-r", "http://r:8081",
                "-X", "spend.notify.slack.url=https://hooks.example.com/x").config();
        assertThat(config.string("spend.notify.slack.url")).as("-X beats the environment").isEqualTo("https://hooks.example.com/x");
        assertThat(config.string("spend.notify.pagerduty.routing-key")).isEqualTo("pd-from-env");
        assertThat(run(env, "-b", "k:9092", "-r", "http://r:8081", "--notify-slack", "https://hooks.example.com/option")
                .config().string("spend.notify.slack.url")).isEqualTo("https://hooks.example.com/option");
    }

    @Test
    void theEnvironmentReachesEverySetting() {
        SpendConfig config = run(Map.of("SPEND_ROCKSDB_MEMORY_MB", "256", "SPEND_METRICS_MAX_TEAMS", "20"),
                "-b", "k:9092", "-r", "http://r:8081").config();
        assertThat(config.string("spend.rocksdb.memory-mb")).isEqualTo("256");
        assertThat(config.string("spend.metrics.max-teams")).isEqualTo("20");
    }

    @Test
    void anUnknownSettingInTheFileIsAUsageErrorNamingTheNearest() throws Exception {
        Path file = file("spend.window.gracee=PT10M\n");
        assertThatThrownBy(() -> run(Map.of(), "-b", "k:9092", "-r", "http://r:8081", "-c", file.toString()).config())
                .isInstanceOf(CliException.class)
                .hasMessage("unknown setting 'spend.window.gracee'; did you mean 'spend.window.grace'?")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
    }

    @Test
    void everyCommandWithAConfigFileLayersItTheSameWay() throws Exception {
        // publish, simulate, gpu-collector, prices and bench all build their clients from ClientOptions
        Path file = file("bootstrap.servers=file:9092\nschema.registry.url=http://file:8081\nspend.topic.prefix=file.\n"
                + "security.protocol=SSL\n");
        Map<String, String> env = Map.of("SPEND_TOPIC_PREFIX", "env.", "SPEND_BOOTSTRAP_SERVERS", "env:9092");
        Map<String, Object> config = client(env, "-c", file.toString()).config(true);
        assertThat(config).containsEntry("spend.topic.prefix", "env.").containsEntry("bootstrap.servers", "env:9092")
                .containsEntry("schema.registry.url", "http://file:8081").containsEntry("security.protocol", "SSL");

        assertThat(client(env, "-c", file.toString(), "-X", "spend.topic.prefix=x.", "-X", "bootstrap.servers=x:9092").config(true))
                .containsEntry("spend.topic.prefix", "x.").containsEntry("bootstrap.servers", "x:9092");
        assertThat(client(env, "-c", file.toString(), "-X", "bootstrap.servers=x:9092", "-b", "b:9092").config(true))
                .containsEntry("bootstrap.servers", "b:9092");

        assertThatThrownBy(() -> client(env, "-c", file.toString(), "-X", "spend.topic.prefx=x.").config(true))
                .isInstanceOf(CliException.class)
                .hasMessage("unknown setting 'spend.topic.prefx'; did you mean 'spend.topic.prefix'?");
    }
}
