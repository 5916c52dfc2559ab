package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Uses its own cluster, not the shared one, to check what close() leaves behind. */
class LocalClusterCloseTest {

    @Test
    void closeRemovesTempDirsAndStopsTheRegistryProcess() {
        LocalCluster cluster = LocalCluster.start();
        Path brokerDir = cluster.broker().directory();
        Path registryDir = cluster.registry().directory();
        // the watchdog and the registry's JVM; not the watchdog's "sleep 1" children, which come and
        // go every second (one caught in the list and gone a moment later failed this test once)
        List<ProcessHandle> registryProcesses = new ArrayList<>(cluster.registry().process().descendants()
                .filter(p -> p.info().command().orElse("").endsWith("/java")).toList());
        registryProcesses.add(cluster.registry().process());

        assertThat(brokerDir).isDirectory();
        assertThat(registryDir).isDirectory();
        assertThat(registryProcesses).anyMatch(p -> p.info().command().orElse("").endsWith("/java"));
        assertThat(registryProcesses).allMatch(ProcessHandle::isAlive);

        cluster.close();

        assertThat(brokerDir).doesNotExist();
        assertThat(registryDir).doesNotExist();
        assertThat(registryProcesses).noneMatch(ProcessHandle::isAlive);
        cluster.close(); // idempotent
    }
}
