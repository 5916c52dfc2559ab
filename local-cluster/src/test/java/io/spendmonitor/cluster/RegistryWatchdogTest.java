package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The registry child must not outlive a parent JVM that is SIGKILLed (no shutdown hooks run then). */
class RegistryWatchdogTest {

    @Test
    void registryDiesWhenParentJvmIsKilled() throws Exception {
        Path stderr = Files.createTempFile("registry-child-main", ".log");
        Process parent = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-D" + EmbeddedSchemaRegistry.JAR_PROPERTY + "=" + EmbeddedSchemaRegistry.locateJar(),
                RegistryChildMain.class.getName())
                .redirectError(stderr.toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(70, TimeUnit.SECONDS);
            assertThat(line).as("child JVM output; its stderr:\n%s", Files.readString(stderr)).startsWith("READY ");
            String[] parts = line.split(" ");
            List<ProcessHandle> registry = new ArrayList<>();
            ProcessHandle.of(Long.parseLong(parts[1])).ifPresent(registry::add);
            Arrays.stream(parts[2].split(",")).map(Long::parseLong).map(ProcessHandle::of)
                    .forEach(p -> p.ifPresent(registry::add));
            Path registryDir = Paths.get(parts[3]);
            assertThat(registry).hasSizeGreaterThanOrEqualTo(2).allMatch(ProcessHandle::isAlive);

            parent.destroyForcibly(); // SIGKILL
            parent.waitFor();

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(registry).noneMatch(ProcessHandle::isAlive));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(registryDir).doesNotExist());
        } finally {
            parent.destroyForcibly();
            Files.deleteIfExists(stderr);
        }
    }
}
