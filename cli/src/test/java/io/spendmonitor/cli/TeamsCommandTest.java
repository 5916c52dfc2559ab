package io.spendmonitor.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code spend-monitor teams} against a tiny HTTP server with canned /api/teams and /api/alerts answers. */
class TeamsCommandTest {
    static final String TEAMS = """
            {"teams":[
             {"team":"analytics","api_usd_per_hour":"1.940000000","gpu_usd_per_hour":"0","idle_gpus":0.0,
              "break_even":{"profile":"llama-3.1-70b","gpu_model":"H200-141GB","mode":"API","api_model":"openai/gpt-4o",
                "minutes":60,"replicas":1,"gpus":1,"actual_usd":"1.940000000","counterfactual_usd":"3.750000000",
                "ratio":0.5173,"savings_usd_per_hour":"-1.810000000"},
              "alerts":[],"last_window_end":"2026-03-02T10:40:00Z"},
             {"team":"research","api_usd_per_hour":"0","gpu_usd_per_hour":"5.980000000","idle_gpus":1.876,
              "break_even":{"profile":"llama-3.1-70b","gpu_model":"H100-80GB","mode":"SELF_HOSTED","api_model":"openai/gpt-4o",
                "minutes":60,"actual_usd":"5.980000000","counterfactual_usd":"1.575000000","ratio":3.7968,
                "savings_usd_per_hour":"4.405000000"},
              "alerts":[{"team":"research","type":"SELF_HOSTING_DEARER","subject":"llama-3.1-70b on H100-80GB","state":"FIRING",
                "since":"2026-03-02T09:05:00Z"}],
              "last_window_end":"2026-03-02T10:40:00Z"},
             {"team":"search","api_usd_per_hour":"4.725000000","gpu_usd_per_hour":"0","idle_gpus":0.0,
              "break_even":{"profile":"llama-3.1-8b","gpu_model":"H100-80GB","mode":"API","api_model":"openai/gpt-4o-mini",
                "minutes":60,"replicas":1,"gpus":1,"actual_usd":"4.725000000","counterfactual_usd":"3.190000000",
                "ratio":1.4812,"savings_usd_per_hour":"1.535000000"},
              "alerts":[{"team":"search","type":"SELF_HOSTING_CHEAPER","subject":"llama-3.1-8b on H100-80GB","state":"FIRING",
                "since":"2026-03-02T09:13:00Z"}],
              "last_window_end":"2026-03-02T10:41:00Z"},
             {"team":"support","api_usd_per_hour":"8.804000000","gpu_usd_per_hour":"0","idle_gpus":0.0,"break_even":null,
              "alerts":[],"last_window_end":"2026-03-02T10:40:00Z"}
            ]}""";
    static final String ALERTS = """
            {"active":[
              {"team":"research","type":"SELF_HOSTING_DEARER","subject":"llama-3.1-70b on H100-80GB","state":"FIRING","since":"2026-03-02T09:05:00Z"},
              {"team":"research","type":"IDLE_CAPACITY","subject":"research-llama70b","state":"FIRING","since":"2026-03-02T09:15:00Z"},
              {"team":"search","type":"SELF_HOSTING_CHEAPER","subject":"llama-3.1-8b on H100-80GB","state":"FIRING","since":"2026-03-02T09:13:00Z"}],
             "recent":[
              {"alert_id":"a1","team":"research","type":"SELF_HOSTING_DEARER","subject":"llama-3.1-70b on H100-80GB","state":"FIRING",
               "window_end":"2026-03-02T09:05:00Z","summary":"research would save $4.41/h moving llama-3.1-70b to openai/gpt-4o (self-hosting costs 3.80x the API price)"},
              {"alert_id":"a3","team":"research","type":"IDLE_CAPACITY","subject":"research-llama70b","state":"FIRING",
               "window_end":"2026-03-02T09:15:00Z","summary":"research's deployment research-llama70b is idle: 6% GPU utilization for 15 min, $5.62/h of idle GPUs"},
              {"alert_id":"a2","team":"search","type":"SELF_HOSTING_CHEAPER","subject":"llama-3.1-8b on H100-80GB","state":"FIRING",
               "window_end":"2026-03-02T09:13:00Z","summary":"search would save $1.36/h self-hosting llama-3.1-8b on 1x H100-80GB (API spend is 1.43x the self-hosted cost)"}]}""";

    private HttpServer server;
    private final AtomicInteger teamsRequests = new AtomicInteger();
    /** Requests to /api/teams answered 503 before the canned answer. */
    private volatile int unavailableFirst;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/teams", exchange -> {
            boolean unavailable = teamsRequests.incrementAndGet() <= unavailableFirst;
            respond(exchange, unavailable ? 503 : 200, unavailable
                    ? "{\"error\":\"the application is rebalancing; retry shortly\"}" : TEAMS);
        });
        server.createContext("/api/alerts", exchange -> respond(exchange, 200, ALERTS));
        server.start();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void oncePrintsTheTableMostExpensiveFirstWithTotalsAndTheLatestAlerts() {
        CliRun run = CliRun.of("teams", "--url", url() + "/", "--once");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        String[] lines = run.out().split("\n");
        assertThat(lines[0]).matches("spend-monitor teams  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC  "
                + "total \\$21\\.45/h \\(API \\$15\\.47/h, GPU \\$5\\.98/h\\)  4 teams, 3 alerts firing");
        assertThat(lines[1]).isEqualTo(url() + "  event time up to 2026-03-02 10:41 UTC");
        assertThat(run.out()).contains("""

                TEAM       API $/H  GPU $/H  IDLE GPUS  BREAK-EVEN                                    SAVINGS $/H  ACTIVE ALERTS
                support       8.80     0.00       0.00  -                                                       -  -
                research      0.00     5.98       1.88  3.80x self-hosted llama-3.1-70b on H100-80GB         4.41  SELF_HOSTING_DEARER llama-3.1-70b on H100-80GB, IDLE_CAPACITY research-llama70b
                search        4.73     0.00       0.00  1.48x API llama-3.1-8b on H100-80GB                  1.54  SELF_HOSTING_CHEAPER llama-3.1-8b on H100-80GB
                analytics     1.94     0.00       0.00  0.52x API llama-3.1-70b on H200-141GB               -1.81  -

                Latest alerts:
                  2026-03-02 09:15 UTC  FIRING   research's deployment research-llama70b is idle: 6% GPU utilization for 15 min, $5.62/h of idle GPUs
                  2026-03-02 09:13 UTC  FIRING   search would save $1.36/h self-hosting llama-3.1-8b on 1x H100-80GB (API spend is 1.43x the self-hosted cost)
                  2026-03-02 09:05 UTC  FIRING   research would save $4.41/h moving llama-3.1-70b to openai/gpt-4o (self-hosting costs 3.80x the API price)
                """);
        assertThat(run.err()).isEmpty();
    }

    @Test
    void anAppWithAnApiTokenIsAskedWithIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        server.removeContext("/api/teams");
        server.removeContext("/api/alerts");
        for (String path : new String[] {"/api/teams", "/api/alerts"}) {
            server.createContext(path, exchange -> {
                boolean ok = "Bearer t0k".equals(exchange.getRequestHeaders().getFirst("Authorization"));
                respond(exchange, ok ? 200 : 401, ok ? (path.equals("/api/teams") ? TEAMS : ALERTS) : "{\"error\":\"/api needs the API token\"}");
            });
        }
        java.nio.file.Path tokenFile = java.nio.file.Files.writeString(dir.resolve("api.token"), "t0k\n");

        CliRun without = CliRun.of("teams", "--url", url(), "--once");
        CliRun with = CliRun.of("teams", "--url", url(), "--once", "--api-token-file", tokenFile.toString());

        assertThat(without.exitCode()).isEqualTo(1);
        assertThat(without.err()).contains("401");
        assertThat(with.exitCode()).as(with.toString()).isZero();
        assertThat(with.out()).contains("search");
    }

    @Test
    void anEmptyAppSaysSo() {
        server.removeContext("/api/teams");
        server.removeContext("/api/alerts");
        server.createContext("/api/teams", exchange -> respond(exchange, 200, "{\"teams\":[]}"));
        server.createContext("/api/alerts", exchange -> respond(exchange, 200, "{\"active\":[],\"recent\":[]}"));
        CliRun run = CliRun.of("teams", "--url", url(), "--once");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("total $0.00/h (API $0.00/h, GPU $0.00/h)  0 teams, 0 alerts firing")
                .contains("no teams yet");
    }

    @Test
    void onceFailsWithOneClearLineWhenTheAppIsDownOrNotReady() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CliRun down = CliRun.of("teams", "--url", "127.0.0.1:" + closedPort, "--once", "--timeout", "2s");
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.err()).startsWith("error: cannot reach http://127.0.0.1:" + closedPort + ": connection refused");
        assertThat(down.out()).isEmpty();

        unavailableFirst = 1;
        CliRun notReady = CliRun.of("teams", "--url", url(), "--once");
        assertThat(notReady.exitCode()).isEqualTo(1);
        assertThat(notReady.err()).isEqualTo("error: " + url() + "/api/teams answered HTTP 503: "
                + "the application is rebalancing; retry shortly\n");
    }

    // @Timeout guards against the hang of an unbounded read; the assertions are about the outcome
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anAnswerWhoseBodyNeverEndsIsNoAnswerWithinTheTimeout() throws IOException {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        HttpServer stalled = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stalled.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        stalled.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("{\"teams\":[".getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        stalled.start();
        try {
            String url = "127.0.0.1:" + stalled.getAddress().getPort();
            CliRun run = CliRun.of("teams", "--url", url, "--once", "--timeout", "500ms");
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).startsWith("error: no answer from http://" + url + " within");
        } finally {
            stopped.countDown();
            stalled.stop(0);
        }
    }

    @Test
    void badUsageExitsWithTwo() {
        assertThat(CliRun.of("teams", "--url", "ftp://x", "--once").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("teams", "--interval", "10ms", "--once").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("teams", "--help").out()).contains("--url").contains("--interval").contains("--once");
    }

    @Test
    void liveModeWithoutATerminalAppendsTablesAndKeepsTryingAfterAnError() {
        unavailableFirst = 1;
        StringWriter out = live(false);
        String text = out.toString();
        assertThat(text).doesNotContain("\033[");
        assertThat(text).contains("error: " + url() + "/api/teams answered HTTP 503: the application is rebalancing; retry shortly; "
                + "retrying every 100ms (Ctrl-C to quit)");
        assertThat(text.indexOf("error:")).isLessThan(text.indexOf("TEAM "));
        assertThat(text).contains("spend-monitor teams  2026-03-02 10:41:05 UTC  total $21.45/h");
    }

    @Test
    void liveModeOnATerminalRedrawsInPlace() {
        String text = live(true).toString();
        assertThat(text).startsWith(TeamsCommand.HOME + TeamsCommand.CLEAR_SCREEN + TeamsCommand.HOME + "spend-monitor teams");
        assertThat(text).contains("ACTIVE ALERTS" + TeamsCommand.CLEAR_LINE + "\nsupport       8.80");
        assertThat(text.split(java.util.regex.Pattern.quote(TeamsCommand.HOME + "spend-monitor"), -1)).hasSize(3); // two frames
        assertThat(text).endsWith(TeamsCommand.CLEAR_BELOW);
    }

    private StringWriter live(boolean terminal) {
        TeamsCommand command = new TeamsCommand();
        command.terminal = terminal;
        command.maxFrames = 2;
        command.clock = Clock.fixed(Instant.parse("2026-03-02T10:41:05Z"), ZoneOffset.UTC);
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--url", url(), "--interval", "100ms")).isZero();
        return out;
    }
}
