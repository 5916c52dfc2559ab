package io.spendmonitor.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS reverse proxy on 127.0.0.1 that lets through only requests carrying one HTTP basic-auth
 * user and password, as a registry behind an ingress with TLS and basic auth looks to clients. The
 * embedded registry speaks plain HTTP without authentication; tests put this in front of it.
 * Others get 401 with a JSON error body, as Confluent's registry answers.
 */
public final class TlsBasicAuthProxy implements AutoCloseable {
    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of("Content-Type", "Accept");

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "tls-basic-auth-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final HttpClient backendClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI backend;
    private final byte[] expectedAuthorization;
    private final AtomicInteger refused = new AtomicInteger();

    private TlsBasicAuthProxy(URI backend, Path keystore, String keystorePassword, String user, String password) {
        this.backend = backend;
        this.expectedAuthorization = ("Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.US_ASCII);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = java.nio.file.Files.newInputStream(keystore)) {
                ks.load(in, keystorePassword.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, keystorePassword.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the TLS proxy", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not load the TLS proxy's keystore " + keystore, e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts a proxy to {@code backend} (an http:// base URL) serving TLS with the key in
     * {@code keystore} (PKCS12), letting through requests with basic auth {@code user}:{@code password}.
     */
    public static TlsBasicAuthProxy start(String backend, Path keystore, String keystorePassword, String user, String password) {
        String base = backend.endsWith("/") ? backend.substring(0, backend.length() - 1) : backend;
        return new TlsBasicAuthProxy(URI.create(base), keystore, keystorePassword, user, password);
    }

    /** {@code https://127.0.0.1:<port>}. */
    public String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many requests were refused for missing or wrong credentials. */
    public int refused() {
        return refused.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (authorization == null || !MessageDigest.isEqual(expectedAuthorization,
                    authorization.getBytes(StandardCharsets.US_ASCII))) {
                refused.incrementAndGet();
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"schema-registry\"");
                send(exchange, 401, "application/json", "{\"error_code\":401,\"message\":\"Unauthorized\"}"
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            URI target = URI.create(backend + exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                    .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String header : FORWARDED_REQUEST_HEADERS) {
                String value = exchange.getRequestHeaders().getFirst(header);
                if (value != null) {
                    request.header(header, value);
                }
            }
            HttpResponse<byte[]> answer;
            try {
                answer = backendClient.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                send(exchange, 502, "text/plain", ("backend unreachable: " + e).getBytes(StandardCharsets.UTF_8));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                send(exchange, 503, "text/plain", new byte[0]);
                return;
            }
            send(exchange, answer.statusCode(), answer.headers().firstValue("Content-Type").orElse("application/json"),
                    answer.body());
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
