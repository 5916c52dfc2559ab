package io.spendmonitor.streams;

import io.javalin.router.JavalinDefaultRoutingApi;
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

    /** Where to serve and how this instance is reached by the others. */
    public record Options(String httpHost, int httpPort, String advertisedHost, long maxRequestBytes,
                          Consumer<JavalinDefaultRoutingApi> extraRoutes, SpendListener extraListener) {
        public static Options defaults() {
            return new Options("0.0.0.0", 8080, null, 5L * 1024 * 1024, app -> { }, SpendListener.NONE);
        }

        public Options withHttp(String host, int port) {
            return new Options(host, port, advertisedHost, maxRequestBytes, extraRoutes, extraListener);
        }

        public Options withAdvertisedHost(String host) {
            return new Options(httpHost, httpPort, host, maxRequestBytes, extraRoutes, extraListener);
        }

        public Options withRoutes(Consumer<JavalinDefaultRoutingApi> routes) {
            return new Options(httpHost, httpPort, advertisedHost, maxRequestBytes, routes, extraListener);
        }

        public Options withListener(SpendListener listener) {
            return new Options(httpHost, httpPort, advertisedHost, maxRequestBytes, extraRoutes, listener);
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
        SpendMetrics spendMetrics = new SpendMetrics(meters, streams::get, maxTeams, maxModels);
        long windowMs = config.settings().windowSizeMs();
        TeamQueries queries = new TeamQueries(streams::get, windowMs, recent);

        http = new SpendHttpServer(streams::get, queries, meters, options.maxRequestBytes(), options.extraRoutes());
        int port = http.start(options.httpHost(), options.httpPort());
        String advertised = options.advertisedHost() != null ? options.advertisedHost() : advertisedHost(options.httpHost());
        HostInfo self = new HostInfo(advertised, port);
        http.advertise(self);
        url = "http://" + advertised + ":" + port;

        Map<String, Object> withServer = new HashMap<>(config.asMap());
        withServer.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised + ":" + port);
        SpendConfig effective = SpendConfig.of(withServer);
        try {
            application = new SpendApplication(effective, SpendListeners.of(spendMetrics, recent, options.extraListener()));
        } catch (RuntimeException e) {
            http.close();
            throw e;
        }
        streams.set(application.streams());
        streamsMetrics = new KafkaStreamsMetrics(application.streams());
        streamsMetrics.bindTo(meters);
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
