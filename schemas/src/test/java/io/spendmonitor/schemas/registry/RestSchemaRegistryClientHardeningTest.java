package io.spendmonitor.schemas.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry client against a fake registry that misbehaves: unknown ids asked for in a flood,
 * redirects while credentials are set, answers whose body never ends or never stops.
 * (@Timeout guards against the hang of an unbounded read; no assertion is about speed.)
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RestSchemaRegistryClientHardeningTest {
    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"t\",\"fields\":[{\"name\":\"s\",\"type\":\"string\"}]}";

    private HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile Responder responder;

    interface Responder {
        void respond(HttpExchange exchange) throws IOException, InterruptedException;
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + (auth == null ? "" : " auth"));
            try {
                responder.respond(exchange);
            } catch (IOException e) {
                // the client hung up: expected for the bounded reads
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        stopped.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Test
    void anUnknownIdIsAskedOnceThenAnsweredFromMemoryForThirtySeconds() {
        responder = exchange -> answer(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        AtomicLong nanos = new AtomicLong(1_000);
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.forUrl(url()), nanos::get);

        // a flood of records carrying the same bad id
        for (int i = 0; i < 1_000; i++) {
            assertThatThrownBy(() -> client.getById(4242)).isInstanceOf(UnknownSchemaIdException.class);
        }
        assertThat(requests).containsExactly("GET /schemas/ids/4242");

        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThatThrownBy(() -> client.getById(4242)).isInstanceOf(UnknownSchemaIdException.class);
        assertThat(requests).hasSize(1);

        // after the 30 s the registry is asked again: the id may have been registered since
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        responder = exchange -> answer(exchange, 200, "{\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(SCHEMA) + "}");
        assertThat(client.getById(4242).getName()).isEqualTo("Ping");
        assertThat(requests).hasSize(2);
    }

    @Test
    void aRedirectIsNotFollowedWhileCredentialsAreSet() {
        responder = exchange -> {
            if (exchange.getRequestURI().getPath().startsWith("/elsewhere")) {
                answer(exchange, 200, "{\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(SCHEMA) + "}");
            } else {
                exchange.getResponseHeaders().add("Location", url() + "/elsewhere" + exchange.getRequestURI().getPath());
                answer(exchange, 307, "");
            }
        };
        var withCredentials = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", url(), "basic.auth.user.info", "svc:pw", "schema.registry.retries", "0")));
        assertThatThrownBy(() -> withCredentials.getById(7))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("redirect");
        assertThat(requests).containsExactly("GET /schemas/ids/7 auth");

        // without credentials there is nothing to leak: the redirect is followed
        var anonymous = new RestSchemaRegistryClient(SchemaRegistrySettings.forUrl(url()));
        assertThat(anonymous.getById(8).getName()).isEqualTo("Ping");
        assertThat(requests).endsWith("GET /schemas/ids/8", "GET /elsewhere/schemas/ids/8");
    }

    @Test
    void credentialsOverPlainHttpAreWarnedAbout() {
        assertThat(RestSchemaRegistryClient.credentialsOverPlainHttp(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "http://registry:8081", "basic.auth.user.info", "svc:secret-pw"))))
                .hasValueSatisfying(w -> assertThat(w).contains("plain http", "http://registry:8081").doesNotContain("secret-pw"));
        assertThat(RestSchemaRegistryClient.credentialsOverPlainHttp(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "https://registry:8081", "basic.auth.user.info", "svc:pw")))).isEmpty();
        assertThat(RestSchemaRegistryClient.credentialsOverPlainHttp(SchemaRegistrySettings.forUrl("http://registry:8081"))).isEmpty();
    }

    @Test
    void anAnswerWhoseBodyNeverEndsFailsAtTheRequestTimeout() {
        responder = exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("{\"schema\":".getBytes(StandardCharsets.UTF_8));
            out.flush();
            stopped.await();
        };
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", url(), "schema.registry.request.timeout.ms", "300", "schema.registry.retries", "0")));
        assertThatThrownBy(() -> client.getById(9)).isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("HttpTimeoutException");
    }

    @Test
    void anAnswerThatFloodsIsCutAtTheCap() {
        responder = exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) ' ');
            while (stopped.getCount() > 0) {
                out.write(chunk);
            }
        };
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", url(), "schema.registry.retries", "0")));
        assertThatThrownBy(() -> client.getById(10)).isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("larger than " + RestSchemaRegistryClient.MAX_ANSWER_BYTES);
    }
}
