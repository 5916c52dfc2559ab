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
import io.spendmonitor.streams.query.ApiAnswers;
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
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One HTTP port for everything: /metrics, /health, the query API and the live page. Any instance
 * answers for every team: it answers from its own stores or asks the instance that owns the team
 * ({@code scope=local} marks a forwarded request, which is never forwarded again). While stores
 * move, answers are a retryable 503 with Retry-After, never a 500. A fan-out over the instances
 * that misses one answers with the rest, flagged {@code "partial": true}.
 *
 * <p>Access: {@code /api/*} needs the API token and {@code /metrics} the metrics token when they
 * are configured; {@code /health/*} and the page's static files (no data in them) stay open.
 * Error bodies never name another instance's address or carry exception text: that goes to the log.
 */
public final class SpendHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpendHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    static final String LOCAL = "local";
    /** Comma-separated host:port list of the instances queries may be forwarded to; empty or unset: any group member. */
    public static final String QUERY_PEERS = "spend.query.peers";

    /**
     * What the live page needs and nothing more: its own scripts, styles and API (its charts set
     * colours and widths through the CSSOM, which style-src does not restrict), never framed.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /**
     * @param apiToken     required on /api/* (and sent on forwarded queries); null: open
     * @param metricsToken required on /metrics; null: open
     * @param peers        the only host:port pairs queries are forwarded to; empty: any instance of the group
     */
    public record Access(BearerToken apiToken, BearerToken metricsToken, Set<String> peers) {
        public Access {
            peers = Set.copyOf(peers);
        }

        public static Access open() {
            return new Access(null, null, Set.of());
        }

        /** Parses {@link #QUERY_PEERS}: "host:port,host:port". */
        public static Set<String> parsePeers(Object value) {
            if (value == null || value.toString().isBlank()) {
                return Set.of();
            }
            Set<String> peers = new java.util.LinkedHashSet<>();
            for (String peer : value.toString().split(",")) {
                String p = peer.strip();
                if (p.isEmpty()) {
                    continue;
                }
                int colon = p.lastIndexOf(':');
                if (colon <= 0 || colon == p.length() - 1 || !p.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException(QUERY_PEERS + ": '" + p + "' is not host:port");
                }
                peers.add(p.toLowerCase(java.util.Locale.ROOT));
            }
            return Set.copyOf(peers);
        }

        boolean allows(HostInfo host) {
            return peers.isEmpty() || peers.contains((host.host() + ":" + host.port()).toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final Javalin app;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Supplier<KafkaStreams> streams;
    private final TeamQueries queries;
    private final PrometheusMeterRegistry metrics;
    private final Access access;
    private volatile HostInfo self;

    /**
     * @param extraRoutes more routes on the same port (HTTP ingest)
     * @param maxRequestBytes largest request body accepted (413 above it)
     */
    public SpendHttpServer(Supplier<KafkaStreams> streams, TeamQueries queries, PrometheusMeterRegistry metrics,
                           long maxRequestBytes, Consumer<JavalinDefaultRoutingApi> extraRoutes, Access access) {
        this.streams = streams;
        this.queries = queries;
        this.metrics = metrics;
        this.access = access;
        // Javalin 7: routes and handlers are configured up front, before the server starts
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            // Javalin 7 enforces this while reading, so a chunked body without Content-Length is cut off too
            config.http.maxRequestSize = maxRequestBytes;
            config.staticFiles.add("/public", Location.CLASSPATH);
            config.staticFiles.enableWebjars();
            config.jsonMapper(new JavalinJackson(JSON, false));
            RoutesConfig routes = config.routes;
            routes.before(this::guard);
            // the token is checked again by the route itself: whatever path spelling the router matched
            routes.get("/metrics", guarded(access.metricsToken(), METRICS_TOKEN_NEEDED, this::metrics));
            routes.get("/health", ctx -> health(ctx, true));
            routes.get("/health/ready", ctx -> health(ctx, true));
            routes.get("/health/live", ctx -> health(ctx, false));
            routes.get("/api/teams", guarded(access.apiToken(), API_TOKEN_NEEDED, this::teams));
            routes.get("/api/teams/{team}", guarded(access.apiToken(), API_TOKEN_NEEDED, this::team));
            routes.get("/api/teams/{team}/cost", guarded(access.apiToken(), API_TOKEN_NEEDED, this::cost));
            routes.get("/api/teams/{team}/breakeven", guarded(access.apiToken(), API_TOKEN_NEEDED, this::breakEven));
            routes.get("/api/teams/{team}/alerts", guarded(access.apiToken(), API_TOKEN_NEEDED, this::teamAlerts));
            routes.get("/api/alerts", guarded(access.apiToken(), API_TOKEN_NEEDED, this::alerts));
            // the team page: the same static page files, its path names the team
            routes.get("/teams/{team}", this::teamPage);
            routes.get("/api/timeline", guarded(access.apiToken(), API_TOKEN_NEEDED, this::timeline));
            extraRoutes.accept(routes);
            routes.exception(ServiceUnavailableException.class, (e, ctx) -> {
                log.debug("{} {}: 503", ctx.method(), ctx.path(), e);
                ctx.status(503).header("Retry-After", "1").json(error(e.getMessage()));
            });
            routes.exception(BadRequestException.class, (e, ctx) -> ctx.status(400).json(error(e.getMessage())));
            routes.exception(IllegalArgumentException.class, (e, ctx) -> {
                log.debug("{} {}: 400", ctx.method(), ctx.path(), e);
                ctx.status(400).json(error("bad request"));
            });
            routes.exception(Exception.class, (e, ctx) -> {
                log.error("request {} {} failed", ctx.method(), ctx.path(), e);
                ctx.status(500).json(error("internal error; see the server log"));
            });
        });
    }

    /** A 400 whose message is ours and safe to show. */
    static final class BadRequestException extends RuntimeException {
        BadRequestException(String message) {
            super(message);
        }
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

    /** Security headers on every answer (static files included), then the tokens. */
    private void guard(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        String path = ctx.path();
        if (path.equals("/metrics") || path.startsWith("/metrics/")) {
            if (!allowed(ctx, access.metricsToken(), METRICS_TOKEN_NEEDED)) {
                ctx.skipRemainingHandlers();
            }
        } else if (path.equals("/api") || path.startsWith("/api/")) {
            if (!allowed(ctx, access.apiToken(), API_TOKEN_NEEDED)) {
                ctx.skipRemainingHandlers(); // unknown /api paths too: no probing for routes without the token
            }
        }
    }

    private static final String METRICS_TOKEN_NEEDED = "/metrics needs the metrics token (Authorization: Bearer <token>)";
    private static final String API_TOKEN_NEEDED = "/api needs the API token (Authorization: Bearer <token>)";

    /** Answers 401 and returns false unless the request carries {@code token} (or none is required). */
    private static boolean allowed(Context ctx, BearerToken token, String message) {
        if (token == null || token.matches(ctx.header("Authorization"))) {
            return true;
        }
        ctx.status(401).header("WWW-Authenticate", "Bearer realm=\"spend-monitor\"").json(error(message));
        return false;
    }

    private static io.javalin.http.Handler guarded(BearerToken token, String message, io.javalin.http.Handler handler) {
        return ctx -> {
            if (allowed(ctx, token, message)) {
                handler.handle(ctx);
            }
        };
    }

    /** The most {@code name[]} parameters one scrape may give. */
    static final int MAX_METRIC_NAMES = 100;

    /**
     * The Prometheus text format. {@code ?name[]=llm_tokens_total&name[]=...} (the Prometheus Java
     * client's convention, usable from a scrape config's {@code params}) renders only those series:
     * a full scrape of thousands of teams takes the app ~0.1 s, which a client polling a few series
     * every 100 ms (bench) should not cost it.
     */
    private void metrics(Context ctx) {
        List<String> names = ctx.queryParams("name[]");
        if (names.size() > MAX_METRIC_NAMES) {
            ctx.status(400).json(Map.of("error", "at most " + MAX_METRIC_NAMES + " name[] parameters"));
            return;
        }
        String format = "text/plain; version=0.0.4; charset=utf-8";
        ctx.contentType(format).result(names.isEmpty() ? metrics.scrape() : metrics.scrape(format, families(names)));
    }

    /**
     * The metric families to render for series names as they appear in the text: a counter's series
     * {@code llm_tokens_total} belongs to the family {@code llm_tokens} (so do a summary's {@code _count}
     * and {@code _sum}, a histogram's {@code _bucket}); a name is kept as given too.
     */
    static Set<String> families(List<String> names) {
        Set<String> families = new java.util.HashSet<>();
        for (String name : names) {
            families.add(name);
            for (String suffix : List.of("_total", "_count", "_sum", "_bucket", "_info")) {
                if (name.endsWith(suffix) && name.length() > suffix.length()) {
                    families.add(name.substring(0, name.length() - suffix.length()));
                }
            }
        }
        return families;
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
        List<ApiAnswers.TeamLine> teams = new ArrayList<>(queries.localTeams());
        boolean complete = fanOut(ctx, "/api/teams?scope=local", ApiAnswers.TeamList.class, remote -> teams.addAll(remote.teams()));
        teams.sort(java.util.Comparator.comparing(ApiAnswers.TeamLine::team));
        ctx.json(new ApiAnswers.TeamList(teams, !complete));
    }

    private void team(Context ctx) {
        String team = ctx.pathParam("team");
        Optional<HostInfo> owner = forwarded(ctx) ? Optional.empty() : queries.ownerOf(team, self);
        if (owner.isPresent()) {
            relay(ctx, owner.get(), "/api/teams/" + encode(team) + "?scope=local");
            return;
        }
        Optional<ApiAnswers.TeamDetail> answer = queries.localTeam(team);
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
            throw new BadRequestException("'from' must be before 'to'");
        }
        String by = ctx.queryParam("by");
        if (by != null && (by.isEmpty() || by.length() > 64 || !by.matches("[A-Za-z0-9_.-]+"))) {
            throw new BadRequestException("'by' must name a label key (letters, digits, '_', '.', '-'; at most 64)");
        }
        Optional<HostInfo> owner = forwarded(ctx) ? Optional.empty() : queries.ownerOf(team, self);
        if (owner.isPresent()) {
            relay(ctx, owner.get(), "/api/teams/" + encode(team) + "/cost?scope=local&from=" + encode(from.toString())
                    + "&to=" + encode(to.toString()) + (by == null ? "" : "&by=" + encode(by)));
            return;
        }
        ctx.json(queries.localCost(team, from, to, by));
    }

    /** Evaluated minutes a break-even history answer may span (the store keeps spend.breakeven.history). */
    static final int MAX_BREAKEVEN_MINUTES = 24 * 60;

    private void breakEven(Context ctx) {
        String team = ctx.pathParam("team");
        int minutes = minutes(ctx, 60, MAX_BREAKEVEN_MINUTES);
        Optional<HostInfo> owner = forwarded(ctx) ? Optional.empty() : queries.ownerOf(team, self);
        if (owner.isPresent()) {
            relay(ctx, owner.get(), "/api/teams/" + encode(team) + "/breakeven?scope=local&minutes=" + minutes);
            return;
        }
        ctx.json(queries.localBreakEven(team, minutes));
    }

    /**
     * The team's alerts: what fires now (from the instance that owns the team) and the transitions
     * every instance emitted for it while running (each keeps its last few hundred), newest first.
     */
    private void teamAlerts(Context ctx) {
        String team = ctx.pathParam("team");
        ApiAnswers.TeamAlerts local = queries.localTeamAlerts(team);
        List<ApiAnswers.ActiveAlert> active = new ArrayList<>(local.active());
        List<ApiAnswers.RecentAlert> recent = new ArrayList<>(local.recent());
        boolean complete = fanOut(ctx, "/api/teams/" + encode(team) + "/alerts?scope=local", ApiAnswers.TeamAlerts.class, remote -> {
            active.addAll(remote.active());
            recent.addAll(remote.recent());
        });
        recent.sort(java.util.Comparator.comparing(ApiAnswers.RecentAlert::windowEnd).reversed());
        ctx.json(new ApiAnswers.TeamAlerts(team, active, recent, !complete));
    }

    private void teamPage(Context ctx) throws IOException {
        try (java.io.InputStream page = SpendHttpServer.class.getResourceAsStream("/public/team.html")) {
            if (page == null) {
                ctx.status(404);
                return;
            }
            ctx.contentType("text/html; charset=utf-8").result(page.readAllBytes());
        }
    }

    private static int minutes(Context ctx, int defaultMinutes, int max) {
        String value = Optional.ofNullable(ctx.queryParam("minutes")).orElse(String.valueOf(defaultMinutes));
        int minutes = value.matches("\\d{1,5}") ? Integer.parseInt(value) : -1;
        if (minutes < 1 || minutes > max) {
            throw new BadRequestException("'minutes' must be 1.." + max);
        }
        return minutes;
    }

    private void alerts(Context ctx) {
        ApiAnswers.Alerts local = queries.localAlerts();
        List<ApiAnswers.ActiveAlert> active = new ArrayList<>(local.active());
        List<ApiAnswers.RecentAlert> recent = new ArrayList<>(local.recent());
        boolean complete = fanOut(ctx, "/api/alerts?scope=local", ApiAnswers.Alerts.class, remote -> {
            active.addAll(remote.active());
            recent.addAll(remote.recent());
        });
        recent.sort(java.util.Comparator.comparing(ApiAnswers.RecentAlert::windowEnd).reversed());
        ctx.json(new ApiAnswers.Alerts(active, recent, !complete));
    }

    private void timeline(Context ctx) {
        int minutes = minutes(ctx, 60, 24 * 60);
        List<ApiAnswers.TimelinePoint> points = new ArrayList<>(queries.localTimeline(minutes));
        boolean complete = fanOut(ctx, "/api/timeline?scope=local&minutes=" + minutes, ApiAnswers.Timeline.class,
                remote -> points.addAll(remote.points()));
        ctx.json(new ApiAnswers.Timeline(points, !complete));
    }

    /**
     * Asks every other instance (not for a forwarded request); one that cannot answer, or is not an
     * allowed peer, is left out. @return whether every instance answered
     */
    private <T> boolean fanOut(Context ctx, String path, Class<T> answer, Consumer<T> merge) {
        if (forwarded(ctx)) {
            return true;
        }
        boolean complete = true;
        for (HostInfo host : queries.otherHosts(self)) {
            try {
                merge.accept(read(get(host, path), answer, host, path));
            } catch (ServiceUnavailableException e) {
                log.warn("fan-out {}: leaving out instance {}:{} ({})", ctx.path(), host.host(), host.port(), e.getMessage());
                complete = false;
            }
        }
        return complete;
    }

    private static Instant instant(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null) {
            throw new BadRequestException("missing query parameter '" + name + "' (ISO-8601, e.g. 2026-11-27T10:00:00Z)");
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new BadRequestException("'" + name + "' is not an ISO-8601 instant");
        }
    }

    private void relay(Context ctx, HostInfo host, String path) {
        HttpResponse<byte[]> response = send(host, path);
        int status = response.statusCode();
        if (status == 401 || status == 403 || status >= 500 && status != 503) {
            log.warn("instance {}:{} answered {} to a forwarded {}", host.host(), host.port(), status, ctx.path());
            throw new ServiceUnavailableException(status == 503 ? "the instance that owns this team cannot answer yet; retry shortly"
                    : "the instance that owns this team refused or failed the forwarded query (do all instances share --api-token?)");
        }
        ctx.status(status).contentType("application/json").result(response.body());
        response.headers().firstValue("Retry-After").ifPresent(v -> ctx.header("Retry-After", v));
    }

    /** Another instance's answer as the shared type; one that does not fit is left out like a dead instance. */
    private <T> T read(JsonNode body, Class<T> type, HostInfo host, String path) {
        try {
            return JSON.treeToValue(body, type);
        } catch (IOException | IllegalArgumentException e) {
            log.warn("instance {}:{} answered {} with a body of another shape", host.host(), host.port(), path, e);
            throw new ServiceUnavailableException("another instance answered in another shape (a different version?); retry shortly", e);
        }
    }

    private JsonNode get(HostInfo host, String path) {
        HttpResponse<byte[]> response = send(host, path);
        if (response.statusCode() != 200) {
            log.warn("instance {}:{} answered {} to {}", host.host(), host.port(), response.statusCode(), path);
            throw new ServiceUnavailableException("another instance answered " + response.statusCode() + "; retry shortly");
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            log.warn("instance {}:{} answered unreadable JSON to {}", host.host(), host.port(), path, e);
            throw new ServiceUnavailableException("another instance answered garbage; retry shortly", e);
        }
    }

    /** A query to another instance, with the API token; only to allowed peers. */
    /** Another instance's answer is read whole within the deadline and up to this many bytes. */
    private static final int MAX_FORWARDED_ANSWER_BYTES = 32 * 1024 * 1024;
    private static final Duration FORWARD_DEADLINE = Duration.ofSeconds(5);

    private HttpResponse<byte[]> send(HostInfo host, String path) {
        if (!access.allows(host)) {
            log.warn("instance {}:{} is not in {}; not forwarding {}", host.host(), host.port(), QUERY_PEERS, path);
            throw new ServiceUnavailableException("the instance that holds this data is not an allowed peer (" + QUERY_PEERS + ")");
        }
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                    .timeout(FORWARD_DEADLINE).GET();
            if (access.apiToken() != null) {
                request.header("Authorization", access.apiToken().authorizationHeader());
            }
            // the deadline covers the body too, and the body is capped: a stalled or flooding peer costs 5 s, not a thread
            return io.spendmonitor.schemas.http.BoundedHttp.send(client, request.build(), FORWARD_DEADLINE,
                    MAX_FORWARDED_ANSWER_BYTES, io.spendmonitor.schemas.http.BoundedHttp.Overflow.FAIL);
        } catch (IOException | IllegalArgumentException e) {
            log.warn("instance {}:{} is unreachable ({})", host.host(), host.port(), e.toString());
            throw new ServiceUnavailableException("another instance is unreachable; retry shortly", e);
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
