package io.spendmonitor.streams.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendmonitor.streams.query.RecentAlerts;
import io.spendmonitor.streams.query.TeamQueries;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Access and response headers of the HTTP port, without Kafka (the query API answers 503: no Streams yet). */
class SpendHttpServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private SpendHttpServer server;

    private String start(SpendHttpServer.Access access) {
        server = new SpendHttpServer(() -> null, new TeamQueries(() -> null, 60_000, new RecentAlerts(10)),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 4096, routes -> { }, access);
        return "http://127.0.0.1:" + server.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsNamedWithNameParametersAreTheOnlyOnesRendered() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("llm.tokens", "team", "search", "type", "input").increment(1200);
        registry.counter("llm.api.cost.usd", "team", "search").increment(0.5);
        registry.gauge("spend.teams", 3);
        server = new SpendHttpServer(() -> null, new TeamQueries(() -> null, 60_000, new RecentAlerts(10)),
                registry, 4096, routes -> { }, new SpendHttpServer.Access(null, null, Set.of()));
        String base = "http://127.0.0.1:" + server.start("127.0.0.1", 0);

        String all = get(base + "/metrics", null).body();
        assertThat(all).contains("llm_tokens_total{", "llm_api_cost_usd_total{", "spend_teams ");

        String some = get(base + "/metrics?name[]=llm_tokens_total&name[]=spend_teams", null).body();
        assertThat(some).contains("llm_tokens_total{team=\"search\",type=\"input\"} 1200.0", "spend_teams 3.0")
                .doesNotContain("llm_api_cost_usd");

        StringBuilder tooMany = new StringBuilder(base + "/metrics?");
        for (int i = 0; i <= SpendHttpServer.MAX_METRIC_NAMES; i++) {
            tooMany.append("name[]=m").append(i).append('&');
        }
        HttpResponse<String> refused = get(tooMany.toString(), null);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("at most 100 name[]");
    }

    @Test
    void theApiNeedsTheApiTokenMetricsTheMetricsTokenAndHealthNothing() throws Exception {
        String base = start(new SpendHttpServer.Access(BearerToken.ofNullable("api-s3cret"), BearerToken.ofNullable("m3trics"), Set.of()));

        assertThat(get(base + "/api/teams", null).statusCode()).isEqualTo(401);
        assertThat(get(base + "/api/teams", null).headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(get(base + "/api/teams", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(get(base + "/api/teams", "Bearer m3trics").statusCode()).isEqualTo(401);
        assertThat(get(base + "/api/teams/search/cost?from=x&to=y", "Bearer api-s3cre").statusCode()).isEqualTo(401);
        assertThat(get(base + "/api/nothing-here", null).statusCode()).isEqualTo(401); // no probing of routes either
        // past the token: the app has no Streams yet, so a retryable 503
        assertThat(get(base + "/api/teams", "Bearer api-s3cret").statusCode()).isEqualTo(503);
        assertThat(get(base + "/api/alerts", "bearer  api-s3cret ").statusCode()).isEqualTo(503);

        assertThat(get(base + "/metrics", null).statusCode()).isEqualTo(401);
        assertThat(get(base + "/metrics", "Bearer api-s3cret").statusCode()).isEqualTo(401);
        assertThat(get(base + "/metrics", "Bearer m3trics").statusCode()).isEqualTo(200);

        assertThat(get(base + "/health/live", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/health", null).statusCode()).isEqualTo(503); // open, not ready
        // the page itself holds no data: it loads, then asks for the token
        assertThat(get(base + "/", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/app.js", null).statusCode()).isEqualTo(200);
    }

    @Test
    void noSpellingOfAProtectedPathGetsPastTheToken() throws Exception {
        String base = start(new SpendHttpServer.Access(BearerToken.ofNullable("api-s3cret"), BearerToken.ofNullable("m3trics"), Set.of()));

        for (String path : new String[] {"//api/teams", "/./api/teams", "/api//teams", "/api/teams/", "/api/teams;x=1",
                "/%61pi/teams", "/API/teams", "/api/teams%2F", "/x/../api/teams", "/metrics/", "//metrics", "/metrics;x",
                "/Metrics", "/%6detrics"}) {
            HttpResponse<String> r = get(base + path, null);
            // 401, or refused as ambiguous / not found: never the route itself (503 here, 200 for /metrics)
            assertThat(r.statusCode()).as(path + ": " + r.body()).isIn(400, 401, 404);
        }
    }

    @Test
    void withoutTokensEverythingIsOpenAsBefore() throws Exception {
        String base = start(SpendHttpServer.Access.open());

        assertThat(get(base + "/metrics", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/api/teams", null).statusCode()).isEqualTo(503);
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() throws Exception {
        String base = start(new SpendHttpServer.Access(BearerToken.ofNullable("api-s3cret"), null, Set.of()));

        for (String path : new String[] {"/", "/app.js", "/api/teams", "/health/live", "/no-such-page"}) {
            HttpResponse<String> r = get(base + path, null);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path)
                    .hasValueSatisfying(csp -> assertThat(csp).contains("frame-ancestors 'none'").contains("script-src 'self'")
                            .contains("connect-src 'self'").doesNotContain("unsafe"));
        }
    }

    @Test
    void errorBodiesCarryNoExceptionText() throws Exception {
        String base = start(SpendHttpServer.Access.open());

        HttpResponse<String> badMinutes = get(base + "/api/timeline?minutes=12abc", null);
        HttpResponse<String> notRunning = get(base + "/api/teams", null);

        assertThat(badMinutes.statusCode()).isEqualTo(400);
        assertThat(badMinutes.body()).contains("'minutes' must be 1..1440").doesNotContain("NumberFormat").doesNotContain("For input");
        assertThat(notRunning.body()).doesNotContain("Exception");
    }

    @Test
    void theLivePageAsksForTheApiTokenWhenTheApiWantsOne() throws Exception {
        java.nio.file.Path chromium = java.nio.file.Path.of("/usr/bin/chromium");
        assertThat(chromium).as("Debian's chromium (apt-get install chromium); .ci/run installs it").exists();
        String base = start(new SpendHttpServer.Access(BearerToken.ofNullable("api-s3cret"), null, Set.of()));
        java.nio.file.Path profile = java.nio.file.Files.createTempDirectory("chromium-profile");
        Process process = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile, "--dump-dom",
                "--virtual-time-budget=5000", base + "/").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        assertThat(dom).contains("this app needs its API token");
        java.util.regex.Matcher form = java.util.regex.Pattern.compile("<form id=\"token-form\"[^>]*>").matcher(dom);
        assertThat(form.find()).isTrue();
        assertThat(form.group()).doesNotContain("hidden");
    }

    @Test
    void theBreakEvenHistoryIsBoundedAndTheTeamPageIsServedForAnyTeamPath() throws Exception {
        String base = start(new SpendHttpServer.Access(BearerToken.ofNullable("api-s3cret"), null, Set.of()));

        for (String minutes : new String[] {"0", "1441", "-5", "abc", "99999999999"}) {
            HttpResponse<String> r = get(base + "/api/teams/search/breakeven?minutes=" + minutes, "Bearer api-s3cret");
            assertThat(r.statusCode()).as(minutes).isEqualTo(400);
            assertThat(r.body()).contains("'minutes' must be 1..1440");
        }
        assertThat(get(base + "/api/teams/search/breakeven?minutes=60", null).statusCode()).isEqualTo(401);
        assertThat(get(base + "/api/teams/search/alerts", null).statusCode()).isEqualTo(401);
        // past the token, without Streams: retryable
        assertThat(get(base + "/api/teams/search/breakeven", "Bearer api-s3cret").statusCode()).isEqualTo(503);
        assertThat(get(base + "/api/teams/search/alerts", "Bearer api-s3cret").statusCode()).isEqualTo(503);

        // the team page holds no data: open, with the same headers as the overview
        HttpResponse<String> page = get(base + "/teams/search%20team", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(SpendHttpServer.CONTENT_SECURITY_POLICY);
        assertThat(page.body()).contains("/team.js").doesNotContain("<script>").doesNotContain("style=");
        assertThat(get(base + "/team.js", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/charts.js", null).statusCode()).isEqualTo(200);
    }

    @Test
    void bothPagesShowAnErrorStateWhenTheAppCannotAnswerAndThrowNothing() throws Exception {
        String base = start(SpendHttpServer.Access.open()); // no Streams: every /api answer is a 503

        for (String page : new String[] {"/", "/teams/search"}) {
            String dom = dumpDom(base + page);
            assertThat(dom).as(page).contains("data-state=\"error\"").contains("the app is starting or rebalancing")
                    .doesNotContain("data-errors");
            java.util.regex.Matcher banner = java.util.regex.Pattern.compile("<div id=\"banner\"[^>]*>").matcher(dom);
            assertThat(banner.find()).isTrue();
            assertThat(banner.group()).as(page).doesNotContain("hidden");
        }
    }

    private static String dumpDom(String url) throws Exception {
        java.nio.file.Path profile = java.nio.file.Files.createTempDirectory("chromium-profile");
        Process process = new ProcessBuilder("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile, "--dump-dom",
                "--virtual-time-budget=3000", url).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return dom;
    }

    @Test
    void peersAreHostPortPairs() {
        assertThat(SpendHttpServer.Access.parsePeers(" a.example:8080, 10.0.0.2:9000 ,")).containsExactlyInAnyOrder("a.example:8080", "10.0.0.2:9000");
        assertThat(SpendHttpServer.Access.parsePeers(null)).isEmpty();
        assertThatThrownBy(() -> SpendHttpServer.Access.parsePeers("a.example")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> SpendHttpServer.Access.parsePeers("a.example:http")).hasMessageContaining("host:port");
    }

    @Test
    void aTokenNeverShowsInToString() {
        assertThat(BearerToken.ofNullable("s3cret-value").toString()).doesNotContain("s3cret");
        assertThat(BearerToken.ofNullable("  ")).isNull();
    }
}
