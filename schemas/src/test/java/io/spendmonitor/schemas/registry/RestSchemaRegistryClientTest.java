package io.spendmonitor.schemas.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's HTTP behaviour against a scripted server: auth headers, retries, error mapping and
 * caching. The real-registry behaviour is in RealRegistryIntegrationTest.
 */
class RestSchemaRegistryClientTest {
    private static final Schema SCHEMA = SchemaBuilder.record("Ping").namespace("t").fields().requiredString("s").endRecord();

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile Responder responder;

    interface Responder {
        void respond(HttpExchange exchange, int callNumber) throws IOException;
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            responder.respond(exchange, calls.incrementAndGet());
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Test
    void retriesServerErrorsThenCachesTheAnswer() {
        responder = (exchange, call) -> {
            if (call <= 2) {
                answer(exchange, 503, "{\"error_code\":50301,\"message\":\"leader not ready\"}");
            } else {
                answer(exchange, 200, "{\"id\":7}");
            }
        };
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", url(), "schema.registry.retry.backoff.ms", "5")));

        assertThat(client.register("topic-value", SCHEMA)).isEqualTo(7);
        assertThat(client.register("topic-value", SCHEMA)).isEqualTo(7);
        assertThat(client.getById(7)).isEqualTo(SCHEMA);

        // two 503s, one success; the second register and getById come from the cache
        assertThat(requests).containsExactly("POST /subjects/topic-value/versions",
                "POST /subjects/topic-value/versions", "POST /subjects/topic-value/versions");
    }

    @Test
    void sendsBasicAuthAndUrlEncodesSubjects() {
        responder = (exchange, call) -> answer(exchange, 200, "{\"id\":1}");
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", url() + "/apis/ccompat/v7",
                "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "alice:s3cret")));

        client.register("io.x.Rec/with space", SCHEMA);

        assertThat(requests).containsExactly("POST /apis/ccompat/v7/subjects/io.x.Rec%2Fwith%20space/versions");
        assertThat(authorizations).containsExactly("Basic YWxpY2U6czNjcmV0"); // base64("alice:s3cret")
    }

    @Test
    void mapsErrorsToTypedExceptionsWithoutRetrying() {
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.forUrl(url()));

        // Apicurio answers an incompatible schema with 409 and error_code 0: the status decides
        responder = (exchange, call) -> answer(exchange, 409, "{\"error_code\":0,\"message\":\"Incompatible artifact\"}");
        assertThatThrownBy(() -> client.register("s-value", SCHEMA))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("Incompatible artifact");

        responder = (exchange, call) -> answer(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        assertThatThrownBy(() -> client.getById(42))
                .isInstanceOf(UnknownSchemaIdException.class)
                .hasMessage("schema id 42 is unknown to the schema registry");

        responder = (exchange, call) -> answer(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
        assertThatThrownBy(() -> client.getById(43))
                .isInstanceOf(SchemaRegistryAuthException.class)
                .hasMessageContaining("check basic.auth.user.info / bearer.auth.token");

        // the 409 is followed by one lookup (it could be a lost race, see below): 2 + 1 + 1
        assertThat(requests).hasSize(4);
    }

    @Test
    void aRegistrationThatLostARaceToTheSameSchemaGetsItsId() {
        // Apicurio: two instances register a new subject at once; the loser gets 409 "already exists"
        responder = (exchange, call) -> {
            if (exchange.getRequestURI().getPath().endsWith("/versions")) {
                answer(exchange, 409, "{\"error_code\":0,\"message\":\"An artifact with ID 's-value' in group 'null' already exists.\"}");
            } else {
                answer(exchange, 200, "{\"subject\":\"s-value\",\"id\":12,\"version\":1}");
            }
        };
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.forUrl(url()));

        assertThat(client.register("s-value", SCHEMA)).isEqualTo(12);
        assertThat(requests).containsExactly("POST /subjects/s-value/versions", "POST /subjects/s-value");
    }

    @Test
    void failsOverToTheNextUrl() {
        responder = (exchange, call) -> answer(exchange, 200, "{\"schema\":" + quote(SCHEMA.toString()) + "}");
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "http://127.0.0.1:1," + url(), "schema.registry.retry.backoff.ms", "5")));

        assertThat(client.getById(5)).isEqualTo(SCHEMA);
        assertThat(requests).containsExactly("GET /schemas/ids/5");
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
