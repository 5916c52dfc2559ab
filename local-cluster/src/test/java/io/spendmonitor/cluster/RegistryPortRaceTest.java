package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * The registry's port is picked free and released before the child binds it, so another process can
 * take it in between (CI, 2026-11-30: "Port 41233 seems to be in use by another process", and every
 * test of the module failed). The start must notice and retry on another port.
 */
class RegistryPortRaceTest {

    @Test
    void aPortTakenBeforeTheChildBindsItIsRetriedOnAnotherPort() throws Exception {
        try (ServerSocket thief = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int stolen = thief.getLocalPort();
            AtomicInteger attempts = new AtomicInteger();
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(
                    EmbeddedSchemaRegistry.locateJar(), EmbeddedSchemaRegistry.DEFAULT_READY_TIMEOUT,
                    () -> attempts.getAndIncrement() == 0 ? stolen : FreePorts.pick(1)[0])) {
                assertThat(attempts.get()).isEqualTo(2);
                assertThat(registry.port()).isNotEqualTo(stolen);
                assertThat(registry.logTail()).doesNotContain("in use");
            }
        }
    }

    @Test
    void recognisesBothWaysTheRegistryReportsALostPort() {
        assertThat(EmbeddedSchemaRegistry.isBindFailureLog(
                "ERROR [io.quarkus.runtime.ApplicationLifecycleManager] (main) Port 41233 seems to be in use by"
                        + " another process. Quarkus may already be running")).isTrue();
        assertThat(EmbeddedSchemaRegistry.isBindFailureLog("java.net.BindException: Address already in use"))
                .isTrue();
        assertThat(EmbeddedSchemaRegistry.isBindFailureLog("Database not initialized.")).isFalse();
    }
}
