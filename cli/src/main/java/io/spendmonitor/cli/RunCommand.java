package io.spendmonitor.cli;

import io.spendmonitor.streams.SpendService;
import io.spendmonitor.streams.notify.AlertNotifier;
import io.spendmonitor.streams.notify.NotifierConfig;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code spend-monitor run}: the streams application and its HTTP port, until SIGTERM / Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"The app: the spend topology and its HTTP port (metrics, query API, live page).",
                "Runs the spend topology (Kafka Streams, exactly-once) and one HTTP port with /metrics, /health,",
                "the query API (/api/teams, /api/teams/{team}, /api/teams/{team}/cost, /api/alerts) and the live page.",
                "Prints app.url=http://HOST:PORT once it serves. Run several with the same application.id to scale out."},
        footer = {"", "Example:", "  SPEND_INGEST_TOKEN=... spend-monitor run -b 127.0.0.1:9092 -r http://127.0.0.1:8081 --http-port 8080",
                "  spend-monitor run -b 127.0.0.1:9092 -r http://127.0.0.1:8081 --http-host 127.0.0.1 --ingest-allow-anonymous"})
public final class RunCommand implements Runnable {
    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP port (0: any free port; default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--http-host", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--advertised-host", description = "Host name other instances use to reach this one (default: this host's name, or the bind address).")
    String advertisedHost;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (default: state.dir, or the system temp dir).")
    Path stateDir;

    @Option(names = "--ingest-token", paramLabel = "TOKEN",
            description = "Bearer token POST /ingest/... requires. Prefer env SPEND_INGEST_TOKEN or --ingest-token-file: ps shows the command line.")
    String ingestToken;

    @Option(names = "--ingest-token-file", paramLabel = "FILE", description = "File holding the ingest token.")
    Path ingestTokenFile;

    @Option(names = "--ingest-allow-anonymous",
            description = "Accept POST /ingest/... without a token (only on a trusted network). Without it, run refuses to start with no ingest token.")
    boolean ingestAllowAnonymous;

    @Option(names = "--api-token", paramLabel = "TOKEN",
            description = "Bearer token /api/* and the live page's data require (env SPEND_API_TOKEN, or --api-token-file); without it they are open.")
    String apiToken;

    @Option(names = "--api-token-file", paramLabel = "FILE", description = "File holding the API token.")
    Path apiTokenFile;

    @Option(names = "--metrics-token", paramLabel = "TOKEN",
            description = "Bearer token /metrics requires (env SPEND_METRICS_TOKEN, or --metrics-token-file; Prometheus: authorization.credentials_file).")
    String metricsToken;

    @Option(names = "--metrics-token-file", paramLabel = "FILE", description = "File holding the metrics token.")
    Path metricsTokenFile;

    @Option(names = "--max-request-bytes", defaultValue = "5242880",
            description = "Largest request body accepted, with or without Content-Length; larger ones get 413 (default ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(names = "--max-request-events", defaultValue = "10000",
            description = "Most events one ingest request may carry; more get 413 (default ${DEFAULT-VALUE}).")
    int maxRequestEvents;

    @Spec
    CommandSpec spec;

    @Option(names = "--notify-slack", paramLabel = "URL",
            description = "Slack incoming webhook for alert transitions. A secret: prefer env SPEND_NOTIFY_SLACK_URL or --notify-slack-file.")
    String notifySlack;

    @Option(names = "--notify-slack-file", paramLabel = "FILE", description = "File holding the Slack webhook URL.")
    Path notifySlackFile;

    @Option(names = "--notify-webhook", paramLabel = "URL", description = "Generic JSON webhook for alert transitions (HMAC-signed).")
    String notifyWebhook;

    @Option(names = "--notify-webhook-secret", paramLabel = "SECRET",
            description = "Secret the webhook body is signed with. Prefer env SPEND_NOTIFY_WEBHOOK_SECRET or --notify-webhook-secret-file.")
    String notifyWebhookSecret;

    @Option(names = "--notify-webhook-secret-file", paramLabel = "FILE", description = "File holding the webhook secret.")
    Path notifyWebhookSecretFile;

    @Option(names = "--notify-pagerduty-key", paramLabel = "KEY",
            description = "PagerDuty Events API v2 routing key. Prefer env SPEND_NOTIFY_PAGERDUTY_KEY or --notify-pagerduty-key-file.")
    String notifyPagerDuty;

    @Option(names = "--notify-pagerduty-key-file", paramLabel = "FILE", description = "File holding the PagerDuty routing key.")
    Path notifyPagerDutyFile;

    @Option(names = "--notify-console", description = "Print alert transitions on stdout.")
    boolean notifyConsole;

    @Option(names = "--notify-routes", paramLabel = "FILE", description = "Routing of alerts to channels by team and type (JSON).")
    Path notifyRoutes;

    @Option(names = "--application-id", description = "Kafka Streams application.id (default spend-monitor); instances sharing it share the work.")
    String applicationId;

    @Override
    public void run() {
        if (httpPort < 0 || httpPort > 65535) {
            throw new CliException("--http-port must be 0..65535", 2);
        }
        if (maxRequestBytes < 1 || maxRequestEvents < 1) {
            throw new CliException("--max-request-bytes and --max-request-events must be at least 1", 2);
        }
        Tokens tokens = tokens(spec.commandLine().getErr(), System.getenv());
        SpendConfig config = config();
        var ingest = IngestRoutes.service(config.asMap(), tokens.ingest(), maxRequestEvents);
        var otlp = IngestRoutes.otlp(ingest, config.asMap(), maxRequestBytes);
        SpendService service = start(config, new SpendService.Options(httpHost, httpPort, advertisedHost, maxRequestBytes,
                app -> IngestRoutes.register(app, ingest, otlp), io.spendmonitor.streams.topology.SpendListener.NONE,
                tokens.api(), tokens.metrics()));
        AlertNotifier notifier = startNotifier(config, service);
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (!stopping.compareAndSet(false, true)) {
                return;
            }
            System.err.println("stopping: closing Kafka Streams (state is flushed) and the HTTP port...");
            if (notifier != null) {
                notifier.close();
            }
            service.close();
            ingest.close();
            System.err.println("stopped");
            stopped.countDown();
        };
        Thread hook = new Thread(stop, "spend-monitor-run-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("app.url=" + service.url());
        System.out.flush();
        try {
            // an instance in ERROR processes nothing: stop and exit with status 1, so a supervisor restarts it
            while (!stopped.await(1, TimeUnit.SECONDS)) {
                if (service.state() == KafkaStreams.State.ERROR) {
                    String why = service.application().threadRecovery().lastFailure();
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs already and stops everything
                    }
                    stop.run();
                    throw new CliException("Kafka Streams stopped in ERROR (" + (why == null ? "see the log above" : why)
                            + "); exiting so that a supervisor can restart the app", 1);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The app's configuration: the defaults, the config file, the environment, {@code -X}, then this
     * command's options (the environment variables named in their help sit with the environment).
     */
    SpendConfig config() {
        Map<String, Object> overrides = new HashMap<>(client.config(true));
        if (stateDir != null) {
            overrides.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        }
        if (applicationId != null) {
            overrides.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        }
        // secrets: from a file, or from the command line with a warning (the environment is the config's own layer)
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        putIfSet(overrides, "spend.notify.slack.url",
                Secrets.resolve("--notify-slack", notifySlack, notifySlackFile, "SPEND_NOTIFY_SLACK_URL", Map.of(), err));
        putIfSet(overrides, "spend.notify.webhook.url", notifyWebhook);
        putIfSet(overrides, "spend.notify.webhook.secret", Secrets.resolve("--notify-webhook-secret", notifyWebhookSecret,
                notifyWebhookSecretFile, "SPEND_NOTIFY_WEBHOOK_SECRET", Map.of(), err));
        putIfSet(overrides, "spend.notify.pagerduty.routing-key", Secrets.resolve("--notify-pagerduty-key", notifyPagerDuty,
                notifyPagerDutyFile, "SPEND_NOTIFY_PAGERDUTY_KEY", Map.of(), err));
        putIfSet(overrides, "spend.notify.routes", notifyRoutes == null ? null : notifyRoutes.toString());
        if (notifyConsole) {
            overrides.put("spend.notify.console", "true");
        }
        try {
            return SpendConfig.of(overrides); // overrides: already file < environment < options
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /** The three secrets; none of them is ever printed. */
    record Tokens(String ingest, String api, String metrics) {
        @Override
        public String toString() {
            return "Tokens[redacted]";
        }
    }

    /** Reads the tokens and refuses an open ingest endpoint unless it was asked for. */
    Tokens tokens(PrintWriter err, Map<String, String> env) {
        String ingest = Secrets.resolve("--ingest-token", ingestToken, ingestTokenFile, "SPEND_INGEST_TOKEN", env, err);
        String api = Secrets.resolve("--api-token", apiToken, apiTokenFile, "SPEND_API_TOKEN", env, err);
        String metrics = Secrets.resolve("--metrics-token", metricsToken, metricsTokenFile, "SPEND_METRICS_TOKEN", env, err);
        if (ingest == null && !ingestAllowAnonymous) {
            throw new CliException("HTTP ingest needs a token: set SPEND_INGEST_TOKEN or --ingest-token-file FILE (or --ingest-token),"
                    + " or pass --ingest-allow-anonymous to accept events from anyone who can reach the port", 2);
        }
        if (ingest == null) {
            err.println("warning: --ingest-allow-anonymous: POST /ingest/... accepts events without a token");
            err.flush();
        }
        return new Tokens(ingest, api, metrics);
    }

    private static void putIfSet(Map<String, Object> overrides, String key, String value) {
        if (value != null && !value.isBlank()) {
            overrides.put(key, value.trim());
        }
    }

    /** The alert notifier when a channel is configured (options or spend.notify.* in the config file). */
    static AlertNotifier startNotifier(SpendConfig config, SpendService service) {
        try {
            if (!NotifierConfig.fromConfig(config.asMap()).hasChannels()) {
                return null;
            }
            AlertNotifier notifier = AlertNotifier.create(config.asMap(), service.meters());
            notifier.start();
            return notifier;
        } catch (IllegalArgumentException e) {
            service.close();
            throw new CliException("alert notification is misconfigured: " + e.getMessage(), 2);
        }
    }

    static SpendService start(SpendConfig config, SpendService.Options options) {
        try {
            return SpendService.start(config, options);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                // refused credentials, a failed TLS handshake, an unreachable registry: say that, not Kafka Streams' advice
                // to let the deserialization handler go on (it stops on purpose rather than dead-letter good records)
                if (t instanceof io.spendmonitor.schemas.serde.AvroSerdeException serde && serde.isTransient()) {
                    throw new CliException("could not start: " + serde.getMessage());
                }
            }
            throw new CliException("could not start: " + rootMessage(e));
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
