package io.spendmonitor.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.schemas.http.BoundedHttp;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * A client for the Confluent Schema Registry REST API (Confluent's registry, or another that
 * speaks it: Apicurio's {@code /apis/ccompat/v7}). Answers are cached, so a serde asks once per
 * schema. Connection failures, timeouts and 5xx answers are retried with jittered exponential
 * backoff, trying each configured URL in turn.
 *
 * <p>Tolerated differences of Apicurio 2.4: a 409 carries error_code 0 (the status decides);
 * {@code GET /schemas/ids/{id}/schema} does not exist ({@code /schemas/ids/{id}} is used).
 *
 * <p>Hardening: every call has a deadline on the whole answer and a cap on its size
 * ({@link BoundedHttp}); redirects are not followed while credentials are set (they would carry
 * the Authorization header to wherever the redirect points); credentials over plain http are
 * logged as a warning; an unknown schema id is remembered as missing for
 * {@link #UNKNOWN_ID_TTL}, so a flood of records with bad ids does not become a flood of calls.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    private static final Logger log = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a schema id the registry does not know is answered from memory. */
    static final Duration UNKNOWN_ID_TTL = Duration.ofSeconds(30);
    /** Bound on remembered unknown ids (a flood of random ids must not grow memory without end). */
    private static final int MAX_UNKNOWN_IDS = 10_000;
    /** Schemas and registry answers are kilobytes; anything this big is not a registry answer. */
    static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;
    private static final java.util.Set<String> WARNED_PLAIN_HTTP = ConcurrentHashMap.newKeySet();

    private final SchemaRegistrySettings settings;
    private final HttpClient http;
    private final LongSupplier nanoTime;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    /** Unknown schema id -> System.nanoTime() until which it is answered as unknown without a call. */
    private final Map<Integer, Long> unknownIdsUntil = new ConcurrentHashMap<>();

    public RestSchemaRegistryClient(SchemaRegistrySettings settings) {
        this(settings, System::nanoTime);
    }

    RestSchemaRegistryClient(SchemaRegistrySettings settings, LongSupplier nanoTime) {
        this.settings = settings;
        this.nanoTime = nanoTime;
        HttpClient.Builder builder = HttpClient.newBuilder();
        if (settings.sslContext() != null) {
            builder.sslContext(settings.sslContext());
        }
        this.http = builder
                .connectTimeout(settings.connectTimeout())
                // a redirect would carry the Authorization header to another place: never with credentials
                .followRedirects(settings.hasCredentials() ? HttpClient.Redirect.NEVER : HttpClient.Redirect.NORMAL)
                .build();
        // every serde makes a client: one warning per process and registry is enough
        credentialsOverPlainHttp(settings).filter(WARNED_PLAIN_HTTP::add).ifPresent(log::warn);
    }

    /** The warning for credentials sent over plain http (readable by anyone on the path), if any. */
    static Optional<String> credentialsOverPlainHttp(SchemaRegistrySettings settings) {
        if (!settings.hasCredentials()) {
            return Optional.empty();
        }
        return settings.urls().stream().filter(u -> u.getScheme().equals("http")).findFirst()
                .map(u -> "schema registry credentials are sent over plain http to " + u.getScheme() + "://" + u.getHost()
                        + (u.getPort() >= 0 ? ":" + u.getPort() : "") + ": anyone on the network path can read them; use https");
    }

    public static RestSchemaRegistryClient forUrl(String url) {
        return new RestSchemaRegistryClient(SchemaRegistrySettings.forUrl(url));
    }

    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer;
        try {
            answer = call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema), subject, -1);
        } catch (IncompatibleSchemaException e) {
            // Apicurio answers 409 "already exists" to the loser of two first registrations of a
            // subject at the same moment (two instances starting together): the schema is there now
            try {
                return lookup(subject, schema);
            } catch (SchemaRegistryException notThere) {
                throw e; // really incompatible
            }
        }
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException("registry answered registration of '" + subject + "' without an id: " + answer, 200, -1);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public int lookup(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("POST", "/subjects/" + encode(subject), schemaBody(schema), subject, -1);
        int id = answer.path("id").asInt(-1);
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema getById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        Long unknownUntil = unknownIdsUntil.get(id);
        if (unknownUntil != null) {
            if (nanoTime.getAsLong() - unknownUntil < 0) {
                throw new UnknownSchemaIdException(id, 404, 40403);
            }
            unknownIdsUntil.remove(id, unknownUntil);
        }
        JsonNode answer;
        try {
            answer = call("GET", "/schemas/ids/" + id, null, null, id);
        } catch (UnknownSchemaIdException e) {
            rememberUnknown(id);
            throw e;
        }
        Schema schema = parse(answer.path("schema").asText(null), "schema id " + id);
        Schema previous = schemasById.putIfAbsent(id, schema);
        return previous == null ? schema : previous;
    }

    private void rememberUnknown(int id) {
        long now = nanoTime.getAsLong();
        if (unknownIdsUntil.size() >= MAX_UNKNOWN_IDS) {
            unknownIdsUntil.values().removeIf(until -> now - until >= 0);
            if (unknownIdsUntil.size() >= MAX_UNKNOWN_IDS) {
                unknownIdsUntil.clear();
            }
        }
        unknownIdsUntil.put(id, now + UNKNOWN_ID_TTL.toNanos());
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null, subject, -1);
        int id = answer.path("id").asInt(-1);
        Schema schema = parse(answer.path("schema").asText(null), "subject " + subject);
        schemasById.putIfAbsent(id, schema);
        return new RegisteredSchema(subject, id, answer.path("version").asInt(-1), schema);
    }

    @Override
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        call("PUT", subject == null ? "/config" : "/config/" + encode(subject), body.toString(), subject, -1);
    }

    /** Compatibility level of a subject (or the global one when subject is null). */
    public String compatibility(String subject) {
        JsonNode answer = call("GET", subject == null ? "/config" : "/config/" + encode(subject), null, subject, -1);
        JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        return level == null ? null : level.asText();
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static Schema parse(String text, String what) {
        if (text == null) {
            throw new SchemaRegistryException("registry answer for " + what + " holds no schema", 200, -1);
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("registry holds a schema for " + what + " that is not valid Avro: " + e.getMessage(), 200, -1, e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * One REST call with retries. {@code subject} and {@code schemaId} only shape error messages.
     */
    private JsonNode call(String method, String path, String body, String subject, int schemaId) {
        int attempts = settings.retries() + 1;
        Duration backoff = settings.retryBackoff();
        Exception lastFailure = null;
        int lastStatus = -1;
        for (int attempt = 0; attempt < attempts; attempt++) {
            URI base = settings.urls().get(attempt % settings.urls().size());
            URI uri = URI.create(base + path);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(settings.requestTimeout())
                    .header("Accept", CONTENT_TYPE + ", application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            if (settings.authorizationHeader() != null) {
                request.header("Authorization", settings.authorizationHeader());
            }
            try {
                HttpResponse<byte[]> response = BoundedHttp.send(http, request.build(), settings.requestTimeout(),
                        MAX_ANSWER_BYTES, BoundedHttp.Overflow.FAIL);
                int status = response.statusCode();
                String text = new String(response.body(), StandardCharsets.UTF_8);
                if (status >= 200 && status < 300) {
                    return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
                }
                if (status >= 500 || status == 429) {
                    lastStatus = status;
                    lastFailure = new IOException("HTTP " + status + ": " + abbreviate(text));
                } else if (status >= 300 && status < 400 && settings.hasCredentials()) {
                    throw new SchemaRegistryException("schema registry answered HTTP " + status + " (a redirect) to " + method + " "
                            + path + "; redirects are not followed while credentials are set: configure the final URL in "
                            + SchemaRegistrySettings.URL, status, -1);
                } else {
                    throw clientError(status, text, method, path, subject, schemaId);
                }
            } catch (javax.net.ssl.SSLHandshakeException e) {
                throw new SchemaRegistryTlsException("TLS handshake with the schema registry at " + base + " failed: "
                        + tlsReason(e) + " (check " + SchemaRegistrySettings.SSL_TRUSTSTORE_LOCATION + " and the server's certificate)", e);
            } catch (IOException e) {
                lastFailure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryUnavailableException("interrupted while calling the schema registry", -1, e);
            }
            if (attempt + 1 < attempts) {
                log.debug("schema registry call {} {} failed ({}), retrying in {}", method, uri, lastFailure.getMessage(), backoff);
                sleep(backoff);
                backoff = min(backoff.multipliedBy(2), settings.retryBackoffMax());
            }
        }
        throw new SchemaRegistryUnavailableException("schema registry unreachable at " + settings.urls() + " after "
                + attempts + " attempt(s): " + (lastFailure == null ? "no answer" : describe(lastFailure)), lastStatus, lastFailure);
    }

    private static SchemaRegistryException clientError(int status, String body, String method, String path,
                                                       String subject, int schemaId) {
        int errorCode = -1;
        String message = abbreviate(body);
        try {
            JsonNode error = JSON.readTree(body == null ? "" : body);
            if (error != null && error.isObject()) {
                errorCode = error.path("error_code").asInt(-1);
                message = error.path("message").asText(message);
            }
        } catch (IOException ignored) {
            // not JSON: keep the raw text
        }
        if (status == 401 || status == 403) {
            return new SchemaRegistryAuthException("schema registry refused the request (HTTP " + status
                    + "): check basic.auth.user.info / bearer.auth.token", status, errorCode);
        }
        if (status == 409) {
            return new IncompatibleSchemaException(subject, message, status, errorCode);
        }
        if (status == 404 && schemaId >= 0) {
            return new UnknownSchemaIdException(schemaId, status, errorCode);
        }
        if (status == 404 && (errorCode == 40401 || errorCode == 40403 || errorCode == 40402 || errorCode <= 0)) {
            return new SchemaRegistryException("schema registry has no such schema for subject '" + subject + "': " + message,
                    status, errorCode);
        }
        if (status == 422) {
            return new SchemaRegistryException("schema registry rejected the schema as invalid: " + message, status, errorCode);
        }
        return new SchemaRegistryException("schema registry answered HTTP " + status + " to " + method + " " + path + ": " + message,
                status, errorCode);
    }

    /** The innermost message of a handshake failure: the reason (expired, untrusted issuer, wrong host) is there. */
    private static String tlsReason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? e.getMessage() : t.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void sleep(Duration base) {
        // full jitter: spread retries of many clients after a registry restart
        long millis = ThreadLocalRandom.current().nextLong(base.toMillis() / 2, base.toMillis() + 1);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryUnavailableException("interrupted while waiting to retry the schema registry", -1, e);
        }
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient{" + settings + "}";
    }
}
