package io.spendmonitor.streams.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.javalin.router.JavalinDefaultRoutingApi;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendmonitor.streams.query.ServiceUnavailableException;
import io.spendmonitor.streams.query.TeamQueries;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
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
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One HTTP port for everything: /metrics, /health, the query API and the live page. Any instance
 * answers for every team: it answers from its own stores or asks the instance that owns the team
 * ({@code scope=local} marks a forwarded request, which is never forwarded again). While stores
 * move, answers are a retryable 503 with Retry-After, never a 500.
 */
public final class SpendHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpendHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String LOCAL = "local";

    private final Javalin app;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Supplier<KafkaStreams> streams;
    private final TeamQueries queries;
    private final PrometheusMeterRegistry metrics;
    private volatile HostInfo self;

    /**
     * @param extraRoutes more routes on the same port (HTTP ingest)
     * @param maxRequestBytes largest request body accepted (413 above it)
     */
    public SpendHttpServer(Supplier<KafkaStreams> streams, TeamQueries queries, PrometheusMeterRegistry metrics,
                           long maxRequestBytes, Consumer<JavalinDefaultRoutingApi> extraRoutes) {
        this.streams = streams;
        this.queries = queries;
        this.metrics = metrics;
        // Javalin 7: routes and handlers are configured up front, before the server starts
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            // Javalin 7 enforces this while reading, so a chunked body without Content-Length is cut off too
            config.http.maxRequestSize = maxRequestBytes;
            config.staticFiles.add("/public", Location.CLASSPATH);
            config.staticFiles.enableWebjars();
            config.jsonMapper(new JavalinJackson(JSON, false));
            RoutesConfig routes = config.routes;
            routes.get("/metrics", this::metrics);
            routes.get("/health", ctx -> health(ctx, true));
            routes.get("/health/ready", ctx -> health(ctx, true));
            routes.get("/health/live", ctx -> health(ctx, false));
            routes.get("/api/teams", this::teams);
            routes.get("/api/teams/{team}", this::team);
            routes.get("/api/teams/{team}/cost", this::cost);
            routes.get("/api/alerts", this::alerts);
            routes.get("/api/timeline", this::timeline);
            extraRoutes.accept(routes);
            routes.exception(ServiceUnavailableException.class, (e, ctx) ->
                    ctx.status(503).header("Retry-After", "1").json(error(e.getMessage())));
            routes.exception(IllegalArgumentException.class, (e, ctx) -> ctx.status(400).json(error(e.getMessage())));
            routes.exception(Exception.class, (e, ctx) -> {
                log.error("request {} {} failed", ctx.method(), ctx.path(), e);
                ctx.status(500).json(error("internal error; see the server log"));
            });
        });
    }

    /** Starts serving; returns the port (useful with port 0). */
    public int start(String host, int port) {
        app.start(host, port);
        return app.port();
    }

    /** The address other instances reach this one at (application.server). */
    public void advertise(HostInfo self) {
        this.self = self;
    }

    public int port() {
        return app.port();
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message == null ? "error" : message);
    }

    private void metrics(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    private void health(Context ctx, boolean readiness) {
        KafkaStreams ks = streams.get();
        KafkaStreams.State state = ks == null ? null : ks.state();
        boolean alive = state == null || (state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_ERROR);
        boolean ready = state == KafkaStreams.State.RUNNING;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", (readiness ? ready : alive) ? "UP" : "DOWN");
        body.put("live", alive);
        body.put("ready", ready);
        body.put("streams_state", state == null ? "STARTING" : state.name());
        ctx.status((readiness ? ready : alive) ? 200 : 503).json(body);
    }

    private boolean forwarded(Context ctx) {
        return LOCAL.equals(ctx.queryParam("scope"));
    }

    private void teams(Context ctx) {
        List<Map<String, Object>> teams = new ArrayList<>(queries.localTeams());
        if (!forwarded(ctx)) {
            for (HostInfo host : queries.otherHosts(self)) {
                JsonNode remote = get(host, "/api/teams?scope=local");
                remote.path("teams").forEach(t -> teams.add(JSON.convertValue(t, Map.class)));
            }
        }
        teams.sort((a, b) -> String.valueOf(a.get("team")).compareTo(String.valueOf(b.get("team"))));
        ctx.json(Map.of("teams", teams));
    }

    private void team(Context ctx) {
        String team = ctx.pathParam("team");
        Optional<HostInfo> owner = forwarded(ctx) ? Optional.empty() : queries.ownerOf(team, self);
        if (owner.isPresent()) {
            relay(ctx, owner.get(), "/api/teams/" + encode(team) + "?scope=local");
            return;
        }
        Optional<Map<String, Object>> answer = queries.localTeam(team);
        if (answer.isEmpty()) {
            ctx.status(404).json(error("no data for team '" + team + "'"));
        } else {
            ctx.json(answer.get());
        }
    }

    private void cost(Context ctx) {
        String team = ctx.pathParam("team");
        Instant from = instant(ctx, "from");
        Instant to = instant(ctx, "to");
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("'from' must be before 'to'");
        }
        Optional<HostInfo> owner = forwarded(ctx) ? Optional.empty() : queries.ownerOf(team, self);
        if (owner.isPresent()) {
            relay(ctx, owner.get(), "/api/teams/" + encode(team) + "/cost?scope=local&from=" + encode(from.toString())
                    + "&to=" + encode(to.toString()));
            return;
        }
        ctx.json(queries.localCost(team, from, to));
    }

    private void alerts(Context ctx) {
        Map<String, Object> local = queries.localAlerts();
        List<Object> active = new ArrayList<>((List<?>) local.get("active"));
        List<Object> recent = new ArrayList<>((List<?>) local.get("recent"));
        if (!forwarded(ctx)) {
            for (HostInfo host : queries.otherHosts(self)) {
                JsonNode remote = get(host, "/api/alerts?scope=local");
                remote.path("active").forEach(a -> active.add(JSON.convertValue(a, Map.class)));
                remote.path("recent").forEach(a -> recent.add(JSON.convertValue(a, Map.class)));
            }
        }
        recent.sort((a, b) -> String.valueOf(((Map<?, ?>) b).get("window_end")).compareTo(String.valueOf(((Map<?, ?>) a).get("window_end"))));
        ctx.json(Map.of("active", active, "recent", recent));
    }

    private void timeline(Context ctx) {
        int minutes = Integer.parseInt(Optional.ofNullable(ctx.queryParam("minutes")).orElse("60"));
        if (minutes < 1 || minutes > 24 * 60) {
            throw new IllegalArgumentException("'minutes' must be 1..1440");
        }
        List<Map<String, Object>> points = new ArrayList<>(queries.localTimeline(minutes));
        if (!forwarded(ctx)) {
            for (HostInfo host : queries.otherHosts(self)) {
                get(host, "/api/timeline?scope=local&minutes=" + minutes).path("points")
                        .forEach(p -> points.add(JSON.convertValue(p, Map.class)));
            }
        }
        ctx.json(Map.of("points", points));
    }

    private static Instant instant(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null) {
            throw new IllegalArgumentException("missing query parameter '" + name + "' (ISO-8601, e.g. 2026-11-27T10:00:00Z)");
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not an ISO-8601 instant: '" + value + "'");
        }
    }

    private void relay(Context ctx, HostInfo host, String path) {
        HttpResponse<String> response = send(host, path);
        ctx.status(response.statusCode()).contentType("application/json").result(response.body());
        response.headers().firstValue("Retry-After").ifPresent(v -> ctx.header("Retry-After", v));
    }

    private JsonNode get(HostInfo host, String path) {
        HttpResponse<String> response = send(host, path);
        if (response.statusCode() != 200) {
            throw new ServiceUnavailableException("instance " + host.host() + ":" + host.port() + " answered "
                    + response.statusCode() + "; retry shortly");
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new ServiceUnavailableException("instance " + host.host() + ":" + host.port() + " answered garbage", e);
        }
    }

    private HttpResponse<String> send(HostInfo host, String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                    .timeout(Duration.ofSeconds(5)).GET().build();
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ServiceUnavailableException("instance " + host.host() + ":" + host.port() + " is unreachable; retry shortly", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableException("interrupted", e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void close() {
        app.stop();
    }
}
