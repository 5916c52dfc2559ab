package io.spendmonitor.cli;

import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import io.spendmonitor.producers.ingest.IngestMediaType;
import io.spendmonitor.producers.ingest.IngestService;
import io.spendmonitor.producers.jsonl.EventType;
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

/** HTTP ingest on the {@code run} port: POST /ingest/token-usage and /ingest/gpu-utilization. */
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
        app.post("/ingest/token-usage", ctx -> handle(ctx, ingest, EventType.TOKEN_USAGE));
        app.post("/ingest/gpu-utilization", ctx -> handle(ctx, ingest, EventType.GPU_UTILIZATION));
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
