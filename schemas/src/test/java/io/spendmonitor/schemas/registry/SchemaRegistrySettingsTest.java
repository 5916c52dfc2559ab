package io.spendmonitor.schemas.registry;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistrySettingsTest {

    @Test
    void basicAuthFromUserInfoIsEncodedAndNeverPrinted() {
        var settings = SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "https://sr1:8081/, https://sr2:8081",
                "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "alice:s3cret"));

        // base64("alice:s3cret") = YWxpY2U6czNjcmV0
        assertThat(settings.authorizationHeader()).isEqualTo("Basic YWxpY2U6czNjcmV0");
        assertThat(settings.urls()).extracting(Object::toString).containsExactly("https://sr1:8081", "https://sr2:8081");
        assertThat(settings.toString()).doesNotContain("s3cret").doesNotContain("YWxpY2U6czNjcmV0").contains("basic (hidden)");
    }

    @Test
    void userInfoInTheUrlIsTakenOutOfIt() {
        var settings = SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "http://bob:pw@registry:8081",
                "basic.auth.credentials.source", "URL"));

        assertThat(settings.urls()).extracting(Object::toString).containsExactly("http://registry:8081");
        assertThat(settings.authorizationHeader()).isEqualTo("Basic Ym9iOnB3"); // base64("bob:pw")
        assertThat(settings.toString()).doesNotContain("pw");
    }

    @Test
    void bearerTokenWins() {
        var settings = SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "http://registry:8081", "bearer.auth.token", "tok-123"));

        assertThat(settings.authorizationHeader()).isEqualTo("Bearer tok-123");
        assertThat(settings.toString()).doesNotContain("tok-123");
    }

    @Test
    void badSettingsAreExplained() {
        assertThatThrownBy(() -> SchemaRegistrySettings.fromConfig(Map.of()))
                .hasMessageContaining("missing 'schema.registry.url'");
        assertThatThrownBy(() -> SchemaRegistrySettings.forUrl("registry:8081"))
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> SchemaRegistrySettings.fromConfig(Map.of("schema.registry.url", "http://r",
                "schema.registry.retries", "many"))).hasMessageContaining("'schema.registry.retries' must be");
        assertThatThrownBy(() -> SchemaRegistrySettings.fromConfig(Map.of("schema.registry.url", "http://r",
                "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "nocolon")))
                .hasMessageContaining("user:password").hasMessageNotContaining("nocolon");
    }

    @Test
    void anUnreachableRegistryIsReportedAfterTheRetries() {
        // port 1 on loopback: connection refused at once
        var client = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(Map.of(
                "schema.registry.url", "http://127.0.0.1:1", "schema.registry.retries", "2",
                "schema.registry.retry.backoff.ms", "10")));

        assertThatThrownBy(() -> client.getById(1))
                .isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("unreachable at [http://127.0.0.1:1] after 3 attempt(s)");
    }
}
