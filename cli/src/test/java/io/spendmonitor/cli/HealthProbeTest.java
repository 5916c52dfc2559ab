package io.spendmonitor.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class HealthProbeTest {
    @Test
    void healthyOnlyOnA2xx() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.createContext("/starting", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            assertThat(HealthProbe.healthy(URI.create(base + "/health"), Duration.ofSeconds(10))).isTrue();
            assertThat(HealthProbe.healthy(URI.create(base + "/starting"), Duration.ofSeconds(10))).isFalse();
        } finally {
            server.stop(0);
        }
        assertThat(HealthProbe.healthy(URI.create(base + "/health"), Duration.ofSeconds(10))).as("nothing listening").isFalse();
    }
}
