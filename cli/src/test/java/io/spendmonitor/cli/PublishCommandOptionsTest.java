package io.spendmonitor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The publish and prices commands without Kafka: help, dry runs, option parsing, configuration. */
class PublishCommandOptionsTest {
    static final String GOOD = "{\"type\":\"token_usage\",\"timestamp\":\"2026-01-10T10:00:00Z\",\"team\":\"search\","
            + "\"application\":\"ranker\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1000,\"output_tokens\":200}";

    @TempDir
    Path dir;

    @Test
    void everyCommandHasHelpWithExamples() {
        CliRun publish = CliRun.of("publish", "--help");
        assertThat(publish.exitCode()).isZero();
        assertThat(publish.out()).contains("Usage: spend-monitor publish", "FILE|-", "--dry-run", "--create-topics",
                "--bootstrap-servers", "Examples:", "Exit codes: 0 every line published, 2 some lines rejected");
        CliRun prices = CliRun.of("prices", "--help");
        assertThat(prices.out()).contains("Usage: spend-monitor prices", "load", "list", "Examples:");
        assertThat(CliRun.of("prices", "load", "--help").out()).contains("[FILE|-]", "default catalog", "Examples:");
        assertThat(CliRun.of("prices", "list", "--help").out()).contains("--json", "--kind=KIND", "api, gpu, profile", "Examples:");
        assertThat(CliRun.of("--help").out()).contains("publish", "prices");
    }

    @Test
    void aDryRunValidatesWithoutKafka() throws Exception {
        Path file = dir.resolve("usage.jsonl");
        Files.writeString(file, "# two calls\n" + GOOD + "\n" + GOOD.replace("\"input_tokens\"", "\"input_token\"") + "\n\nnot json\n");
        CliRun run = CliRun.of("publish", "--dry-run", file.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("line 3: unknown field 'input_token' in token_usage (did you mean 'input_tokens'?)")
                .contains("line 5: invalid JSON at column 1")
                .containsPattern("valid 1 \\(token_usage 1\\), rejected 2 \\(invalid-json 1, unknown-field 1\\) in \\d+\\.\\d s; dry run: nothing published");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void readsStandardInput() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream((GOOD + "\n").getBytes(StandardCharsets.UTF_8)));
            CliRun run = CliRun.of("publish", "--dry-run", "-");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.err()).startsWith("valid 1 (token_usage 1), rejected 0 in ");
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void theDefaultCatalogValidates() {
        CliRun run = CliRun.of("prices", "load", "--dry-run");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).startsWith("valid 45 (api_price 24, gpu_price 8, selfhost_profile 13), rejected 0 in ");
    }

    @Test
    void pricesLoadTakesOnlyPricesAndBudgets() throws Exception {
        Path file = dir.resolve("prices.jsonl");
        Files.writeString(file, GOOD + "\n{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":0.526,\"effective_from\":\"2019-09-20\"}\n");
        CliRun run = CliRun.of("prices", "load", "--dry-run", file.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("line 1: type 'token_usage' is not accepted here (only api_price, gpu_price, "
                + "selfhost_profile, owned_gpu, team_budget)").contains("valid 1 (gpu_price 1), rejected 1 (type-not-accepted 1)");
    }

    @Test
    void badUsageIsExplained() {
        CliRun missing = CliRun.of("publish", "--dry-run", dir.resolve("nope.jsonl").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("error: no such file: ");
        CliRun noAddress = CliRun.of("publish", dir.toString());
        assertThat(noAddress.exitCode()).isEqualTo(1);
        assertThat(noAddress.err()).contains("no Kafka address");
        CliRun badTimeout = CliRun.of("publish", "--timeout", "soon", "x");
        assertThat(badTimeout.exitCode()).isEqualTo(2);
        assertThat(badTimeout.err()).contains("'soon' is not a duration");
        assertThat(CliRun.of("publish").exitCode()).isEqualTo(2);
    }

    @Test
    void durationsReadTheUsualWays() {
        PublishCommand.DurationConverter c = new PublishCommand.DurationConverter();
        assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(c.convert("PT45S")).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> c.convert("-1s")).hasMessageContaining("not a duration");
    }

    @Test
    void theProducerIsIdempotentWithAllAcksAndBoundedTimeouts() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", "k:9092");
        config.put("schema.registry.url", "http://r:8081");
        config.put("basic.auth.user.info", "u:p");
        config.put("spend.topic.prefix", "prod.");
        config.put("security.protocol", "SASL_SSL");
        config.put("acks", "1");
        Map<String, Object> p = PublishCommand.producerConfig(config, Duration.ofSeconds(10));
        assertThat(p).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("bootstrap.servers", "k:9092")
                // delivery.timeout.ms (10000) >= linger.ms (20) + request.timeout.ms (9980)
                .containsEntry("delivery.timeout.ms", "10000").containsEntry("request.timeout.ms", "9980")
                .containsEntry("max.block.ms", "10000")
                .doesNotContainKeys("schema.registry.url", "basic.auth.user.info", "spend.topic.prefix");
    }

    @Test
    void secretsNeverReachAMessage() {
        Map<String, Object> config = Map.of(
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svc\" password=\"hunter2-secret\";",
                "basic.auth.user.info", "reg-user:reg-pass-123",
                "ssl.key.password", "keypass-456",
                "bootstrap.servers", "k:9092");
        PublishCommand.Secrets secrets = PublishCommand.Secrets.of(config);
        assertThat(secrets.redact("auth failed for password=\"hunter2-secret\" and reg-pass-123 and keypass-456 at k:9092"))
                .isEqualTo("auth failed for password=\"[hidden]\" and [hidden] and [hidden] at k:9092");
    }
}
