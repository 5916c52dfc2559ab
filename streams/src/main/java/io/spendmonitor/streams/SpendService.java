package io.spendmonitor.streams;

import io.javalin.router.JavalinDefaultRoutingApi;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.http.BearerToken;
import io.spendmonitor.streams.http.SpendHttpServer;
import io.spendmonitor.streams.metrics.SpendMetrics;
import io.spendmonitor.streams.query.RecentAlerts;
import io.spendmonitor.streams.query.TeamQueries;
import io.spendmonitor.streams.topology.SpendListener;
import io.spendmonitor.streams.topology.SpendListeners;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A running spend-monitor: the Streams application, its metrics and the HTTP port. What
 * {@code spend-monitor run} starts; tests start several against one broker.
 */
public final class SpendService implements AutoCloseable {
    private final PrometheusMeterRegistry meters;
    private final SpendHttpServer http;
    private final SpendApplication application;
    private final String url;
    private KafkaStreamsMetrics streamsMetrics;

    /**
     * Where to serve and how this instance is reached by the others.
     *
     * @param apiToken     bearer token /api/* requires (and forwarded queries carry); null: open
     * @param metricsToken bearer token /metrics requires; null: open
     */
    public record Options(String httpHost, int httpPort, String advertisedHost, long maxRequestBytes,
                          Consumer<JavalinDefaultRoutingApi> extraRoutes, SpendListener extraListener,
                          String apiToken, String metricsToken) {
        /** No API or metrics token. */
        public Options(String httpHost, int httpPort, String advertisedHost, long maxRequestBytes,
                       Consumer<JavalinDefaultRoutingApi> extraRoutes, SpendListener extraListener) {
            this(httpHost, httpPort, advertisedHost, maxRequestBytes, extraRoutes, extraListener, null, null);
        }

        public static Options defaults() {
            return new Options("0.0.0.0", 8080, null, 5L * 1024 * 1024, app -> { }, SpendListener.NONE);
        }

        public Options withHttp(String host, int port) {
            return new Options(host, port, advertisedHost, maxRequestBytes, extraRoutes, extraListener, apiToken, metricsToken);
        }

        public Options withAdvertisedHost(String host) {
            return new Options(httpHost, httpPort, host, maxRequestBytes, extraRoutes, extraListener, apiToken, metricsToken);
        }

        public Options withRoutes(Consumer<JavalinDefaultRoutingApi> routes) {
            return new Options(httpHost, httpPort, advertisedHost, maxRequestBytes, routes, extraListener, apiToken, metricsToken);
        }

        public Options withListener(SpendListener listener) {
            return new Options(httpHost, httpPort, advertisedHost, maxRequestBytes, extraRoutes, listener, apiToken, metricsToken);
        }

        public Options withTokens(String api, String metrics) {
            return new Options(httpHost, httpPort, advertisedHost, maxRequestBytes, extraRoutes, extraListener, api, metrics);
        }

        @Override
        public String toString() {
            // the tokens are secrets: never in a log line
            return "Options[http=" + httpHost + ":" + httpPort + ", advertisedHost=" + advertisedHost + ", maxRequestBytes="
                    + maxRequestBytes + ", apiToken=" + (apiToken == null ? "none" : "set") + ", metricsToken="
                    + (metricsToken == null ? "none" : "set") + "]";
        }
    }

    private SpendService(SpendConfig config, Options options) {
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);

        AtomicReference<KafkaStreams> streams = new AtomicReference<>();
        RecentAlerts recent = new RecentAlerts(200);
        int maxTeams = Integer.parseInt(String.valueOf(config.asMap().getOrDefault(SpendMetrics.MAX_TEAMS, "1000")));
        int maxModels = Integer.parseInt(String.valueOf(config.asMap().getOrDefault(SpendMetrics.MAX_MODELS, "50")));
        io.spendmonitor.streams.topology.CommittedSpend committed = new io.spendmonitor.streams.topology.CommittedSpend();
        SpendMetrics spendMetrics = new SpendMetrics(meters, streams::get, committed, maxTeams, maxModels);
        long windowMs = config.settings().windowSizeMs();
        TeamQueries queries = new TeamQueries(streams::get, windowMs, recent,
                config.duration(io.spendmonitor.streams.topology.SpendTopology.REPEATS_HORIZON).toMillis());

        SpendHttpServer.Access access = new SpendHttpServer.Access(BearerToken.ofNullable(options.apiToken()),
                BearerToken.ofNullable(options.metricsToken()),
                SpendHttpServer.Access.parsePeers(config.asMap().get(SpendHttpServer.QUERY_PEERS)));
        http = new SpendHttpServer(streams::get, queries, meters, options.maxRequestBytes(), options.extraRoutes(), access);
        int port = http.start(options.httpHost(), options.httpPort());
        String advertised = options.advertisedHost() != null ? options.advertisedHost() : advertisedHost(options.httpHost());
        HostInfo self = new HostInfo(advertised, port);
        http.advertise(self);
        url = "http://" + advertised + ":" + port;

        Map<String, Object> withServer = new HashMap<>(config.asMap());
        withServer.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised + ":" + port);
        SpendConfig effective = SpendConfig.of(withServer);
        try {
            application = new SpendApplication(effective, SpendListeners.of(spendMetrics, recent, options.extraListener()), committed);
        } catch (RuntimeException e) {
            http.close();
            throw e;
        }
        streams.set(application.streams());
        streamsMetrics = new KafkaStreamsMetrics(application.streams());
        streamsMetrics.bindTo(meters);
        ThreadRecovery recovery = application.threadRecovery();
        FunctionCounter.builder("spend.stream.thread.replacements", recovery,
                        ThreadRecovery::replacements)
                .description("stream threads replaced after a failure a new thread may cure (" + ThreadRecovery.MAX_REPLACEMENTS + ")")
                .register(meters);
    }

    /** Starts serving HTTP, then the Streams application. */
    public static SpendService start(SpendConfig config, Options options) {
        SpendService service = new SpendService(config, options);
        try {
            service.application.start();
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
        return service;
    }

    private static String advertisedHost(String bindHost) {
        if (!"0.0.0.0".equals(bindHost) && !"::".equals(bindHost)) {
            return bindHost;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "127.0.0.1";
        }
    }

    public String url() {
        return url;
    }

    public SpendApplication application() {
        return application;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    public KafkaStreams.State state() {
        return application.streams().state();
    }

    @Override
    public void close() {
        try {
            http.close();
        } finally {
            if (application != null) {
                application.close();
            }
            if (streamsMetrics != null) {
                streamsMetrics.close();
            }
            meters.close();
        }
    }
}
