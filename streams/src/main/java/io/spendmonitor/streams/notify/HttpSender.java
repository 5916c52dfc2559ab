package io.spendmonitor.streams.notify;

import io.spendmonitor.schemas.http.BoundedHttp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs JSON for the HTTP channels and sorts the answer into {@link DeliveryOutcome}s: 2xx sent;
 * 429, 5xx, timeouts and I/O errors retryable; anything else (other 4xx, 3xx: redirects are not
 * followed) permanent. One instance (one {@link HttpClient}) serves every channel; thread-safe.
 * Outcome details name the endpoint by scheme, host and port only: a Slack webhook's path is its
 * secret, and other URLs may carry tokens too.
 *
 * <p>The request timeout bounds the whole exchange, body included ({@link BoundedHttp}); a 2xx
 * body is not read at all, and of any other only the first {@value #SNIPPET_BYTES} bytes.
 */
public final class HttpSender {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int SNIPPET_BYTES = 200;

    private final HttpClient client;
    private final Duration requestTimeout;

    public HttpSender(Duration connectTimeout, Duration requestTimeout) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // plain HTTP/1.1: no h2c upgrade dance with webhook receivers that do not expect it
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.requestTimeout = requestTimeout;
    }

    public static HttpSender withDefaults() {
        return new HttpSender(DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
    }

    /** One POST of {@code body} (JSON) with extra {@code headers}; never throws for HTTP or I/O failures. */
    public DeliveryOutcome postJson(URI uri, byte[] body, Map<String, String> headers) throws InterruptedException {
        HttpRequest request;
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                    .timeout(requestTimeout)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("User-Agent", "spend-monitor")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(builder::header);
            request = builder.build();
        } catch (IllegalArgumentException e) {
            return DeliveryOutcome.permanent("cannot build a request to " + endpoint(uri) + ": " + scrub(e.getMessage(), uri));
        }
        HttpResponse<byte[]> response;
        try {
            response = BoundedHttp.send(client, request, requestTimeout,
                    info -> info.statusCode() >= 200 && info.statusCode() < 300 ? 0 : SNIPPET_BYTES, BoundedHttp.Overflow.TRUNCATE);
        } catch (HttpTimeoutException e) {
            return DeliveryOutcome.retryable(endpoint(uri) + " timed out (" + scrub(e.getMessage(), uri) + ")");
        } catch (IOException e) {
            return DeliveryOutcome.retryable(endpoint(uri) + " unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + scrub(e.getMessage(), uri)));
        }
        int status = response.statusCode();
        String snippet = snippet(response.body());
        if (status >= 200 && status < 300) {
            return DeliveryOutcome.sent();
        }
        String detail = endpoint(uri) + " answered HTTP " + status + (snippet.isEmpty() ? "" : ": " + snippet);
        if (status == 429 || status >= 500) {
            return DeliveryOutcome.retryable(detail, retryAfter(response));
        }
        return DeliveryOutcome.permanent(detail);
    }

    /** {@code https://hooks.slack.com}: how logs name an endpoint. */
    public static String endpoint(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    }

    /** The start of a response body, on one line, for the log (error bodies are short codes like {@code invalid_token}). */
    private static String snippet(byte[] body) {
        return new String(body, StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim();
    }

    /** {@code Retry-After} in seconds (the HTTP-date form is ignored: backoff applies). */
    private static Duration retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").map(v -> {
            try {
                long seconds = Long.parseLong(v.trim());
                return seconds > 0 ? Duration.ofSeconds(seconds) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }).orElse(null);
    }

    /** Removes the full URL (and its path) from an exception message, keeping the host. */
    private static String scrub(String message, URI uri) {
        if (message == null) {
            return "";
        }
        String scrubbed = message.replace(uri.toString(), endpoint(uri));
        String path = uri.getRawPath();
        if (path != null && path.length() > 1) {
            scrubbed = scrubbed.replace(path, "/…");
        }
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            scrubbed = scrubbed.replace(query, "…");
        }
        return scrubbed;
    }
}
