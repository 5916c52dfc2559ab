package io.spendmonitor.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image has no broker jars (Dockerfile, -Pimage). Checked by hand on the image's
 * lib/ folder: every command starts, and `local` ends with this line once it reaches the broker.
 */
class CliWithoutLocalClusterTest {
    @Test
    void theMessageNamesTheMissingClassAndWhereTheCommandRuns() {
        String message = SpendMonitorCli.withoutLocalCluster(new NoClassDefFoundError("kafka/tools/StorageTool"));
        assertThat(message).startsWith("error: ").contains("kafka.tools.StorageTool", "container image", "source checkout", "-b/-r");
    }
}
