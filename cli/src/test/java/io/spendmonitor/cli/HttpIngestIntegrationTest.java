package io.spendmonitor.cli;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.streams.SpendService;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.topology.SpendListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** POST /ingest/... on a running app, against the real broker and registry. */
@ExtendWith(KafkaClusterExtension.class)
class HttpIngestIntegrationTest {
    private final KafkaCluster cluster;

    HttpIngestIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void ingestAuthenticatesValidatesLimitsAndPublishes() throws Exception {
        String prefix = "ingest-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put("application.id", prefix + "app");
        config.put("state.dir", Files.createTempDirectory("ingest-state").toString());
        config.put(Topics.PREFIX_CONFIG, prefix);
        var ingest = IngestRoutes.service(config, "t0ken");
        try (SpendService service = SpendService.start(SpendConfig.of(config), new SpendService.Options("127.0.0.1", 0,
                "127.0.0.1", 4096, app -> IngestRoutes.register(app, ingest), SpendListener.NONE))) {
            HttpClient http = HttpClient.newHttpClient();
            String now = Instant.now().minusSeconds(30).toString();
            String body = "{\"event_id\":\"http-1\",\"timestamp\":\"" + now + "\",\"team\":\"search\",\"application\":\"a\","
                    + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":100,\"output_tokens\":20}\n"
                    + "{\"event_id\":\"http-2\",\"timestamp\":\"" + now + "\",\"team\":\"search\",\"application\":\"a\","
                    + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":-1,\"output_tokens\":20}\n";

            HttpResponse<String> noToken = post(http, service.url() + "/ingest/token-usage", body, null);
            HttpResponse<String> ok = post(http, service.url() + "/ingest/token-usage", body, "Bearer t0ken");
            HttpResponse<String> tooLarge = post(http, service.url() + "/ingest/token-usage", "x".repeat(10_000), "Bearer t0ken");

            assertThat(noToken.statusCode()).isEqualTo(401);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("\"accepted\":1").contains("\"rejected\":1").contains("\"line\":2");
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(tooLarge.body()).doesNotContain("Exception").doesNotContain("at io.");
            List<ConsumerRecord<String, TokenUsage>> records = KafkaTopicReader.read(cluster, prefix + "llm.token-usage",
                    TokenUsage.class, 1);
            assertThat(records).extracting(r -> r.value().getEventId()).containsExactly("http-1");
        } finally {
            ingest.close();
        }
    }

    @Test
    void chunkedBodyPastTheLimitIsCutOffAndAnswered413() throws Exception {
        String prefix = "chunked-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = appConfig(prefix);
        var ingest = IngestRoutes.service(config, "t0ken");
        try (SpendService service = SpendService.start(SpendConfig.of(config), new SpendService.Options("127.0.0.1", 0,
                "127.0.0.1", 4096, app -> IngestRoutes.register(app, ingest), SpendListener.NONE))) {
            // 40 valid events, about 8 kB: no Content-Length, so only reading the stream can find the size
            StringBuilder body = new StringBuilder();
            String now = Instant.now().minusSeconds(30).toString();
            for (int i = 0; i < 40; i++) {
                body.append("{\"event_id\":\"chunk-").append(i).append("\",\"timestamp\":\"").append(now)
                        .append("\",\"team\":\"search\",\"application\":\"a\",\"provider\":\"openai\",")
                        .append("\"model\":\"gpt-4o-mini\",\"input_tokens\":100,\"output_tokens\":20}\n");
            }
            byte[] bytes = body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(bytes.length).isGreaterThan(4096);
            HttpRequest request = HttpRequest.newBuilder(URI.create(service.url() + "/ingest/token-usage"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)))
                    .header("Content-Type", "application/x-ndjson").header("Authorization", "Bearer t0ken").build();

            HttpResponse<String> answer = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(answer.request().headers().firstValue("Content-Length")).isEmpty();
            assertThat(answer.statusCode()).isEqualTo(413);
            assertThat(KafkaTopicReader.count(cluster, prefix + "llm.token-usage")).isZero();
        } finally {
            ingest.close();
        }
    }

    @Test
    void onlyJsonContentTypesAreTakenSoACrossSiteFormPostInjectsNothing() throws Exception {
        String prefix = "ctype-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = appConfig(prefix);
        var ingest = IngestRoutes.service(config, null); // anonymous: only the media type stands in the way
        try (SpendService service = SpendService.start(SpendConfig.of(config), new SpendService.Options("127.0.0.1", 0,
                "127.0.0.1", 1 << 20, app -> IngestRoutes.register(app, ingest), SpendListener.NONE))) {
            HttpClient http = HttpClient.newHttpClient();
            String now = Instant.now().minusSeconds(30).toString();
            String event = "{\"event_id\":\"ct-%s\",\"timestamp\":\"" + now + "\",\"team\":\"search\",\"application\":\"a\","
                    + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":100,\"output_tokens\":20}";
            String url = service.url() + "/ingest/token-usage";

            // what an HTML form on another site can send without a CORS preflight
            int plain = send(http, url, event.formatted("plain"), "text/plain").statusCode();
            int form = send(http, url, event.formatted("form"), "application/x-www-form-urlencoded").statusCode();
            int multipart = send(http, url, event.formatted("multi"), "multipart/form-data; boundary=x").statusCode();
            int none = send(http, url, event.formatted("none"), null).statusCode();
            int json = send(http, url, event.formatted("json"), "application/json; charset=utf-8").statusCode();
            int ndjson = send(http, url, event.formatted("ndjson"), "application/x-ndjson").statusCode();

            assertThat(List.of(plain, form, multipart, none)).containsOnly(415);
            assertThat(List.of(json, ndjson)).containsOnly(200);
            List<ConsumerRecord<String, TokenUsage>> records = KafkaTopicReader.read(cluster, prefix + "llm.token-usage",
                    TokenUsage.class, 2);
            assertThat(records).extracting(r -> r.value().getEventId()).containsExactlyInAnyOrder("ct-json", "ct-ndjson");
            assertThat(KafkaTopicReader.count(cluster, prefix + "llm.token-usage")).isEqualTo(2);
        } finally {
            ingest.close();
        }
    }

    private static HttpResponse<String> send(HttpClient http, String url, String body, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, Object> appConfig(String prefix) throws java.io.IOException {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put("application.id", prefix + "app");
        config.put("state.dir", Files.createTempDirectory("ingest-state").toString());
        config.put(Topics.PREFIX_CONFIG, prefix);
        // created and visible before the app starts, so its global store never meets a topic still being created
        try (var registry = io.spendmonitor.schemas.registry.RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())) {
            Topics topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, prefix), registry);
            var newTopics = topics.newTopics(3, java.util.Optional.of((short) 1));
            cluster.createTopics(newTopics);
            newTopics.forEach(t -> org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> KafkaTopicReader.exists(cluster, t.name())));
        }
        return config;
    }

    private static HttpResponse<String> post(HttpClient http, String url, String body, String auth) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/x-ndjson");
        if (auth != null) {
            request.header("Authorization", auth);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
