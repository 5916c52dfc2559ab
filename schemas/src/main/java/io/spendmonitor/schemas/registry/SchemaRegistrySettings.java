package io.spendmonitor.schemas.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach a Schema Registry, read from the usual Confluent client properties so existing
 * configs carry over: {@code schema.registry.url} (comma-separated for fail-over),
 * {@code basic.auth.credentials.source} + {@code basic.auth.user.info}, {@code bearer.auth.token}.
 * TLS trusts {@code schema.registry.ssl.truststore.location} (+ {@code .password}, {@code .type}, default
 * PKCS12, JKS also read) when set, else the JVM trust store ({@code -Djavax.net.ssl.trustStore=...}).
 * {@link #toString()} never shows credentials.
 */
public final class SchemaRegistrySettings {
    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_SOURCE = "bearer.auth.credentials.source";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String CONNECT_TIMEOUT_MS = "schema.registry.connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String RETRIES = "schema.registry.retries";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

    private final List<URI> urls;
    private final String authorizationHeader;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int retries;
    private final Duration retryBackoff;
    private final Duration retryBackoffMax;
    /** The TLS context trusting the configured truststore; null for the JVM's default. */
    private final javax.net.ssl.SSLContext sslContext;

    private SchemaRegistrySettings(List<URI> urls, String authorizationHeader, Duration connectTimeout,
                                   Duration requestTimeout, int retries, Duration retryBackoff,
                                   Duration retryBackoffMax, javax.net.ssl.SSLContext sslContext) {
        this.sslContext = sslContext;
        this.urls = List.copyOf(urls);
        this.authorizationHeader = authorizationHeader;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.retries = retries;
        this.retryBackoff = retryBackoff;
        this.retryBackoffMax = retryBackoffMax;
    }

    public static SchemaRegistrySettings forUrl(String url) {
        return fromConfig(Map.of(URL, url));
    }

    public static SchemaRegistrySettings fromConfig(Map<String, ?> config) {
        Object rawUrl = config.get(URL);
        if (rawUrl == null || rawUrl.toString().isBlank()) {
            throw new IllegalArgumentException("missing '" + URL + "': the Schema Registry address, e.g. http://localhost:8081");
        }
        List<URI> urls = new ArrayList<>();
        String userInfoFromUrl = null;
        for (String part : rawUrl.toString().split(",")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + URL + "' is not a valid URL list", e);
            }
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                throw new IllegalArgumentException("'" + URL + "' must hold http:// or https:// URLs");
            }
            if (uri.getUserInfo() != null) {
                userInfoFromUrl = uri.getUserInfo();
                uri = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                        + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            urls.add(uri);
        }
        return new SchemaRegistrySettings(urls, authorization(config, userInfoFromUrl),
                Duration.ofMillis(longValue(config, CONNECT_TIMEOUT_MS, 5_000)),
                Duration.ofMillis(longValue(config, REQUEST_TIMEOUT_MS, 10_000)),
                (int) longValue(config, RETRIES, 3),
                Duration.ofMillis(longValue(config, RETRY_BACKOFF_MS, 200)),
                Duration.ofMillis(longValue(config, RETRY_BACKOFF_MAX_MS, 5_000)), sslContext(config));
    }

    /** The TLS context of {@code schema.registry.ssl.truststore.*}, or null when no truststore is set; messages never hold the password. */
    private static javax.net.ssl.SSLContext sslContext(Map<String, ?> config) {
        String location = string(config, SSL_TRUSTSTORE_LOCATION).orElse(null);
        if (location == null) {
            return null;
        }
        String type = string(config, SSL_TRUSTSTORE_TYPE).orElse("PKCS12");
        Object rawPassword = config.get(SSL_TRUSTSTORE_PASSWORD);
        char[] password = rawPassword == null ? null : rawPassword.toString().toCharArray();
        try {
            java.security.KeyStore trusted = java.security.KeyStore.getInstance(type);
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(location))) {
                trusted.load(in, password);
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            // IOException of a wrong password: "keystore password was incorrect" (no secret in it)
            String reason = e.getCause() instanceof java.security.UnrecoverableKeyException
                    ? "wrong " + SSL_TRUSTSTORE_PASSWORD : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw new IllegalArgumentException("cannot read '" + SSL_TRUSTSTORE_LOCATION + "' " + location + " (type " + type
                    + "): " + reason);
        }
    }

    private static String authorization(Map<String, ?> config, String userInfoFromUrl) {
        String bearer = string(config, BEARER_AUTH_TOKEN).orElse(null);
        String bearerSource = string(config, BEARER_AUTH_SOURCE).orElse(bearer == null ? "" : "STATIC_TOKEN");
        if (!bearerSource.isEmpty()) {
            if (!bearerSource.equalsIgnoreCase("STATIC_TOKEN")) {
                throw new IllegalArgumentException("'" + BEARER_AUTH_SOURCE + "' supports STATIC_TOKEN only");
            }
            if (bearer == null || bearer.isBlank()) {
                throw new IllegalArgumentException("'" + BEARER_AUTH_SOURCE + "' is STATIC_TOKEN but '" + BEARER_AUTH_TOKEN + "' is empty");
            }
            return "Bearer " + bearer;
        }
        String source = string(config, BASIC_AUTH_SOURCE).orElse("");
        String userInfo = switch (source.toUpperCase()) {
            case "" -> string(config, BASIC_AUTH_USER_INFO).orElse(null);
            case "USER_INFO" -> string(config, BASIC_AUTH_USER_INFO).orElseThrow(() -> new IllegalArgumentException(
                    "'" + BASIC_AUTH_SOURCE + "' is USER_INFO but '" + BASIC_AUTH_USER_INFO + "' is empty"));
            case "URL" -> userInfoFromUrl;
            default -> throw new IllegalArgumentException("'" + BASIC_AUTH_SOURCE + "' must be USER_INFO or URL");
        };
        if (userInfo == null || userInfo.isEmpty()) {
            return null;
        }
        if (!userInfo.contains(":")) {
            throw new IllegalArgumentException("'" + BASIC_AUTH_USER_INFO + "' must be user:password");
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Optional<String> string(Map<String, ?> config, String key) {
        Object v = config.get(key);
        return v == null || v.toString().isBlank() ? Optional.empty() : Optional.of(v.toString().trim());
    }

    private static long longValue(Map<String, ?> config, String key, long fallback) {
        Object v = config.get(key);
        if (v == null || v.toString().isBlank()) {
            return fallback;
        }
        try {
            long parsed = v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a non-negative whole number, got '" + v + "'");
        }
    }

    public List<URI> urls() {
        return urls;
    }

    /** The Authorization header value, or null when no credentials are configured. */
    String authorizationHeader() {
        return authorizationHeader;
    }

    public boolean hasCredentials() {
        return authorizationHeader != null;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public int retries() {
        return retries;
    }

    public Duration retryBackoff() {
        return retryBackoff;
    }

    public Duration retryBackoffMax() {
        return retryBackoffMax;
    }

    /** The TLS context trusting {@code schema.registry.ssl.truststore.location}, or null for the JVM's default trust. */
    public javax.net.ssl.SSLContext sslContext() {
        return sslContext;
    }

    @Override
    public String toString() {
        return "SchemaRegistrySettings{urls=" + urls + ", auth=" + (authorizationHeader == null ? "none"
                : authorizationHeader.substring(0, authorizationHeader.indexOf(' ')).toLowerCase() + " (hidden)")
                + ", requestTimeout=" + requestTimeout + ", retries=" + retries + "}";
    }
}
