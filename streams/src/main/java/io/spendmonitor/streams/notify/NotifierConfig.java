package io.spendmonitor.streams.notify;

import io.spendmonitor.streams.config.ConfigKey;
import io.spendmonitor.streams.config.ConfigKeys;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The alert notifier's settings, read from the application's config map ({@code spend.notify.*};
 * blank values count as unset). A channel is on when its setting is present:
 * <pre>
 * spend.notify.slack.url             Slack incoming-webhook URL (a secret)
 * spend.notify.webhook.url           generic webhook URL
 * spend.notify.webhook.secret        HMAC-SHA256 key for X-Spend-Signature (required with webhook.url)
 * spend.notify.pagerduty.routing-key PagerDuty Events API v2 integration key (a secret)
 * spend.notify.pagerduty.url         Events API endpoint (default https://events.pagerduty.com/v2/enqueue)
 * spend.notify.console               true: one line per transition on stdout (default false)
 * spend.notify.routes                routes JSON file (see {@link AlertRoutes}), or the JSON itself
 * spend.notify.dashboard-url         link in messages; {team} is replaced by the team (default none)
 * spend.notify.group-id              consumer group (default &lt;application.id&gt;-notifier)
 * spend.notify.retry.initial-backoff PT0.5S     spend.notify.retry.max-backoff  PT30S
 * spend.notify.retry.max-attempts    20         spend.notify.retry.max-age      PT15M
 * spend.notify.http.connect-timeout  PT5S       spend.notify.http.request-timeout PT10S
 * spend.notify.close-timeout         PT10S (how long close() waits for deliveries in flight)
 * spend.notify.dedupe.size           10000 (delivered alert_ids remembered per channel)
 * spend.notify.max-pending           1000 (transitions in flight before consumption pauses)
 * spend.notify.consumer.*            any Kafka consumer property for the notifier's consumer
 * </pre>
 * Durations are ISO-8601 ({@code PT30S}) or milliseconds. The consumer also takes
 * {@code bootstrap.servers}, {@code security.protocol}, {@code client.dns.lookup} and the
 * {@code ssl.*} / {@code sasl.*} properties from the shared config; it starts a new group at the
 * end of the topic ({@code auto.offset.reset=latest}, so a first deployment does not replay a
 * month of history; {@code spend.notify.consumer.auto.offset.reset=earliest} to change it).
 * Unknown {@code spend.notify.*} keys are errors: a typo must not silently turn alerting off.
 * {@link #toString()} shows no secret.
 */
public final class NotifierConfig {
    public static final String PREFIX = "spend.notify.";
    public static final String SLACK_URL = "spend.notify.slack.url";
    public static final String WEBHOOK_URL = "spend.notify.webhook.url";
    public static final String WEBHOOK_SECRET = "spend.notify.webhook.secret";
    public static final String PAGERDUTY_ROUTING_KEY = "spend.notify.pagerduty.routing-key";
    public static final String PAGERDUTY_URL = "spend.notify.pagerduty.url";
    public static final String CONSOLE = "spend.notify.console";
    public static final String ROUTES = "spend.notify.routes";
    public static final String DASHBOARD_URL = "spend.notify.dashboard-url";
    public static final String GROUP_ID = "spend.notify.group-id";
    public static final String RETRY_INITIAL_BACKOFF = "spend.notify.retry.initial-backoff";
    public static final String RETRY_MAX_BACKOFF = "spend.notify.retry.max-backoff";
    public static final String RETRY_MAX_ATTEMPTS = "spend.notify.retry.max-attempts";
    public static final String RETRY_MAX_AGE = "spend.notify.retry.max-age";
    public static final String HTTP_CONNECT_TIMEOUT = "spend.notify.http.connect-timeout";
    public static final String HTTP_REQUEST_TIMEOUT = "spend.notify.http.request-timeout";
    public static final String CLOSE_TIMEOUT = "spend.notify.close-timeout";
    public static final String DEDUPE_SIZE = "spend.notify.dedupe.size";
    public static final String MAX_PENDING = "spend.notify.max-pending";
    public static final String CONSUMER_PREFIX = "spend.notify.consumer.";

    /** The notifier's settings, as the registry of every setting lists them. */
    private static final Set<String> KEYS = ConfigKeys.ALL.stream()
            .filter(k -> k.name().startsWith(PREFIX) && !k.isFamily()).map(ConfigKey::name).collect(Collectors.toUnmodifiableSet());
    /** Consumer settings the notifier's guarantee depends on. */
    private static final Set<String> FIXED_CONSUMER_KEYS = Set.of(ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
    private static final Set<String> SHARED_CONSUMER_KEYS = Set.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ConsumerConfig.CLIENT_DNS_LOOKUP_CONFIG, "security.protocol");

    private final URI slackUrl;
    private final URI webhookUrl;
    private final String webhookSecret;
    private final String pagerDutyRoutingKey;
    private final URI pagerDutyUrl;
    private final boolean console;
    private final String dashboardUrl;
    private final AlertRoutes routes;
    private final String routesSource;
    private final String groupId;
    private final RetryPolicy retry;
    private final Duration httpConnectTimeout;
    private final Duration httpRequestTimeout;
    private final Duration closeTimeout;
    private final int dedupeSize;
    private final int maxPending;
    private final Map<String, Object> consumer;

    private NotifierConfig(Map<String, ?> config) {
        for (String key : config.keySet()) {
            if (key.startsWith(PREFIX) && !key.startsWith(CONSUMER_PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "'; did you mean '" + ConfigKeys.nearest(key) + "'?");
            }
        }
        slackUrl = url(config, SLACK_URL, true);
        webhookUrl = url(config, WEBHOOK_URL, true);
        webhookSecret = string(config, WEBHOOK_SECRET);
        if (webhookUrl != null && webhookSecret == null) {
            throw new IllegalArgumentException("'" + WEBHOOK_URL + "' is set but '" + WEBHOOK_SECRET
                    + "' is not: webhook requests are always signed, and the receiver checks X-Spend-Signature with that secret");
        }
        pagerDutyRoutingKey = string(config, PAGERDUTY_ROUTING_KEY);
        URI pd = url(config, PAGERDUTY_URL, false);
        pagerDutyUrl = pd == null ? PagerDutyChannel.DEFAULT_URL : pd;
        console = bool(config, CONSOLE);
        dashboardUrl = string(config, DASHBOARD_URL);
        if (dashboardUrl != null) {
            checkUrl(AlertWording.dashboardLink(dashboardUrl, "team"), DASHBOARD_URL, false);
        }
        String routesValue = string(config, ROUTES);
        if (routesValue == null) {
            routes = AlertRoutes.everyChannel();
            routesSource = null;
        } else if (routesValue.startsWith("{")) {
            routes = AlertRoutes.parse(routesValue, "'" + ROUTES + "'", channelNames());
            routesSource = "inline";
        } else {
            routes = AlertRoutes.load(Path.of(routesValue), channelNames());
            routesSource = routesValue;
        }
        String group = string(config, GROUP_ID);
        if (group == null) {
            Object app = config.get("application.id");
            group = (app == null || app.toString().isBlank() ? "spend-monitor" : app.toString().trim()) + "-notifier";
        }
        groupId = group;
        Duration initialBackoff = duration(config, RETRY_INITIAL_BACKOFF, RetryPolicy.DEFAULT.initialBackoff());
        Duration maxBackoff = duration(config, RETRY_MAX_BACKOFF, RetryPolicy.DEFAULT.maxBackoff());
        int maxAttempts = integer(config, RETRY_MAX_ATTEMPTS, RetryPolicy.DEFAULT.maxAttempts());
        Duration maxAge = duration(config, RETRY_MAX_AGE, RetryPolicy.DEFAULT.maxAge());
        try {
            retry = new RetryPolicy(initialBackoff, maxBackoff, maxAttempts, maxAge);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + PREFIX + "retry.*': " + e.getMessage(), e);
        }
        httpConnectTimeout = duration(config, HTTP_CONNECT_TIMEOUT, HttpSender.DEFAULT_CONNECT_TIMEOUT);
        httpRequestTimeout = duration(config, HTTP_REQUEST_TIMEOUT, HttpSender.DEFAULT_REQUEST_TIMEOUT);
        closeTimeout = duration(config, CLOSE_TIMEOUT, Duration.ofSeconds(10));
        dedupeSize = integer(config, DEDUPE_SIZE, 10_000);
        maxPending = integer(config, MAX_PENDING, 1000);
        consumer = consumerProperties(config, groupId);
    }

    /** The notifier settings in {@code config}; throws IllegalArgumentException saying which setting is wrong. */
    public static NotifierConfig fromConfig(Map<String, ?> config) {
        return new NotifierConfig(config);
    }

    /** Whether any channel is configured; a notifier without one has nothing to do. */
    public boolean hasChannels() {
        return !channelNames().isEmpty();
    }

    /** The configured channels, in the order slack, webhook, pagerduty, console. */
    public List<String> channelNames() {
        List<String> names = new ArrayList<>();
        if (slackUrl != null) {
            names.add(SlackChannel.NAME);
        }
        if (webhookUrl != null) {
            names.add(WebhookChannel.NAME);
        }
        if (pagerDutyRoutingKey != null) {
            names.add(PagerDutyChannel.NAME);
        }
        if (console) {
            names.add(ConsoleChannel.NAME);
        }
        return names;
    }

    /** The setting that turns a channel on, for error messages. */
    static String settingFor(String channel) {
        return switch (channel) {
            case SlackChannel.NAME -> SLACK_URL;
            case WebhookChannel.NAME -> WEBHOOK_URL;
            case PagerDutyChannel.NAME -> PAGERDUTY_ROUTING_KEY;
            case ConsoleChannel.NAME -> CONSOLE + "=true";
            default -> "(no setting)";
        };
    }

    public Optional<URI> slackUrl() {
        return Optional.ofNullable(slackUrl);
    }

    public Optional<URI> webhookUrl() {
        return Optional.ofNullable(webhookUrl);
    }

    String webhookSecret() {
        return webhookSecret;
    }

    String pagerDutyRoutingKey() {
        return pagerDutyRoutingKey;
    }

    public URI pagerDutyUrl() {
        return pagerDutyUrl;
    }

    public boolean console() {
        return console;
    }

    public Optional<String> dashboardUrl() {
        return Optional.ofNullable(dashboardUrl);
    }

    public AlertRoutes routes() {
        return routes;
    }

    public String groupId() {
        return groupId;
    }

    public RetryPolicy retryPolicy() {
        return retry;
    }

    public Duration httpConnectTimeout() {
        return httpConnectTimeout;
    }

    public Duration httpRequestTimeout() {
        return httpRequestTimeout;
    }

    public Duration closeTimeout() {
        return closeTimeout;
    }

    public int dedupeSize() {
        return dedupeSize;
    }

    public int maxPending() {
        return maxPending;
    }

    /** Properties for the notifier's KafkaConsumer (may hold credentials: do not log). */
    public Map<String, Object> consumerProperties() {
        return new HashMap<>(consumer);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        slackUrl().ifPresent(u -> parts.add("slack=" + HttpSender.endpoint(u)));
        webhookUrl().ifPresent(u -> parts.add("webhook=" + HttpSender.endpoint(u) + " (signed)"));
        if (pagerDutyRoutingKey != null) {
            parts.add("pagerduty=" + HttpSender.endpoint(pagerDutyUrl));
        }
        if (console) {
            parts.add("console");
        }
        return "NotifierConfig{channels=[" + String.join(", ", parts) + "], group=" + groupId
                + ", routes=" + (routesSource == null ? "every alert to every channel" : routesSource)
                + ", retry=" + retry + "}";
    }

    private static Map<String, Object> consumerProperties(Map<String, ?> config, String groupId) {
        Map<String, Object> props = new HashMap<>();
        config.forEach((key, value) -> {
            if (value != null && (SHARED_CONSUMER_KEYS.contains(key) || key.startsWith("ssl.") || key.startsWith("sasl."))) {
                props.put(key, value);
            }
        });
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // only the partitions that move are revoked in a rebalance: deliveries elsewhere go on
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.forEach((key, value) -> {
            if (key.startsWith(CONSUMER_PREFIX) && value != null) {
                String property = key.substring(CONSUMER_PREFIX.length());
                if (FIXED_CONSUMER_KEYS.contains(property)) {
                    throw new IllegalArgumentException("'" + key + "' cannot be set: the notifier "
                            + (property.equals(ConsumerConfig.GROUP_ID_CONFIG) ? "takes its group from '" + GROUP_ID + "'"
                            : "reads committed records only and commits offsets itself, after delivery"));
                }
                props.put(property, value);
            }
        });
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static String string(Map<String, ?> config, String key) {
        Object value = config.get(key);
        if (value == null || value.toString().isBlank()) {
            return null;
        }
        return value.toString().trim();
    }

    private static URI url(Map<String, ?> config, String key, boolean secret) {
        String value = string(config, key);
        return value == null ? null : checkUrl(value, key, secret);
    }

    private static URI checkUrl(String value, String key, boolean secret) {
        String shown = secret ? " (the value is not shown: it may hold a secret)" : ", got '" + value + "'";
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + key + "' is not a valid URL" + shown);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + key + "' must be an absolute http:// or https:// URL" + shown);
        }
        return uri;
    }

    private static boolean bool(Map<String, ?> config, String key) {
        String value = string(config, key);
        if (value == null) {
            return false;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + key + "' must be true or false, got '" + value + "'");
        };
    }

    private static int integer(Map<String, ?> config, String key, int fallback) {
        String value = string(config, key);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a whole number of at least 1, got '" + value + "'");
        }
    }

    private static Duration duration(Map<String, ?> config, String key, Duration fallback) {
        String value = string(config, key);
        if (value == null) {
            return fallback;
        }
        try {
            Duration d = value.matches("\\d+") ? Duration.ofMillis(Long.parseLong(value)) : Duration.parse(value);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + key + "' must be a positive duration like PT30S or a number of"
                    + " milliseconds, got '" + value + "'");
        }
    }
}
