package io.spendmonitor.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code local --brokers N}: documented in --help, checked before anything starts. */
class LocalCommandBrokersTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = SpendMonitorCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void helpExplainsBrokers() {
        assertThat(run("local", "--help")).isZero();
        assertThat(out.toString()).contains("--brokers").contains("replication factor 3").contains("min.insync.replicas=2");
    }

    @Test
    void aBrokerCountOutOfRangeExitsWithTwo() {
        assertThat(run("local", "--brokers", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--brokers must be between 1 and 9");
        assertThat(run("local", "--brokers", "10")).isEqualTo(2);
    }
}
