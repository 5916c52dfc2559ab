package io.spendmonitor.cli;

import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** bench talks to the registry with the user's full settings, as every other command does (issue 12). */
class BenchRegistrySettingsTest {
    @TempDir
    Path dir;

    private static SchemaRegistrySettings settingsOf(String... args) {
        CommandLine line = SpendMonitorCli.newCommandLine();
        CommandLine.ParseResult parsed = line.parseArgs(args);
        BenchCommand bench = (BenchCommand) parsed.subcommand().commandSpec().userObject();
        return BenchCommand.registrySettings(bench.client.config(true));
    }

    @Test
    void credentialsFromXReachTheRegistryClient() {
        SchemaRegistrySettings settings = settingsOf("bench", "-b", "kafka:9092", "-r", "https://registry:8081",
                "-X", "basic.auth.credentials.source=USER_INFO", "-X", "basic.auth.user.info=svc:s3cret");

        assertThat(settings.hasCredentials()).isTrue();
        assertThat(settings.urls()).containsExactly(URI.create("https://registry:8081"));
    }

    @Test
    void credentialsAndTimeoutsFromTheConfigFileReachTheRegistryClient() throws IOException {
        Path config = Files.writeString(dir.resolve("client.properties"), String.join("\n",
                "bootstrap.servers=kafka:9092",
                "schema.registry.url=https://registry-a:8081,https://registry-b:8081",
                "basic.auth.user.info=svc:s3cret",
                "schema.registry.request.timeout.ms=2500"));

        SchemaRegistrySettings settings = settingsOf("bench", "-c", config.toString());

        assertThat(settings.hasCredentials()).isTrue();
        assertThat(settings.urls()).hasSize(2);
        assertThat(settings.requestTimeout().toMillis()).isEqualTo(2500);
    }
}
