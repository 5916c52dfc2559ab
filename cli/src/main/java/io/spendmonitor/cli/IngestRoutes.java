package io.spendmonitor.cli;

import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import io.spendmonitor.producers.ingest.IngestMediaType;
import io.spendmonitor.producers.ingest.IngestService;
import io.spendmonitor.producers.ingest.otlp.OtlpSettings;
import io.spendmonitor.producers.ingest.otlp.OtlpTraceIngest;
import io.spendmonitor.producers.jsonl.EventType;
import io.spendmonitor.schemas.rules.EventRules;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** HTTP ingest on the {@code run} port: POST /ingest/token-usage, /ingest/gpu-utilization and OTLP's /v1/traces. */
final class IngestRoutes {
    private IngestRoutes() {
    }

    /** An ingest service publishing with the app's own client settings (TLS, SASL and all). */
    static IngestService service(Map<String, Object> clientConfig, String token) {
        return service(clientConfig, token, IngestService.DEFAULT_MAX_EVENTS);
    }

    /** @param maxEvents most events one request may carry */
    static IngestService service(Map<String, Object> clientConfig, String token, int maxEvents) {
        Map<String, Object> producerConfig = new HashMap<>();
        clientConfig.forEach((k, v) -> {
            if (ProducerConfig.configNames().contains(k) || k.startsWith("schema.registry.") || k.startsWith("basic.auth.")
                    || k.startsWith("bearer.auth.") || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                producerConfig.put(k, v);
            }
        });
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerConfig.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producerConfig.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        AvroSerializer<Object> values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        KafkaProducer<String, Object> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), values);
        Topics topics = Topics.fromConfig(clientConfig, new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(clientConfig)));
        return new IngestService(producer, topics, token, Duration.ofSeconds(30), maxEvents);
    }

    static void register(JavalinDefaultRoutingApi app, IngestService ingest) {
        register(app, ingest, otlp(ingest, Map.of(), DEFAULT_MAX_DECODED_BYTES));
    }

    /** The ingest routes and OTLP's {@code POST /v1/traces}, which takes the same token. */
    static void register(JavalinDefaultRoutingApi app, IngestService ingest, OtlpTraceIngest otlp) {
        app.post("/ingest/token-usage", ctx -> handle(ctx, ingest, EventType.TOKEN_USAGE));
        app.post("/ingest/gpu-utilization", ctx -> handle(ctx, ingest, EventType.GPU_UTILIZATION));
        app.post("/v1/traces", ctx -> traces(ctx, ingest, otlp));
    }

    /** The largest OTLP body after gunzip when none is configured: the default --max-request-bytes. */
    static final long DEFAULT_MAX_DECODED_BYTES = 5L * 1024 * 1024;

    /**
     * OTLP trace ingest publishing through {@code ingest}, with the app's settings
     * ({@code spend.otlp.*}, {@code spend.attribution.otel-attributes}, the time rules).
     *
     * @param maxDecodedBytes largest body after gunzip (the app's --max-request-bytes)
     */
    static OtlpTraceIngest otlp(IngestService ingest, Map<String, Object> config, long maxDecodedBytes) {
        EventRules rules = EventRules.defaults();
        Object min = config.get("spend.timestamp.min");
        Object ahead = config.get("spend.timestamp.max-ahead");
        if (min != null || ahead != null) {
            rules = new EventRules(min == null ? EventRules.DEFAULT_MINIMUM : java.time.Instant.parse(min.toString()),
                    ahead == null ? EventRules.DEFAULT_MAX_AHEAD : java.time.Duration.parse(ahead.toString()));
        }
        return new OtlpTraceIngest(OtlpSettings.fromConfig(config), rules, ingest::publishTokenUsage, maxDecodedBytes,
                ingest.maxEvents(), java.time.Clock.systemUTC());
    }

    private static void traces(Context ctx, IngestService ingest, OtlpTraceIngest otlp) {
        OtlpTraceIngest.Response response;
        if (!ingest.authorized(ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer");
            response = OtlpTraceIngest.error(401, "missing or wrong bearer token (Authorization: Bearer <token>)");
        } else {
            OtlpTraceIngest.Encoding encoding = OtlpTraceIngest.encoding(ctx.header("Content-Type"));
            if (encoding == null) {
                ctx.header("Accept-Post", "application/x-protobuf, application/json");
                response = OtlpTraceIngest.error(415, "Content-Type must be application/x-protobuf or application/json");
            } else {
                response = otlp.export(encoding, ctx.header("Content-Encoding"), ctx.bodyAsBytes());
            }
        }
        ctx.status(response.status()).contentType(response.contentType()).result(response.body());
    }

    private static void handle(Context ctx, IngestService ingest, EventType type) {
        // authenticate before reading a possibly large body
        if (!ingest.authorized(ctx.header("Authorization"))) {
            ctx.status(401).header("WWW-Authenticate", "Bearer").json(Map.of("error",
                    "missing or wrong bearer token (Authorization: Bearer <token>)"));
            return;
        }
        // before the body is read; a browser's cross-site form post (text/plain and the like) ends here
        if (!IngestMediaType.accepted(ctx.header("Content-Type"))) {
            ctx.status(415).header("Accept-Post", "application/json, application/x-ndjson").json(Map.of("error",
                    "Content-Type must be " + IngestMediaType.ACCEPTED));
            return;
        }
        IngestService.Response response = ingest.ingest(type, ctx.header("Authorization"), ctx.bodyAsBytes());
        ctx.status(response.status()).json(response.body());
    }
}
