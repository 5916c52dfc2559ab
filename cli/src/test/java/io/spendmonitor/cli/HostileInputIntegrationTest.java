package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.PriceEntry;
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

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile input against {@code spend-monitor run} in its own JVM (loopback only, real broker and
 * registry): about 1,000 seeded requests mixing oversized bodies with and without Content-Length,
 * wrong content types, 100,000-line bodies, wrong tokens, malformed JSON and number bombs, with
 * good events between them. Every good event is counted exactly, /health stays 200, and the app's
 * resident memory stays under its heap plus 300 MB. What it measured is in docs/RELIABILITY.md.
 */
@ExtendWith(KafkaClusterExtension.class)
class HostileInputIntegrationTest {
    static final int REQUESTS = Integer.getInteger("hostile.requests", 1_000);
    private static final int HEAP_MB = 256;
    private static final int MAX_REQUEST_BYTES = 1 << 20;
    private static final String INGEST_TOKEN = "ingest-" + UUID.randomUUID();
    private static final String API_TOKEN = "api-" + UUID.randomUUID();
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    HostileInputIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    private enum Kind {
        GOOD(30), CHUNKED_TOO_LARGE(3), LENGTH_TOO_LARGE(3), WRONG_CONTENT_TYPE(12), HUNDRED_THOUSAND_LINES(2),
        NINE_THOUSAND_BAD_LINES(2), NO_TOKEN(8), WRONG_TOKEN(8), MALFORMED_JSON(12), NUMBER_BOMB(5), API_WRONG_TOKEN(8),
        UNKNOWN_PATH(7);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    @Test
    void hostileRequestsNeitherLoseGoodEventsNorTakeTheAppDown(@TempDir Path dir) throws Exception {
        String prefix = "hostile-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        prices(prefix);
        Path ingestTokenFile = Files.writeString(dir.resolve("ingest.token"), INGEST_TOKEN);
        Path apiTokenFile = Files.writeString(dir.resolve("api.token"), API_TOKEN);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms" + HEAP_MB + "m", "-Xmx" + HEAP_MB + "m", "-cp", System.getProperty("java.class.path"),
                SpendMonitorCli.class.getName(), "run", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                "--http-host", "127.0.0.1", "--http-port", "0", "--state-dir", dir.resolve("state").toString(),
                "--application-id", prefix + "app", "-X", "spend.topic.prefix=" + prefix, "-X", "spend.topics.partitions=3",
                "--ingest-token-file", ingestTokenFile.toString(), "--api-token-file", apiTokenFile.toString(),
                "--max-request-bytes", String.valueOf(MAX_REQUEST_BYTES));
        Path out = dir.resolve("run.out");
        Path err = dir.resolve("run.err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().put("MALLOC_ARENA_MAX", "2");
        Process app = builder.start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(out).contains("app.url=") || !app.isAlive());
            assertThat(app.isAlive()).as("run started; stderr:%n%s", Files.readString(err)).isTrue();
            String url = Files.readString(out).lines().filter(l -> l.startsWith("app.url=")).findFirst().orElseThrow()
                    .substring("app.url=".length());
            await().atMost(Duration.ofSeconds(120)).until(() -> status(get(url + "/health", null)) == 200);

            Random random = new Random(20261129);
            int totalWeight = 0;
            for (Kind k : Kind.values()) {
                totalWeight += k.weight;
            }
            Map<Kind, Map<Integer, Integer>> outcomes = new TreeMap<>();
            int good = 0;
            long maxRssKb = 0;
            long largestAnswer = 0;
            for (int i = 0; i < REQUESTS; i++) {
                int pick = random.nextInt(totalWeight);
                Kind kind = null;
                for (Kind k : Kind.values()) {
                    pick -= k.weight;
                    if (pick < 0) {
                        kind = k;
                        break;
                    }
                }
                int answer;
                long answerBytes;
                try {
                    HttpResponse<String> r = send(url, kind, good, random);
                    answer = r.statusCode();
                    answerBytes = r.body().getBytes(StandardCharsets.UTF_8).length;
                } catch (IOException e) {
                    answer = -1; // the server closed the connection while the client still wrote an oversized body
                    answerBytes = 0;
                }
                outcomes.computeIfAbsent(kind, k -> new TreeMap<>()).merge(answer, 1, Integer::sum);
                largestAnswer = Math.max(largestAnswer, answerBytes);
                switch (kind) {
                    case GOOD -> {
                        assertThat(answer).as("good request %d", i).isEqualTo(200);
                        good += 2;
                    }
                    case CHUNKED_TOO_LARGE, LENGTH_TOO_LARGE ->
                            assertThat(answer).as("%s %d", kind, i).isIn(413, -1);
                    case WRONG_CONTENT_TYPE -> assertThat(answer).isEqualTo(415);
                    // bad lines are no events: the cap counts events, so 100,000 of them are a 400 listing 100
                    case NINE_THOUSAND_BAD_LINES, HUNDRED_THOUSAND_LINES, MALFORMED_JSON -> assertThat(answer).isEqualTo(400);
                    case NO_TOKEN, WRONG_TOKEN, API_WRONG_TOKEN -> assertThat(answer).isEqualTo(401);
                    case NUMBER_BOMB -> assertThat(answer).isBetween(400, 499);
                    case UNKNOWN_PATH -> assertThat(answer).isEqualTo(404);
                }
                assertThat(answerBytes).as("%s answer size", kind).isLessThan(100_000);
                if (i % 50 == 0) {
                    assertThat(status(get(url + "/health", null))).as("health after %d requests", i).isEqualTo(200);
                    maxRssKb = Math.max(maxRssKb, rssKb(app.pid()));
                }
            }
            maxRssKb = Math.max(maxRssKb, rssKb(app.pid()));
            assertThat(status(get(url + "/health", null))).isEqualTo(200);

            // a tick ten minutes on finalises every window the good events are in
            HttpResponse<String> tick = post(url, event("tick", T0.plus(Duration.ofMinutes(30)), 0, 0), "application/x-ndjson", INGEST_TOKEN);
            assertThat(tick.statusCode()).isEqualTo(200);
            // each good event: 100 in + 20 out of gpt-4o-mini = (100 * 0.15 + 20 * 0.60) / 1e6 = $0.000027
            String expected = new BigDecimal("0.000027").multiply(BigDecimal.valueOf(good)).setScale(9).toPlainString();
            int goodEvents = good;
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                HttpResponse<String> team = get(url + "/api/teams/hostile", API_TOKEN);
                assertThat(team.statusCode()).as(team.body()).isEqualTo(200);
                JsonNode body = JSON.readTree(team.body());
                assertThat(body.at("/totals/api_cost_usd").asText()).as("%d good events", goodEvents).isEqualTo(expected);
            });
            long heapKb = HEAP_MB * 1024L;
            System.out.printf("hostile: %d requests, %d good events counted, outcomes %s, largest answer %d bytes,"
                    + " max RSS %d MB (heap %d MB)%n", REQUESTS, good, outcomes, largestAnswer, maxRssKb / 1024, HEAP_MB);
            assertThat(maxRssKb).as("RSS in kB").isLessThan(heapKb + 300 * 1024);
            assertThat(Files.readString(err)).doesNotContain(INGEST_TOKEN).doesNotContain(API_TOKEN);
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    private HttpResponse<String> send(String url, Kind kind, int good, Random random) throws Exception {
        return switch (kind) {
            case GOOD -> post(url, event("good-" + good, T0.plusSeconds(good), 100, 20) + "\n"
                    + event("good-" + (good + 1), T0.plusSeconds(good + 1), 100, 20), "application/x-ndjson", INGEST_TOKEN);
            case CHUNKED_TOO_LARGE -> {
                byte[] body = filler(MAX_REQUEST_BYTES + 64 * 1024);
                yield http.send(ingest(url, INGEST_TOKEN, "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(), strings());
            }
            case LENGTH_TOO_LARGE -> http.send(ingest(url, INGEST_TOKEN, "application/x-ndjson")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(filler(MAX_REQUEST_BYTES + 64 * 1024))).build(), strings());
            case WRONG_CONTENT_TYPE -> post(url, event("form-" + good, T0, 100, 20),
                    List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
                            "application/xml").get(random.nextInt(4)), INGEST_TOKEN);
            case HUNDRED_THOUSAND_LINES -> post(url, "x\n".repeat(100_000), "application/x-ndjson", INGEST_TOKEN);
            case NINE_THOUSAND_BAD_LINES -> post(url, "{\"team\":\"hostile\",\"bogus\":1}\n".repeat(9_000), "application/x-ndjson", INGEST_TOKEN);
            case NO_TOKEN -> post(url, event("anon-" + good, T0, 100, 20), "application/json", null);
            case WRONG_TOKEN -> post(url, event("wrong-" + good, T0, 100, 20), "application/json", INGEST_TOKEN + "x");
            case MALFORMED_JSON -> post(url, List.of("[{\"event_id\":", "{\"a\":", "[1,2", "{]", "\u0000\u0001")
                    .get(random.nextInt(5)), "application/json", INGEST_TOKEN);
            case NUMBER_BOMB -> post(url, "{\"event_id\":\"bomb-" + good + "\",\"timestamp\":\"" + T0 + "\",\"team\":\"hostile\","
                    + "\"application\":\"a\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1e" + "9".repeat(9)
                    + ",\"output_tokens\":" + "9".repeat(5_000) + "}", "application/json", INGEST_TOKEN);
            case API_WRONG_TOKEN -> get(url + "/api/teams", random.nextBoolean() ? null : API_TOKEN + "x");
            case UNKNOWN_PATH -> http.send(HttpRequest.newBuilder(URI.create(url + "/ingest/nothing")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), strings());
        };
    }

    private static String event(String id, Instant at, long in, long out) {
        return "{\"event_id\":\"" + id + "\",\"timestamp\":\"" + at + "\",\"team\":\"hostile\",\"application\":\"a\","
                + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":" + in + ",\"output_tokens\":" + out + "}";
    }

    private static byte[] filler(int size) {
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) 'x');
        return body;
    }

    private static HttpRequest.Builder ingest(String url, String token, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + "/ingest/token-usage")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    private HttpResponse<String> post(String url, String body, String contentType, String token) throws Exception {
        return http.send(ingest(url, token, contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(), strings());
    }

    private HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), strings());
    }

    private static HttpResponse.BodyHandler<String> strings() {
        return HttpResponse.BodyHandlers.ofString();
    }

    private static int status(HttpResponse<String> r) {
        return r.statusCode();
    }

    /** Resident set size of a process, from /proc (Linux). */
    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    private void prices(String prefix) throws Exception {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>();
            for (var spec : io.spendmonitor.schemas.Topics.fromConfig(Map.of("spend.topic.prefix", prefix),
                    new io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient()).all()) {
                topics.add(new org.apache.kafka.clients.admin.NewTopic(spec.name(), 3, (short) 1).configs(spec.configs()));
            }
            cluster.createTopics(topics);
            PriceEntry price = new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                    .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                    .setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
            producer.send(new ProducerRecord<>(prefix + "spend.price-catalog", PriceKeys.key(price), price)).get(30, TimeUnit.SECONDS);
        }
    }
}
