package io.spendmonitor.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class SpendMonitorCliTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = SpendMonitorCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void helpListsTheCommands() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("Usage: spend-monitor").contains("local").contains("Exit codes");
    }

    @Test
    void everyCommandHasHelp() {
        assertThat(run("local", "--help")).isZero();
        assertThat(out.toString()).contains("bootstrap.servers=HOST:PORT").contains("--partitions");
    }

    @Test
    void badUsageExitsWithTwo() {
        assertThat(run("no-such-command")).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument");
        assertThat(run("local", "--partitions", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--partitions must be at least 1");
    }

    @Test
    void clientOptionsExplainAMissingAddress() {
        ClientOptions options = new ClientOptions();
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> options.config(true));
        assertThat(e.getMessage()).contains("--bootstrap-servers");
        options.bootstrapServers = "127.0.0.1:9092";
        options.properties.put("security.protocol", "SASL_SSL");
        e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> options.config(true));
        assertThat(e.getMessage()).contains("--schema-registry");
        options.schemaRegistry = "http://r:8081";
        assertThat(options.config(true)).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092").containsEntry("schema.registry.url", "http://r:8081");
    }
}
