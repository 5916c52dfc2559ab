package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The spend counters include open windows and still never go down: two {@code run} processes
 * share the work while calls flow; one is killed with SIGKILL (the other takes its teams over,
 * restoring them from the changelogs), then started again on the same port (and takes teams back).
 * The test scrapes both every 0.5 s throughout and finds no decrease of any series, from whichever
 * instance exports it; a real Prometheus scraping both finds no counter reset; and at the end the
 * counters hold exactly what was published.
 */
@ExtendWith(KafkaClusterExtension.class)
class CounterMonotonicityIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int TEAMS = 12;
    private static final Pattern SERIES = Pattern.compile("^(llm_api_cost_usd_total|llm_tokens_total)\\{([^}]*)} (\\S+)$");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;

    CounterMonotonicityIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    /** One scrape's value of one series. */
    record Seen(long atNanos, String instance, double value) {
    }

    @Test
    void countersNeverDecreaseThroughASigkillAndTwoTakeovers(@TempDir Path dir) throws Exception {
        assertThat(Path.of("/usr/bin/prometheus")).as("Debian's prometheus package; .ci/run installs it").exists();
        String prefix = "mono-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        int portA = freePort();
        int portB = freePort();
        // the topics before the apps: the price is in the catalog when they start
        List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>();
        for (var spec : io.spendmonitor.schemas.Topics.fromConfig(Map.of("spend.topic.prefix", prefix),
                new io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient()).all()) {
            topics.add(new org.apache.kafka.clients.admin.NewTopic(spec.name(), spec.compacted() && spec.name().endsWith("catalog") ? 1 : 6,
                    (short) 1).configs(spec.configs()));
        }
        cluster.createTopics(topics);
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            PriceEntry price = new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                    .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                    .setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
            producer.send(new ProducerRecord<>(prefix + "spend.price-catalog", PriceKeys.key(price), price)).get(30, TimeUnit.SECONDS);
        }

        Map<String, List<Seen>> seen = new ConcurrentHashMap<>();
        Map<String, Integer> ports = Map.of("A", portA, "B", portB);
        // one thread scrapes both apps every 0.5 s, one publishes a batch of calls every 0.2 s
        java.util.concurrent.ScheduledExecutorService scraper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        java.util.concurrent.ScheduledExecutorService publisher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

        Process prometheus = prometheus(dir, portA, portB);
        String prom = "http://127.0.0.1:" + prometheusPort;
        List<Process> apps = new CopyOnWriteArrayList<>();
        AtomicLong published = new AtomicLong();
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            apps.add(start(dir, prefix, "A", portA, 0));
            apps.add(start(dir, prefix, "B", portB, 0));
            scraper.scheduleWithFixedDelay(() -> ports.forEach((instance, port) -> scrape(instance, port, seen)), 0, 500,
                    TimeUnit.MILLISECONDS);
            publisher.scheduleWithFixedDelay(() -> publishBatch(producer, prefix, published), 0, 200, TimeUnit.MILLISECONDS);
            // both export teams (the work is shared), with open windows' money in them
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> teamsExportedBy("A", seen) > 0 && teamsExportedBy("B", seen) > 0);

            apps.get(0).destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no clean close
            apps.get(0).waitFor(30, TimeUnit.SECONDS);
            long killedAt = System.nanoTime();
            // B takes A's teams over once A's session times out, restoring their state from the changelogs
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> teamsExportedBy("B", seen, killedAt) == TEAMS);

            apps.set(0, start(dir, prefix, "A", portA, 1)); // the same port: the same Prometheus target
            long restartedAt = System.nanoTime();
            // A takes teams back from B (B commits and closes them; A restores them)
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> teamsExportedBy("A", seen, restartedAt) > 0);
            // calls keep flowing while A owns teams again: 500 more published after the takeback
            long atTakeback = published.get();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> published.get() >= atTakeback + 500);
            // stop publishing: the batch under way finishes, no other starts
            publisher.shutdown();
            assertThat(publisher.awaitTermination(30, TimeUnit.SECONDS)).as("the last batch published").isTrue();

            // every call: 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6 = $0.00045; 1000 input tokens
            long calls = published.get();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                double cost = latestSum(seen, "llm_api_cost_usd_total");
                assertThat(latestSum(seen, "llm_tokens_total", "type=\"input\"")).as("input tokens; last scrapes:%n%s%nlast seen:%n%s", lastScrapes(portA, portB), lastSeen(seen))
                        .isEqualTo(calls * 1000.0);
                assertThat(cost).isCloseTo(calls * 0.00045, org.assertj.core.data.Offset.offset(1e-9));
            });
            // Prometheus has scraped both instances since the counters were exact
            double exactAt = System.currentTimeMillis() / 1000.0;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> promValue(prom, "min(timestamp(up{job=\"spend-monitor\"}))") > exactAt);
            // Prometheus (while both apps still run): series were scraped from both instances, and none
            // of them reset (per instance), nor their max over the instances
            assertThat(promValue(prom, "count(count by (instance) (count_over_time(llm_api_cost_usd_total[15m])))")).isEqualTo(2);
            assertThat(promValue(prom, "sum(resets(llm_api_cost_usd_total[15m]))")).isZero();
            assertThat(promValue(prom, "sum(resets(llm_tokens_total[15m]))")).isZero();
            assertThat(promValue(prom, "sum(resets((max without(instance) (llm_api_cost_usd_total))[15m:1s]))")).isZero();
        } finally {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
            publisher.shutdownNow();
            scraper.shutdown();
            scraper.awaitTermination(10, TimeUnit.SECONDS);
            apps.forEach(Process::destroyForcibly);
        }

        // no series ever went down, whichever instance exported it
        int observations = 0;
        for (Map.Entry<String, List<Seen>> e : seen.entrySet()) {
            double max = 0;
            String from = "-";
            for (Seen s : e.getValue()) {
                assertThat(s.value()).as("%s: %s after %s from %s", e.getKey(), s, max, from).isGreaterThanOrEqualTo(max);
                if (s.value() > max) {
                    max = s.value();
                    from = s.instance();
                }
                observations++;
            }
        }
        assertThat(observations).as("scrapes that saw spend").isGreaterThan(100);

    }

    /** 50 more calls; {@code published} counts the calls in the topic (runs on the one publisher thread). */
    private static void publishBatch(KafkaProducer<String, SpecificRecord> producer, String prefix, AtomicLong published) {
        long i = published.get();
        for (int n = 0; n < 50; n++, i++) {
            String team = "team-" + (i % TEAMS);
            // 20 calls per second of event time: windows keep closing as the stream moves on
            producer.send(new ProducerRecord<>(prefix + "llm.token-usage", team, TokenUsage.newBuilder()
                    .setEventId("mono-" + i).setTimestamp(T0.plusMillis(i * 50)).setTeam(team).setApplication("app")
                    .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(1000).setOutputTokens(500).build()));
        }
        producer.flush(); // acks=all, idempotent: every call sent is in the topic
        published.set(i);
    }

    private static void scrape(String instance, int port, Map<String, List<Seen>> seen) {
        String body;
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return;
            }
            body = r.body();
        } catch (Exception e) {
            return; // down (killed, or not up yet)
        }
        long at = System.nanoTime();
        for (String line : body.split("\n")) {
            Matcher m = SERIES.matcher(line);
            if (m.matches()) {
                seen.computeIfAbsent(m.group(1) + "{" + m.group(2) + "}", k -> new CopyOnWriteArrayList<>())
                        .add(new Seen(at, instance, Double.parseDouble(m.group(3))));
            }
        }
    }

    /** What the instances export now: the spend series and the rejection counters (for a failure's message). */
    private static String lastScrapes(int... ports) {
        StringBuilder b = new StringBuilder();
        for (int port : ports) {
            try {
                String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                b.append("port ").append(port).append(":\n");
                for (String line : body.split("\n")) {
                    if (line.startsWith("llm_tokens_total") && line.contains("type=\"input\"") || line.startsWith("spend_events")) {
                        b.append("  ").append(line).append('\n');
                    }
                }
            } catch (Exception e) {
                b.append("port ").append(port).append(": ").append(e).append('\n');
            }
        }
        return b.toString();
    }

    private static String lastSeen(Map<String, List<Seen>> seen) {
        StringBuilder b = new StringBuilder();
        long now = System.nanoTime();
        new java.util.TreeMap<>(seen).forEach((series, values) -> {
            if (series.contains("type=\"input\"")) {
                for (String instance : List.of("A", "B")) {
                    values.stream().filter(v -> v.instance().equals(instance)).reduce((x, y) -> y).ifPresent(v -> b.append("  ")
                            .append(series).append(' ').append(instance).append(' ').append(v.value()).append(" (")
                            .append((now - v.atNanos()) / 1_000_000).append(" ms ago)\n"));
                }
            }
        });
        return b.toString();
    }

    private static long teamsExportedBy(String instance, Map<String, List<Seen>> seen) {
        return teamsExportedBy(instance, seen, Long.MIN_VALUE);
    }

    /** Teams whose API cost {@code instance} exported in a scrape after {@code sinceNanos}. */
    private static long teamsExportedBy(String instance, Map<String, List<Seen>> seen, long sinceNanos) {
        return seen.entrySet().stream()
                .filter(e -> e.getKey().startsWith("llm_api_cost_usd_total"))
                .filter(e -> e.getValue().stream().anyMatch(s -> s.instance().equals(instance) && s.atNanos() > sinceNanos && s.value() > 0))
                .count();
    }

    /** The sum over series of each series' latest value (from whichever instance exported it last). */
    private static double latestSum(Map<String, List<Seen>> seen, String metric, String... having) {
        double sum = 0;
        for (Map.Entry<String, List<Seen>> e : seen.entrySet()) {
            if (!e.getKey().startsWith(metric + "{") || !java.util.Arrays.stream(having).allMatch(e.getKey()::contains)) {
                continue;
            }
            List<Seen> values = e.getValue();
            sum += values.get(values.size() - 1).value();
        }
        return sum;
    }

    private int prometheusPort;

    private Process prometheus(Path dir, int portA, int portB) throws Exception {
        prometheusPort = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                + "scrape_configs:\n  - job_name: spend-monitor\n    static_configs: [{targets: [\"127.0.0.1:" + portA
                + "\", \"127.0.0.1:" + portB + "\"]}]\n");
        return new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("prom-data"), "--web.listen-address=127.0.0.1:" + prometheusPort, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    private Process start(Path dir, String prefix, String name, int port, int n) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), SpendMonitorCli.class.getName(), "run",
                "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(), "--http-host", "127.0.0.1",
                "--ingest-allow-anonymous", "--http-port", String.valueOf(port), "--state-dir", dir.resolve("state-" + name).toString(),
                "--application-id", prefix + "app", "-X", "spend.topic.prefix=" + prefix, "-X", "spend.topics.partitions=6",
                // a killed member is noticed in seconds, and a restarted one gets its share at once
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000", "-X", "acceptable.recovery.lag=2000000000"));
        Path out = dir.resolve("run-" + name + n + ".out");
        Path err = dir.resolve("run-" + name + n + ".err");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(out).contains("app.url=") || !process.isAlive());
        assertThat(process.isAlive()).as("run %s#%d started; stderr:%n%s", name, n, Files.readString(err)).isTrue();
        return process;
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        return new KafkaProducer<>(config);
    }

    private static double promValue(String prom, String expr) throws Exception {
        String url = prom + "/api/v1/query?query=" + java.net.URLEncoder.encode(expr, java.nio.charset.StandardCharsets.UTF_8);
        JsonNode answer = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(answer.get("status").asText()).as("%s: %s", expr, answer).isEqualTo("success");
        JsonNode result = answer.at("/data/result");
        return result.size() == 0 ? 0 : Double.parseDouble(result.get(0).get("value").get(1).asText());
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }


}
