package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.cluster.EmbeddedKafkaBroker;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.cluster.SaslSsl;
import io.spendmonitor.cluster.TestCertificates;
import io.spendmonitor.cluster.TlsBasicAuthProxy;
import io.spendmonitor.producers.client.SpendPublisher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole path through a secured cluster, configured the way users configure it: a
 * {@code client.properties} given with {@code --config}, holding SASL_SSL + SCRAM-SHA-512 with a
 * truststore for Kafka and basic auth over HTTPS (with its own truststore) for the registry.
 * The broker has a SASL_SSL listener with a certificate of a test CA made here with keytool; the
 * registry sits behind a TLS proxy that checks basic auth. {@code prices load}, {@code publish},
 * {@code simulate}, {@code whatif}, {@code run} (a child process) and {@link SpendPublisher} work
 * through it; a wrong SCRAM or registry password, an untrusted broker certificate and an expired
 * registry certificate each end every command with exit code 1 and a message naming the failure,
 * within a bounded time; and no secret appears in anything printed: the commands' output, every log
 * line of this JVM and of the child process, exception messages and {@code --help}.
 */
@ExtendWith(KafkaClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureClusterIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "spend-app";
    private static final String REGISTRY_USER = "registry-client";
    private static final String FROM = "2026-01-10T00:00:00Z";
    private static final String TO = "2026-01-11T00:00:00Z";
    /** Every failing command must end within this (Kafka's and the registry's own timeouts are shorter). */
    private static final Duration FAILURE_BOUND = Duration.ofSeconds(60);
    /** A failing {@code run} child: a JVM start and Kafka Streams' set-up, measured at 40 s on the loaded 2-core CI machine. */
    private static final Duration RUN_FAILURE_BOUND = Duration.ofSeconds(180);
    /** -Dsecure.full=true: also start {@code run} with the untrusted and expired certificates (two more child JVMs). */
    private static final boolean FULL = Boolean.getBoolean("secure.full");

    // random secrets: a test that finds one in some output found a leak, not a coincidence
    private final String scramPassword = "scram-" + UUID.randomUUID();
    private final String wrongScramPassword = "wrong-scram-" + UUID.randomUUID();
    private final String registryPassword = "registry-" + UUID.randomUUID();
    private final String wrongRegistryPassword = "wrong-registry-" + UUID.randomUUID();
    private final String storePassword = "store-" + UUID.randomUUID().toString().substring(0, 8);
    private final String prefix = "secure-" + UUID.randomUUID().toString().substring(0, 8) + ".";

    private TestCertificates pki;
    /** Its own broker with the SASL_SSL listener; the registry is the shared test cluster's, behind the TLS proxies. */
    private EmbeddedKafkaBroker broker;
    private TlsBasicAuthProxy registry;
    private TlsBasicAuthProxy expiredRegistry;
    private Path dir;
    private Path clientProperties;

    /** Everything this JVM printed while the class ran: our loggers, Kafka's, the commands' own lines. */
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;
    /** Everything the commands printed on their own writers and the child processes printed. */
    private final StringBuilder commandOutput = new StringBuilder();

    @BeforeAll
    void startSecuredCluster(KafkaCluster shared) throws IOException {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(new Tee(originalOut, printed), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr, printed), true, StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        dir = Files.createTempDirectory("spend-secure-test-");
        pki = TestCertificates.generate(storePassword);
        long pkiMs = (System.nanoTime() - t0) / 1_000_000;
        broker = EmbeddedKafkaBroker.start(Map.of(), SaslSsl.of(pki));
        broker.createScramUser(USER, scramPassword, pki.truststore(), storePassword);
        registry = TlsBasicAuthProxy.start(shared.schemaRegistryUrl(), pki.serverKeystore(), storePassword, REGISTRY_USER, registryPassword);
        expiredRegistry = TlsBasicAuthProxy.start(shared.schemaRegistryUrl(), pki.expiredServerKeystore(), storePassword,
                REGISTRY_USER, registryPassword);
        clientProperties = writeClientProperties("client.properties", Map.of());
        System.out.println("secure cluster: keytool PKI " + pkiMs + " ms, all up after " + (System.nanoTime() - t0) / 1_000_000
                + " ms; Kafka SASL_SSL at " + broker.saslSslBootstrapServers() + ", registry proxy at " + registry.url());
    }

    @AfterAll
    void stopIt() {
        try {
            misconfigured.values().stream().map(Misconfiguration::run).filter(java.util.Objects::nonNull)
                    .forEach(Process::destroyForcibly);
            if (registry != null) {
                registry.close();
            }
            if (expiredRegistry != null) {
                expiredRegistry.close();
            }
            if (broker != null) {
                broker.close();
            }
            if (pki != null) {
                pki.close();
            }
            if (dir != null) {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    System.out.println("secure: could not delete " + dir + ": " + e);
                }
            }
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    /** A client.properties as a user writes it; {@code changes} replace lines (a null value drops the key). */
    private Path writeClientProperties(String name, Map<String, String> changes) throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", broker.saslSslBootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", SaslSsl.jaasConfig(USER, scramPassword));
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", pki.truststore().toString());
        p.put("ssl.truststore.password", storePassword);
        p.put("schema.registry.url", registry.url());
        p.put("basic.auth.credentials.source", "USER_INFO");
        p.put("basic.auth.user.info", REGISTRY_USER + ":" + registryPassword);
        p.put("schema.registry.ssl.truststore.location", pki.truststore().toString());
        p.put("schema.registry.ssl.truststore.password", storePassword);
        p.put("spend.topic.prefix", prefix);
        changes.forEach((k, v) -> {
            if (v == null) {
                p.remove(k);
            } else {
                p.put(k, v);
            }
        });
        StringBuilder text = new StringBuilder("# spend-monitor client settings for a secured cluster\n");
        // Properties syntax: a backslash escapes; Windows paths would need doubling, ours have none
        p.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return Files.writeString(dir.resolve(name), text.toString());
    }

    private CliRun cli(String... args) {
        CliRun run = CliRun.of(args);
        synchronized (commandOutput) {
            commandOutput.append(run.out()).append(run.err());
        }
        return run;
    }

    private Path events(String team) throws IOException {
        String calls = "{\"type\":\"token_usage\",\"event_id\":\"%s\",\"timestamp\":\"%s\",\"team\":\"" + team + "\","
                + "\"application\":\"chat\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1000,\"output_tokens\":1000}";
        return Files.writeString(dir.resolve(team + ".jsonl"), String.format(calls, team + "-1", "2026-01-10T10:00:00Z") + "\n"
                + String.format(calls, team + "-2", "2026-01-10T10:01:00Z") + "\n"
                // moves stream time past the first window and its grace
                + String.format(calls, team + "-tick", "2026-01-10T12:00:00Z").replace("1000", "0") + "\n");
    }

    @Test
    @Order(1)
    void everyCommandWorksThroughSaslSslAndTheRegistryBehindTlsAndBasicAuth() throws Exception {
        String config = clientProperties.toString();
        CliRun prices = cli("prices", "load", "--config", config, "--create-topics", "--no-progress");
        assertThat(prices.exitCode()).as(prices.toString()).isZero();
        assertThat(prices.err()).contains("published 45");

        CliRun simulate = cli("simulate", "crossover", "--config", config, "--speed", "1200", "--duration", "5m",
                "--start", "2026-01-10T09:00:00Z", "--create-topics");
        assertThat(simulate.exitCode()).as(simulate.toString()).isZero();
        assertThat(simulate.err()).containsPattern("finished: sent \\d+ events");

        // run: the streams app's own clients (consumer, producers, admin, restore consumer) and its registry client;
        // started now, so that its JVM starts while the commands below publish and replay
        Process app = startRun(clientProperties, "run-ok");
        try {
            String team = "secure-team-" + UUID.randomUUID().toString().substring(0, 6);
            CliRun publish = cli("publish", "--config", config, events(team).toString());
            assertThat(publish.exitCode()).as(publish.toString()).isZero();
            assertThat(publish.err()).contains("published 3");

            // the library, with the same properties a service would load
            String libraryTeam = "library-team-" + UUID.randomUUID().toString().substring(0, 6);
            try (SpendPublisher publisher = SpendPublisher.builder().properties(readProperties(clientProperties))
                    .topicPrefix(prefix).maxBlock(Duration.ofSeconds(30)).closeTimeout(Duration.ofSeconds(30)).build()) {
                publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("lib-1").setTimestamp(Instant.parse("2026-01-10T10:02:00Z"))
                                .setTeam(libraryTeam).setApplication("lib").setProvider("openai").setModel("gpt-4o-mini")
                                .setInputTokens(1000).setOutputTokens(1000).build())
                        .toCompletableFuture().get(60, TimeUnit.SECONDS);
                // moves the stream time of the team's partition past the call's window and its grace
                publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("lib-tick").setTimestamp(Instant.parse("2026-01-10T12:00:00Z"))
                                .setTeam(libraryTeam).setApplication("lib").setProvider("openai").setModel("gpt-4o-mini")
                                .setInputTokens(0).setOutputTokens(0).build())
                        .toCompletableFuture().get(60, TimeUnit.SECONDS);
            }

            // whatif replays the topics: both teams priced, 2 calls of (1000 * 0.15 + 1000 * 0.60) / 1e6 = 0.00075 -> 0.0015
            CliRun whatif = cli("whatif", "--config", config, "--from", FROM, "--to", TO, "--json");
            assertThat(whatif.exitCode()).as(whatif.toString()).isZero();
            JsonNode report = JSON.readTree(whatif.out());
            JsonNode replayed = null;
            for (JsonNode t : report.get("teams")) {
                if (t.get("team").asText().equals(team)) {
                    replayed = t.get("actual");
                }
            }
            assertThat(replayed).as(whatif.out()).isNotNull();
            assertThat(new java.math.BigDecimal(replayed.get("api_cost_usd").asText())).as(whatif.out()).isEqualByComparingTo("0.0015");
            assertThat(whatif.out()).contains(libraryTeam);

            String url = awaitUrl(app, "run-ok");
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(http.send(HttpRequest.newBuilder(
                    URI.create(url + "/api/teams")).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .contains(team).contains(libraryTeam));
        } finally {
            stop(app, "run-ok");
        }
    }

    @Test
    @Order(2)
    void aWrongScramPasswordEndsEveryCommandWithAnAuthenticationError() throws Exception {
        Path wrong = writeClientProperties("wrong-scram.properties", Map.of("sasl.jaas.config", SaslSsl.jaasConfig(USER, wrongScramPassword)));
        assertEveryCommandFails(wrong, "wrong-scram", "Authentication failed");
    }

    @Test
    @Order(3)
    void aWrongRegistryPasswordEndsEveryCommandWithAnAuthenticationError() throws Exception {
        Path wrong = writeClientProperties("wrong-registry.properties",
                Map.of("basic.auth.user.info", REGISTRY_USER + ":" + wrongRegistryPassword));
        assertEveryCommandFails(wrong, "wrong-registry", "schema registry refused the request (HTTP 401)");
    }

    @Test
    @Order(4)
    void anUntrustedBrokerCertificateEndsEveryCommandWithATlsError() throws Exception {
        Path untrusted = writeClientProperties("untrusted.properties",
                Map.of("ssl.truststore.location", pki.untrustedTruststore().toString()));
        assertEveryCommandFails(untrusted, "untrusted", "SSL handshake failed");
    }

    @Test
    @Order(5)
    void anExpiredRegistryCertificateEndsEveryCommandWithATlsError() throws Exception {
        Path expired = writeClientProperties("expired.properties", Map.of("schema.registry.url", expiredRegistry.url()));
        assertEveryCommandFails(expired, "expired", "TLS handshake with the schema registry");
    }

    @Test
    @Order(6)
    void runEndsWithTheReasonForEveryMisconfiguration() throws Exception {
        assertThat(misconfigured).hasSize(4);
        // each fails at start-up (the topics check, or the global price-catalog store), by itself
        for (Map.Entry<String, Misconfiguration> e : misconfigured.entrySet()) {
            String name = e.getKey();
            Process app = e.getValue().run();
            if (app == null) {
                continue;
            }
            long t0 = e.getValue().startedNanos();
            long remaining = RUN_FAILURE_BOUND.toNanos() - (System.nanoTime() - t0);
            boolean ended = app.waitFor(Math.max(1, remaining), TimeUnit.NANOSECONDS);
            if (!ended) {
                stop(app, "run-" + name);
            }
            String out = output("run-" + name);
            System.out.println("secure: run with " + name + " ended after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertThat(ended).as("run " + name + " ended by itself:\n" + out).isTrue();
            assertThat(app.exitValue()).as("run " + name + ":\n" + out).isEqualTo(1);
            assertThat(out).as("run " + name).containsPattern("error: could not start: .*" + java.util.regex.Pattern.quote(
                    misconfigured.get(name).reason()));
        }
    }

    @Test
    @Order(7)
    void helpShowsNoSecret() {
        for (List<String> command : List.of(List.of("run"), List.of("publish"), List.of("prices", "load"), List.of("simulate"),
                List.of("whatif"))) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--config", clientProperties.toString(), "--help"));
            CliRun help = cli(args.toArray(String[]::new));
            assertThat(help.exitCode()).as(help.toString()).isZero();
            assertThat(help.out()).contains("--config");
            assertNoSecret(help.out() + help.err(), String.join(" ", command) + " --help");
        }
    }

    @Test
    @Order(8)
    void noSecretInAnythingPrinted() {
        // the last test: everything the earlier ones printed, logs of this JVM included
        String all;
        synchronized (commandOutput) {
            all = commandOutput + printed.toString(StandardCharsets.UTF_8);
        }
        assertThat(all).contains("Authentication failed"); // the capture works
        assertNoSecret(all, "everything printed");
    }

    private void assertNoSecret(String text, String where) {
        for (String secret : List.of(scramPassword, wrongScramPassword, registryPassword, wrongRegistryPassword, storePassword,
                base64(REGISTRY_USER + ":" + registryPassword), base64(REGISTRY_USER + ":" + wrongRegistryPassword))) {
            assertThat(text).as("%s shows a secret", where).doesNotContain(secret);
        }
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** prices load, publish, simulate, whatif, SpendPublisher and run each fail in bounded time, exit 1, naming {@code reason}. */
    private void assertEveryCommandFails(Path config, String name, String reason) throws Exception {
        // run's child JVM starts now and is awaited in runEndsWithTheReasonForEveryMisconfiguration:
        // the wrong passwords in CI, the certificates too with -Dsecure.full=true
        Process app = FULL || name.startsWith("wrong-") ? startRun(config, "run-" + name) : null;
        misconfigured.put(name, new Misconfiguration(app, System.nanoTime(), reason));
        String c = config.toString();
        Path events = events("failing-" + name);
        List<List<String>> commands = List.of(
                List.of("prices", "load", "--config", c, "--no-progress", "--timeout", "30s"),
                List.of("publish", "--config", c, "--timeout", "30s", events.toString()),
                List.of("simulate", "steady", "--config", c, "--speed", "1200", "--duration", "1m", "--start", "2026-01-10T09:00:00Z"),
                List.of("whatif", "--config", c, "--from", FROM, "--to", TO));
        for (List<String> command : commands) {
            long t0 = System.nanoTime();
            CliRun run = cli(command.toArray(String[]::new));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            System.out.println("secure: " + command.get(0) + " with " + name + " failed after " + took.toMillis() + " ms");
            assertThat(run.exitCode()).as(command.get(0) + " " + name + ": " + run).isEqualTo(1);
            assertThat(run.err()).as(command.get(0) + " " + name).contains(reason);
            assertThat(took).as(command.get(0) + " " + name).isLessThan(FAILURE_BOUND);
        }

        long t0 = System.nanoTime();
        Throwable failure = null;
        try (SpendPublisher publisher = SpendPublisher.builder().properties(readProperties(config)).topicPrefix(prefix)
                .maxBlock(Duration.ofSeconds(30)).closeTimeout(Duration.ofSeconds(5)).build()) {
            publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("lib-fail").setTimestamp(Instant.parse("2026-01-10T10:02:00Z"))
                            .setTeam("failing-lib").setApplication("lib").setProvider("openai").setModel("gpt-4o-mini")
                            .setInputTokens(1).setOutputTokens(1).build())
                    .toCompletableFuture().get(FAILURE_BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            failure = e;
        }
        System.out.println("secure: SpendPublisher with " + name + " failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + failure);
        assertThat(failure).as("SpendPublisher " + name).isNotNull();
        assertThat(messages(failure)).as("SpendPublisher " + name).contains(reason);
        String failureText = messages(failure);
        synchronized (commandOutput) {
            commandOutput.append(failureText);
        }

    }

    /** A {@code run} started with a misconfiguration (null when not in this run), when, and the reason it must name. */
    private record Misconfiguration(Process run, long startedNanos, String reason) {
    }

    private final Map<String, Misconfiguration> misconfigured = new LinkedHashMap<>();

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }

    private static Map<String, Object> readProperties(Path file) throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
        return map;
    }

    private Process startRun(Path config, String name) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), SpendMonitorCli.class.getName(), "run",
                "--config", config.toString(), "--http-host", "127.0.0.1", "--http-port", "0",
                "--state-dir", dir.resolve(name + "-state").toString(), "--application-id", prefix + name,
                "--ingest-allow-anonymous", "-X", "spend.topics.partitions=2");
        return new ProcessBuilder(command).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    private String output(String name) throws IOException {
        String text = Files.readString(dir.resolve(name + ".out")) + Files.readString(dir.resolve(name + ".err"));
        synchronized (commandOutput) {
            commandOutput.append(text);
        }
        return text;
    }

    private String awaitUrl(Process app, String name) throws IOException {
        Path out = dir.resolve(name + ".out");
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(out).contains("app.url=") || !app.isAlive());
        assertThat(app.isAlive()).as("run started:%n%s", Files.readString(dir.resolve(name + ".err"))).isTrue();
        return Files.readString(out).lines().filter(l -> l.startsWith("app.url=")).findFirst().orElseThrow()
                .substring("app.url=".length());
    }

    private void stop(Process app, String name) throws IOException, InterruptedException {
        app.destroy(); // SIGTERM: the shutdown hook closes Kafka Streams
        if (!app.waitFor(60, TimeUnit.SECONDS)) {
            app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        output(name);
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            synchronized (b) {
                b.write(c);
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            synchronized (b) {
                b.write(buf, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            a.flush();
        }
    }
}
