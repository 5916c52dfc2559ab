package io.spendmonitor.schemas.registry;

import com.sun.net.httpserver.HttpServer;
import io.spendmonitor.cluster.TestCertificates;
import io.spendmonitor.cluster.TlsBasicAuthProxy;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry client over HTTPS with basic auth: {@code schema.registry.ssl.truststore.*}, a refused
 * password, an expired or untrusted certificate, and no secret in any message. A registry stand-in
 * answers {@code {"id":7}} behind {@link TlsBasicAuthProxy}; certificates from keytool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryTlsTest {
    private static final Schema SCHEMA = SchemaBuilder.record("Ping").namespace("t").fields().requiredString("s").endRecord();
    private final String storePassword = "store-" + UUID.randomUUID().toString().substring(0, 8);
    private final String password = "basic-" + UUID.randomUUID();
    private final AtomicInteger backendCalls = new AtomicInteger();
    private TestCertificates pki;
    private HttpServer backend;
    private TlsBasicAuthProxy proxy;
    private TlsBasicAuthProxy expired;

    @BeforeAll
    void start() throws IOException {
        pki = TestCertificates.generate(storePassword);
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        backend.createContext("/", exchange -> {
            backendCalls.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        String backendUrl = "http://127.0.0.1:" + backend.getAddress().getPort();
        proxy = TlsBasicAuthProxy.start(backendUrl, pki.serverKeystore(), storePassword, "app", password);
        expired = TlsBasicAuthProxy.start(backendUrl, pki.expiredServerKeystore(), storePassword, "app", password);
    }

    @AfterAll
    void stop() {
        proxy.close();
        expired.close();
        backend.stop(0);
        pki.close();
    }

    private Map<String, Object> config(String url, String userInfo) {
        Map<String, Object> c = new HashMap<>();
        c.put(SchemaRegistrySettings.URL, url);
        c.put(SchemaRegistrySettings.BASIC_AUTH_SOURCE, "USER_INFO");
        c.put(SchemaRegistrySettings.BASIC_AUTH_USER_INFO, userInfo);
        c.put(SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION, pki.truststore().toString());
        c.put(SchemaRegistrySettings.SSL_TRUSTSTORE_PASSWORD, storePassword);
        c.put(SchemaRegistrySettings.RETRY_BACKOFF_MS, "10");
        return c;
    }

    private static RestSchemaRegistryClient client(Map<String, Object> config) {
        return new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
    }

    @Test
    void theTruststoreAndTheRightPasswordGetThrough() {
        try (RestSchemaRegistryClient client = client(config(proxy.url(), "app:" + password))) {
            assertThat(client.register("t-value", SCHEMA)).isEqualTo(7);
        }
        assertThat(SchemaRegistrySettings.fromConfig(config(proxy.url(), "app:" + password)).toString())
                .doesNotContain(password).doesNotContain(storePassword);
    }

    @Test
    void aWrongPasswordIsRefusedOnceWithAClearError() {
        int refusedBefore = proxy.refused();
        String wrong = "wrong-" + UUID.randomUUID();
        try (RestSchemaRegistryClient client = client(config(proxy.url(), "app:" + wrong))) {
            assertThatThrownBy(() -> client.register("t-value", SCHEMA)).isInstanceOf(SchemaRegistryAuthException.class)
                    .hasMessageContaining("HTTP 401").hasMessageNotContaining(wrong);
        }
        assertThat(proxy.refused() - refusedBefore).as("not retried").isEqualTo(1);
    }

    @Test
    void anExpiredCertificateFailsAtOnceNamingIt() {
        int before = backendCalls.get();
        try (RestSchemaRegistryClient client = client(config(expired.url(), "app:" + password))) {
            assertThatThrownBy(() -> client.register("t-value", SCHEMA)).isInstanceOf(SchemaRegistryTlsException.class)
                    .hasMessageContaining("TLS handshake with the schema registry at " + expired.url())
                    .hasMessageContaining("NotAfter").hasMessageContaining(SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION);
        }
        assertThat(backendCalls.get()).isEqualTo(before);
    }

    @Test
    void anUntrustedCertificateFailsNamingIt() {
        Map<String, Object> untrusted = config(proxy.url(), "app:" + password);
        untrusted.put(SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION, pki.untrustedTruststore().toString());
        try (RestSchemaRegistryClient client = client(untrusted)) {
            assertThatThrownBy(() -> client.register("t-value", SCHEMA)).isInstanceOf(SchemaRegistryTlsException.class)
                    .hasMessageContaining("unable to find valid certification path");
        }
    }

    @Test
    void aBadTruststoreIsAConfigurationErrorWithoutThePassword() {
        Map<String, Object> wrongPassword = config(proxy.url(), "app:" + password);
        String wrong = "wrong-store-" + UUID.randomUUID();
        wrongPassword.put(SchemaRegistrySettings.SSL_TRUSTSTORE_PASSWORD, wrong);
        assertThatThrownBy(() -> SchemaRegistrySettings.fromConfig(wrongPassword)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION).hasMessageContaining("password")
                .hasMessageNotContaining(wrong).hasMessageNotContaining(storePassword);

        Map<String, Object> missing = config(proxy.url(), "app:" + password);
        missing.put(SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION, "/nonexistent/truststore.p12");
        assertThatThrownBy(() -> SchemaRegistrySettings.fromConfig(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/nonexistent/truststore.p12").hasMessageNotContaining(storePassword);
    }

    @Test
    void refusalsAndHandshakeFailuresAreTheRegistrysNotTheData() {
        assertThat(new AvroSerdeException("registry-auth", "x").isTransient()).isTrue();
        assertThat(new AvroSerdeException("registry-tls", "x").isTransient()).isTrue();
        assertThat(new AvroSerdeException("registry-unavailable", "x").isTransient()).isTrue();
        assertThat(new AvroSerdeException("undecodable", "x").isTransient()).isFalse();
        assertThat(new AvroSerdeException("unknown-schema-id", "x").isTransient()).isFalse();
    }
}
