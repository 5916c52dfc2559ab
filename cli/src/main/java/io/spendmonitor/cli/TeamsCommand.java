package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import io.spendmonitor.streams.query.ApiAnswers;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spendmonitor.schemas.http.BoundedHttp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code spend-monitor teams}: a live table of every team's spend, break-even and alerts, from a running app. */
@Command(name = "teams", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A live table in the terminal: asks a running spend-monitor (run or demo) for /api/teams and /api/alerts "
                + "every --interval and redraws in place. One row per team, most expensive first: API and GPU spend per hour "
                + "(over the trailing horizon), idle GPUs, the break-even ratio of its best switch (API: above 1, "
                + "self-hosting would be cheaper; self-hosted: above 1, the API would be) and what that switch would save "
                + "per hour, and the alerts firing. Below it, the latest alert transitions (budget alerts among them).",
                "When standard output is not a terminal, each table is printed after the previous one. If the app cannot be "
                        + "reached the table says so and keeps trying; with --once it exits with 1."},
        footer = {"",
                "Examples:",
                "  spend-monitor teams                                  # http://127.0.0.1:8080, every 2 s",
                "  spend-monitor teams --url http://spend-monitor:8080 --interval 5s",
                "  spend-monitor teams --once > teams.txt",
                "",
                "Exit codes: 0 ok, 1 the app could not be reached or answered an error (--once), 2 bad usage."})
public final class TeamsCommand implements Callable<Integer> {
    static final int RECENT_ALERTS = 8;
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    /** Cursor home, then each line cleared to its end, then the rest of the screen: a redraw without flicker. */
    static final String HOME = "\033[H";
    static final String CLEAR_LINE = "\033[K";
    static final String CLEAR_BELOW = "\033[J";
    static final String CLEAR_SCREEN = "\033[2J";

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The app's HTTP address, as 'run' or 'demo' print it (app.url=...); default ${DEFAULT-VALUE}.")
    String url;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s", converter = PublishCommand.DurationConverter.class,
            description = "Time between redraws (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = PublishCommand.DurationConverter.class,
            description = "How long one request may take (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--once", description = "Print the table once and exit (for scripts).")
    boolean once;

    @Option(names = "--api-token", paramLabel = "TOKEN",
            description = "The app's API token when it runs with one (prefer env SPEND_API_TOKEN or --api-token-file).")
    String apiToken;

    @Option(names = "--api-token-file", paramLabel = "FILE", description = "File holding the app's API token.")
    java.nio.file.Path apiTokenFile;

    /** Tests: stop after this many tables; and whether to draw for a terminal (null: System.console() decides). */
    int maxFrames = Integer.MAX_VALUE;
    Boolean terminal;
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws InterruptedException {
        URI base = baseUri(url);
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new CliException("--interval must be at least 100ms", 2);
        }
        if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
            throw new CliException("--timeout must be at least 100ms", 2);
        }
        PrintWriter out = spec.commandLine().getOut();
        String token = Secrets.resolve("--api-token", apiToken, apiTokenFile, "SPEND_API_TOKEN", System.getenv(),
                spec.commandLine().getErr());
        String authorization = token == null ? null : "Bearer " + token;
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        if (once) {
            Snapshot snapshot;
            try {
                snapshot = fetch(http, base, timeout, authorization);
            } catch (AppUnavailableException e) {
                throw new CliException(e.getMessage());
            }
            render(snapshot, clock.instant(), base).forEach(out::println);
            out.flush();
            return 0;
        }
        boolean ansi = terminal != null ? terminal : System.console() != null;
        if (ansi) {
            out.print(HOME + CLEAR_SCREEN);
        }
        for (int frame = 0; frame < maxFrames; frame++) {
            if (frame > 0) {
                Thread.sleep(interval.toMillis());
            }
            List<String> lines;
            try {
                lines = render(fetch(http, base, timeout, authorization), clock.instant(), base);
            } catch (AppUnavailableException e) {
                lines = List.of(headerTime(clock.instant()) + "  " + base,
                        "error: " + e.getMessage() + "; retrying every " + DurationText.of(interval) + " (Ctrl-C to quit)");
            }
            if (ansi) {
                StringBuilder screen = new StringBuilder(HOME);
                lines.forEach(line -> screen.append(line).append(CLEAR_LINE).append('\n'));
                out.print(screen.append(CLEAR_BELOW));
            } else {
                if (frame > 0) {
                    out.println();
                }
                lines.forEach(out::println);
            }
            out.flush();
        }
        return 0;
    }

    /** {@code http://host:port} from what the user typed (a scheme is optional); bad usage otherwise. */
    static URI baseUri(String text) {
        String t = text.trim();
        if (!t.contains("://")) {
            t = "http://" + t;
        }
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(t);
        } catch (IllegalArgumentException e) {
            throw new CliException("--url is not a URL: " + text, 2);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new CliException("--url must be http://HOST:PORT or https://HOST:PORT, got " + text, 2);
        }
        return uri;
    }

    // ---------------------------------------------------------------------------------------------
    // What the app answers

    /** One row of /api/teams. Money per hour over the team's trailing horizon. */
    record TeamRow(String team, BigDecimal apiUsdPerHour, BigDecimal gpuUsdPerHour, double idleGpus, BreakEvenCell breakEven,
                   List<String> alerts, Instant lastWindowEnd) {
        BigDecimal totalUsdPerHour() {
            return apiUsdPerHour.add(gpuUsdPerHour);
        }
    }

    /** The team's best switch: its profile, mode (API or SELF_HOSTED), ratio and savings per hour. */
    record BreakEvenCell(String profile, String gpuModel, String mode, Double ratio, BigDecimal savingsUsdPerHour) {
    }

    record RecentAlert(Instant windowEnd, String team, String type, String subject, String state, String summary) {
    }

    record Snapshot(List<TeamRow> teams, List<RecentAlert> recent) {
    }

    static final class AppUnavailableException extends Exception {
        AppUnavailableException(String message) {
            super(message);
        }
    }

    private static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    static Snapshot fetch(HttpClient http, URI base, Duration timeout) throws AppUnavailableException, InterruptedException {
        return fetch(http, base, timeout, null);
    }

    /** @param authorization the Authorization header for the API, or null */
    static Snapshot fetch(HttpClient http, URI base, Duration timeout, String authorization)
            throws AppUnavailableException, InterruptedException {
        JsonNode teams = get(http, base, "/api/teams", timeout, authorization);
        JsonNode alerts = get(http, base, "/api/alerts", timeout, authorization);
        return parse(teams, alerts);
    }

    private static JsonNode get(HttpClient http, URI base, String path, Duration timeout, String authorization)
            throws AppUnavailableException, InterruptedException {
        URI uri = URI.create(base + path);
        HttpResponse<byte[]> response;
        try {
            // the timeout covers the whole answer, body included; the teams table is kilobytes
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET();
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            response = BoundedHttp.send(http, request.build(), timeout, MAX_ANSWER_BYTES, BoundedHttp.Overflow.FAIL);
        } catch (HttpTimeoutException e) {
            throw new AppUnavailableException("no answer from " + base + " within " + DurationText.of(timeout));
        } catch (ConnectException e) {
            throw new AppUnavailableException("cannot reach " + base + ": connection refused (is 'spend-monitor run' or "
                    + "'spend-monitor demo' serving there?)");
        } catch (IOException e) {
            throw new AppUnavailableException("cannot reach " + base + ": " + PublishCommand.messageOf(e));
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (response.statusCode() != 200) {
            String reason = body != null && body.hasNonNull("error") ? body.get("error").asText() : "no explanation";
            throw new AppUnavailableException(uri + " answered HTTP " + response.statusCode() + ": " + reason);
        }
        if (body == null || !body.isObject()) {
            throw new AppUnavailableException(uri + " did not answer with a JSON object: is " + base + " a spend-monitor?");
        }
        return body;
    }

    /** Reads the API's answers as its own types (fields a newer app adds are ignored). */
    private static final JsonMapper ANSWERS = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

    /** The rows of /api/teams, with each team's active alerts from /api/alerts (and its own list), most expensive first. */
    static Snapshot parse(JsonNode teamsBody, JsonNode alertsBody) throws AppUnavailableException {
        if (!teamsBody.path("teams").isArray()) {
            throw new AppUnavailableException("/api/teams answered without a 'teams' list: is this a spend-monitor?");
        }
        ApiAnswers.TeamList teams;
        ApiAnswers.Alerts alerts;
        try {
            teams = ANSWERS.treeToValue(teamsBody, ApiAnswers.TeamList.class);
            alerts = ANSWERS.treeToValue(alertsBody, ApiAnswers.Alerts.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new AppUnavailableException("the app answered in a shape this version cannot read: " + PublishCommand.messageOf(e));
        }
        Map<String, Set<String>> active = new LinkedHashMap<>();
        for (ApiAnswers.ActiveAlert a : list(alerts.active())) {
            active.computeIfAbsent(a.team(), t -> new LinkedHashSet<>()).add(alertText(a.type(), a.subject()));
        }
        List<TeamRow> rows = new ArrayList<>();
        for (ApiAnswers.TeamLine t : list(teams.teams())) {
            Set<String> teamAlerts = new LinkedHashSet<>();
            list(t.alerts()).forEach(a -> teamAlerts.add(alertText(a.type(), a.subject())));
            teamAlerts.addAll(active.getOrDefault(t.team(), Set.of()));
            ApiAnswers.BreakEvenView be = t.breakEven();
            BreakEvenCell cell = be == null ? null : new BreakEvenCell(be.profile() == null ? "" : be.profile(), be.gpuModel(),
                    be.mode() == null ? "" : be.mode(), be.ratio(), money(be.savingsUsdPerHour()));
            rows.add(new TeamRow(t.team(), moneyOrZero(t.apiUsdPerHour()), moneyOrZero(t.gpuUsdPerHour()), t.idleGpus(), cell,
                    List.copyOf(teamAlerts), instant(t.lastWindowEnd())));
        }
        rows.sort(Comparator.comparing(TeamRow::totalUsdPerHour).reversed().thenComparing(TeamRow::team));
        List<RecentAlert> recent = new ArrayList<>();
        for (ApiAnswers.RecentAlert a : list(alerts.recent())) {
            recent.add(new RecentAlert(instant(a.windowEnd()), a.team(), a.type(), a.subject() == null ? "" : a.subject(),
                    a.state() == null ? "" : a.state(), a.summary() == null ? "" : a.summary()));
        }
        recent.sort(Comparator.comparing(RecentAlert::windowEnd, Comparator.nullsLast(Comparator.reverseOrder())));
        return new Snapshot(rows, recent);
    }

    private static <T> List<T> list(List<T> maybe) {
        return maybe == null ? List.of() : maybe;
    }

    private static String alertText(String type, String subject) {
        return (type == null ? "?" : type) + (subject == null || subject.isEmpty() ? "" : " " + subject);
    }

    /** Money comes as decimal strings; read exactly. */
    private static BigDecimal money(String text) {
        if (text == null) {
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static BigDecimal moneyOrZero(String text) {
        BigDecimal m = money(text);
        return m == null ? BigDecimal.ZERO : m;
    }

    private static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }


    // ---------------------------------------------------------------------------------------------
    // The table

    static final List<String> HEADER = List.of("TEAM", "API $/H", "GPU $/H", "IDLE GPUS", "BREAK-EVEN", "SAVINGS $/H", "ACTIVE ALERTS");
    /** Numbers are right-aligned. */
    private static final boolean[] RIGHT = {false, true, true, true, false, true, false};

    /** The lines of one table: a header line with the time and totals, the rows, the latest alert transitions. */
    static List<String> render(Snapshot snapshot, Instant now, URI base) {
        List<String> lines = new ArrayList<>();
        BigDecimal api = BigDecimal.ZERO;
        BigDecimal gpu = BigDecimal.ZERO;
        int firing = 0;
        Instant eventTime = null;
        for (TeamRow row : snapshot.teams()) {
            api = api.add(row.apiUsdPerHour());
            gpu = gpu.add(row.gpuUsdPerHour());
            firing += row.alerts().size();
            if (row.lastWindowEnd() != null && (eventTime == null || row.lastWindowEnd().isAfter(eventTime))) {
                eventTime = row.lastWindowEnd();
            }
        }
        int teams = snapshot.teams().size();
        lines.add(String.format(Locale.ROOT, "%s  total %s/h (API %s/h, GPU %s/h)  %d %s, %d %s firing", headerTime(now),
                usd(api.add(gpu)), usd(api), usd(gpu), teams, teams == 1 ? "team" : "teams", firing, firing == 1 ? "alert" : "alerts"));
        lines.add(base + (eventTime == null ? "" : "  event time up to " + MINUTE.format(eventTime)));
        lines.add("");
        if (snapshot.teams().isEmpty()) {
            lines.add("no teams yet: nothing has been counted (is anything publishing? try 'spend-monitor simulate crossover')");
        } else {
            List<List<String>> rows = new ArrayList<>();
            rows.add(HEADER);
            for (TeamRow row : snapshot.teams()) {
                rows.add(List.of(row.team(), amount(row.apiUsdPerHour()), amount(row.gpuUsdPerHour()),
                        String.format(Locale.ROOT, "%.2f", row.idleGpus()), breakEven(row.breakEven()),
                        row.breakEven() == null || row.breakEven().savingsUsdPerHour() == null ? "-"
                                : amount(row.breakEven().savingsUsdPerHour()),
                        row.alerts().isEmpty() ? "-" : String.join(", ", row.alerts())));
            }
            lines.addAll(io.spendmonitor.producers.text.TextTable.align(rows, RIGHT));
        }
        if (!snapshot.recent().isEmpty()) {
            lines.add("");
            lines.add("Latest alerts:");
            snapshot.recent().stream().limit(RECENT_ALERTS).forEach(a -> lines.add(String.format(Locale.ROOT, "  %s  %-8s %s",
                    a.windowEnd() == null ? "?" : MINUTE.format(a.windowEnd()), a.state(),
                    a.summary().isEmpty() ? a.team() + " " + a.type() + " " + a.subject() : a.summary())));
        }
        return lines;
    }

    static String headerTime(Instant now) {
        return "spend-monitor teams  " + CLOCK.format(now.truncatedTo(ChronoUnit.SECONDS));
    }

    /** {@code 1.48x API llama-3.1-8b on H100-80GB}, {@code 3.80x self-hosted llama-3.1-70b on H100-80GB}. */
    static String breakEven(BreakEvenCell b) {
        if (b == null) {
            return "-";
        }
        String ratio = b.ratio() == null ? "n/a" : String.format(Locale.ROOT, "%.2fx", b.ratio());
        String mode = "SELF_HOSTED".equals(b.mode()) ? "self-hosted" : b.mode();
        return ratio + " " + mode + " " + b.profile() + (b.gpuModel() == null ? "" : " on " + b.gpuModel());
    }

    private static String amount(BigDecimal usd) {
        return usd.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    private static String usd(BigDecimal usd) {
        return "$" + amount(usd);
    }

    /** Durations as the options take them: {@code 2s}, {@code 500ms}, {@code 1m}. */
    static final class DurationText {
        private DurationText() {
        }

        static String of(Duration d) {
            if (d.toMillis() % 60_000 == 0) {
                return d.toMinutes() + "m";
            }
            if (d.toMillis() % 1000 == 0) {
                return d.toSeconds() + "s";
            }
            return d.toMillis() + "ms";
        }
    }
}
