package io.spendmonitor.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The container's health check: {@code java -cp spend-monitor.jar io.spendmonitor.cli.HealthProbe URL}
 * exits 0 when URL answers 2xx within 3 s, else 1. It stands in for curl, which the runtime image
 * does not carry, and loads nothing but the JDK (no picocli, no Kafka).
 */
public final class HealthProbe {
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private HealthProbe() {
    }

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8080/health";
        System.exit(healthy(URI.create(url), TIMEOUT) ? 0 : 1);
    }

    /** True when {@code url} answers 2xx within {@code timeout}; the body is not read. */
    static boolean healthy(URI url, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        try {
            int status = client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).statusCode();
            return status >= 200 && status < 300;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            System.err.println("health check of " + url + " failed: " + e);
            return false;
        }
    }
}
