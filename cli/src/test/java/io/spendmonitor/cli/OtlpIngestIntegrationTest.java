package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.CallCost;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real OpenTelemetry Java SDK exports GenAI spans to {@code POST /v1/traces} of a running
 * {@code spend-monitor run} (its own process, real broker and registry): over protobuf with gzip
 * through the SDK's OTLP/HTTP exporter, and over JSON as the SDK's own OTLP/JSON marshaler writes it.
 * The money comes out exact and a span exported twice is counted once.
 */
@ExtendWith(KafkaClusterExtension.class)
class OtlpIngestIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INGEST_TOKEN = "ingest-" + UUID.randomUUID();
    private static final String API_TOKEN = "api-" + UUID.randomUUID();
    /** A replay of a past hour: event time comes from the spans, never from the wall clock. */
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    private static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    private static final AttributeKey<Long> INPUT = AttributeKey.longKey("gen_ai.usage.input_tokens");
    private static final AttributeKey<Long> OUTPUT = AttributeKey.longKey("gen_ai.usage.output_tokens");
    private static final AttributeKey<Long> CACHE_READ = AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
    private static final AttributeKey<Long> CACHE_CREATION = AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens");
    private static final AttributeKey<String> CUSTOMER = AttributeKey.stringKey("customer");

    private final KafkaCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    OtlpIngestIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void sdkSpansOverProtobufAndJsonArePricedExactlyAndARetriedSpanCountsOnce(@TempDir Path dir) throws Exception {
        String prefix = "otlp-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        topicsAndPrices(prefix);
        Path ingestTokenFile = Files.writeString(dir.resolve("ingest.token"), INGEST_TOKEN);
        Path apiTokenFile = Files.writeString(dir.resolve("api.token"), API_TOKEN);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                SpendMonitorCli.class.getName(), "run", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                "--http-host", "127.0.0.1", "--http-port", "0", "--state-dir", dir.resolve("state").toString(),
                "--application-id", prefix + "app", "-X", "spend.topic.prefix=" + prefix, "-X", "spend.topics.partitions=3",
                "-X", "spend.call-costs.enabled=true", "--ingest-token-file", ingestTokenFile.toString(), "--api-token-file", apiTokenFile.toString());
        Path out = dir.resolve("run.out");
        Path err = dir.resolve("run.err");
        Process app = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(out).contains("app.url=") || !app.isAlive());
            assertThat(app.isAlive()).as("run started; stderr:%n%s", Files.readString(err)).isTrue();
            String url = Files.readString(out).lines().filter(l -> l.startsWith("app.url=")).findFirst().orElseThrow()
                    .substring("app.url=".length());

            // 1. protobuf + gzip through the SDK's OTLP/HTTP exporter; the resource names the team (spend.team)
            List<SpanData> chat = record(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "chat-api",
                    AttributeKey.stringKey("spend.team"), "search")), tracer -> {
                // Anthropic call; by the OTel convention input_tokens 5300 holds the 4000 cache reads and 1000 cache writes
                span(tracer, T0.plusSeconds(10), Attributes.builder().put(PROVIDER, "anthropic")
                        .put(REQUEST_MODEL, "claude-sonnet-4-5").put(INPUT, 5300L).put(CACHE_READ, 4000L)
                        .put(CACHE_CREATION, 1000L).put(OUTPUT, 640L).put(CUSTOMER, "acme").build());
                // OpenAI call, the older gen_ai.system and a response model
                span(tracer, T0.plusSeconds(20), Attributes.builder().put(SYSTEM, "openai")
                        .put(REQUEST_MODEL, "gpt-4o-mini").put(RESPONSE_MODEL, "gpt-4o-mini")
                        .put(INPUT, 1200L).put(CACHE_READ, 1024L).put(OUTPUT, 85L).build());
                // not a GenAI call: ignored
                span(tracer, T0.plusSeconds(21), Attributes.of(AttributeKey.stringKey("http.request.method"), "GET"));
            });
            assertThat(chat).hasSize(3);
            try (OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(url + "/v1/traces")
                    .addHeader("Authorization", "Bearer " + INGEST_TOKEN).setCompression("gzip").build()) {
                assertThat(exporter.export(chat).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
                // the exporter's retry after a lost answer: the same spans, the same trace and span ids
                assertThat(exporter.export(chat).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
            }
            try (OtlpHttpSpanExporter anonymous = OtlpHttpSpanExporter.builder().setEndpoint(url + "/v1/traces").build()) {
                assertThat(anonymous.export(chat).join(30, TimeUnit.SECONDS).isSuccess()).as("no token").isFalse();
            }

            // 2. OTLP/JSON as the SDK marshals it (hex ids); the team from service.namespace; one span without a team
            List<SpanData> summarizer = record(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "summarizer",
                    AttributeKey.stringKey("service.namespace"), "search")), tracer ->
                    span(tracer, T0.plusSeconds(30), Attributes.builder().put(PROVIDER, "openai").put(REQUEST_MODEL, "gpt-4o-mini")
                            .put(INPUT, 1000L).put(OUTPUT, 200L).put(CUSTOMER, "globex").build()));
            List<SpanData> orphan = record(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "orphan")), tracer ->
                    span(tracer, T0.plusSeconds(31), Attributes.builder().put(PROVIDER, "openai").put(REQUEST_MODEL, "gpt-4o-mini")
                            .put(INPUT, 999_999L).put(OUTPUT, 1L).build()));
            List<SpanData> both = new ArrayList<>(summarizer);
            both.addAll(orphan);
            ByteArrayOutputStream json = new ByteArrayOutputStream();
            TraceRequestMarshaler.create(both).writeJsonTo(json);
            HttpResponse<String> jsonAnswer = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/traces"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + INGEST_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(jsonAnswer.statusCode()).isEqualTo(200);
            JsonNode partial = JSON.readTree(jsonAnswer.body()).get("partialSuccess");
            assertThat(partial.get("rejectedSpans").asText()).isEqualTo("1");
            assertThat(partial.get("errorMessage").asText()).startsWith("1 GenAI span rejected (missing-team: 1)");

            HttpResponse<String> formPost = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/traces"))
                    .header("Content-Type", "text/plain").header("Authorization", "Bearer " + INGEST_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(formPost.statusCode()).isEqualTo(415);

            // the retried span reached Kafka twice; the topology must count it once
            List<ConsumerRecord<String, TokenUsage>> records = KafkaTopicReader.read(cluster, prefix + "llm.token-usage",
                    TokenUsage.class, 5);
            assertThat(records).extracting(r -> r.value().getApplication())
                    .containsExactlyInAnyOrder("chat-api", "chat-api", "chat-api", "chat-api", "summarizer");
            TokenUsage anthropic = records.stream().map(ConsumerRecord::value).filter(u -> u.getProvider().equals("anthropic"))
                    .findFirst().orElseThrow();
            assertThat(anthropic.getEventId()).isEqualTo("otel-" + chat.get(0).getTraceId() + "-" + chat.get(0).getSpanId());
            assertThat(anthropic.getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme"));
            assertThat(anthropic.getTimestamp()).isEqualTo(T0.plusSeconds(10));

            // a call half an hour on closes the windows
            HttpResponse<String> tick = http.send(HttpRequest.newBuilder(URI.create(url + "/ingest/token-usage"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + INGEST_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"event_id\":\"tick\",\"timestamp\":\"" + T0.plus(Duration.ofMinutes(30))
                            + "\",\"team\":\"search\",\"application\":\"tick\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\","
                            + "\"input_tokens\":0,\"output_tokens\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tick.statusCode()).as(tick.body()).isEqualTo(200);

            // claude-sonnet-4-5 at $3.00 in / $0.30 cached / $3.75 cache write / $15.00 out per 1M:
            //   (5300 - 4000 - 1000) * 3.00 + 4000 * 0.30 + 1000 * 3.75 + 640 * 15.00 = 900 + 1200 + 3750 + 9600 = 15450 -> $0.015450000
            //   (once: the retry is a duplicate event_id)
            // gpt-4o-mini at $0.15 in / $0.075 cached / $0.60 out per 1M:
            //   (1200 - 1024) * 0.15 + 1024 * 0.075 + 85 * 0.60 = 26.4 + 76.8 + 51 = 154.2 -> $0.000154200
            //   1000 * 0.15 + 200 * 0.60 = 150 + 120 = 270                                -> $0.000270000
            // total $0.015874200; the orphan span (no team) counts nowhere
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                HttpResponse<String> team = http.send(HttpRequest.newBuilder(URI.create(url + "/api/teams/search"))
                        .header("Authorization", "Bearer " + API_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(team.statusCode()).as(team.body()).isEqualTo(200);
                assertThat(JSON.readTree(team.body()).at("/totals/api_cost_usd").asText()).as(team.body()).isEqualTo("0.015874200");
            });
            // the per-call topic, read as a transactional consumer sees it: three calls (the retried one once) and the tick
            List<CallCost> callCosts = committed(prefix + "spend.call-costs", 4, err);
            assertThat(callCosts).extracting(c -> c.getCostUsd().toPlainString()).containsExactlyInAnyOrder(
                    "0.015450000000000", "0.000154200000000", "0.000270000000000", "0.000000000000000");
            CallCost sonnet = callCosts.stream().filter(c -> c.getProvider().equals("anthropic")).findFirst().orElseThrow();
            assertThat(sonnet.getPriceSubject()).isEqualTo("api|anthropic|claude-sonnet-4-5|");
            assertThat(sonnet.getPriceEffectiveFrom()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
            assertThat(sonnet.getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme"));
            assertThat(Files.readString(err)).doesNotContain(INGEST_TOKEN);
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    /** Every committed record of {@code topic} once at least {@code count} arrived, and a little more time for extras. */
    private List<CallCost> committed(String topic, int count, Path appErr) {
        List<CallCost> values = new ArrayList<>();
        try (var registry = io.spendmonitor.schemas.registry.RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
             org.apache.kafka.clients.consumer.KafkaConsumer<String, CallCost> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                     Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                             org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                             org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                     new org.apache.kafka.common.serialization.StringDeserializer(),
                     new io.spendmonitor.schemas.serde.AvroDeserializer<>(registry, CallCost.class))) {
            var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // generous: on a loaded CI machine a commit of the app can take tens of seconds
            await().atMost(Duration.ofSeconds(180)).alias("committed call costs").untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                assertThat(values.size()).as("committed records of %s so far %s; the app's stderr ends:%n%s", topic,
                        values.stream().map(v -> v.getEventId() + "=" + v.getCostUsd()).toList(), tail(appErr)).isGreaterThanOrEqualTo(count);
            });
            // everything up to the end offsets: a copy would be there by now (the tick's window closed after these)
            var end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
        }
        return values;
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private interface Calls {
        void make(Tracer tracer);
    }

    /** The spans {@code calls} ends, as the SDK hands them to an exporter. */
    private static List<SpanData> record(Resource resource, Calls calls) {
        List<SpanData> ended = new CopyOnWriteArrayList<>();
        SpanExporter collect = new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                ended.addAll(spans);
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
        try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(Resource.getDefault().merge(resource))
                .addSpanProcessor(SimpleSpanProcessor.create(collect)).build()) {
            calls.make(provider.get("spend-monitor-test"));
            provider.forceFlush().join(10, TimeUnit.SECONDS);
        }
        return List.copyOf(ended);
    }

    /** One client span of two seconds ending at {@code end}. */
    private static void span(Tracer tracer, Instant end, Attributes attributes) {
        Span span = tracer.spanBuilder("chat").setSpanKind(SpanKind.CLIENT).setStartTimestamp(end.minusSeconds(2))
                .setAllAttributes(attributes).startSpan();
        span.end(end);
    }

    private void topicsAndPrices(String prefix) throws Exception {
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
            Instant from = Instant.parse("2025-01-01T00:00:00Z");
            for (PriceEntry price : List.of(
                    new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                            .setInputUsdPerMtok(usd("0.15")).setCachedInputUsdPerMtok(usd("0.075"))
                            .setOutputUsdPerMtok(usd("0.60")).setEffectiveFrom(from).build()),
                    new PriceEntry(ApiModelPrice.newBuilder().setProvider("anthropic").setModel("claude-sonnet-4-5")
                            .setInputUsdPerMtok(usd("3.00")).setCachedInputUsdPerMtok(usd("0.30"))
                            .setCacheWriteUsdPerMtok(usd("3.75")).setOutputUsdPerMtok(usd("15.00")).setEffectiveFrom(from).build()))) {
                producer.send(new ProducerRecord<>(prefix + "spend.price-catalog", PriceKeys.key(price), price)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static BigDecimal usd(String value) {
        return new BigDecimal(value).setScale(9);
    }
}
