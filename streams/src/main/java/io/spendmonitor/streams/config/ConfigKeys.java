package io.spendmonitor.streams.config;

import io.spendmonitor.schemas.Topics;
import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.metrics.SpendMetrics;
import io.spendmonitor.streams.notify.NotifierConfig;
import io.spendmonitor.streams.topology.BoundedRocksDbMemory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.spendmonitor.streams.config.ConfigKey.Type.BOOLEAN;
import static io.spendmonitor.streams.config.ConfigKey.Type.DECIMAL;
import static io.spendmonitor.streams.config.ConfigKey.Type.DURATION;
import static io.spendmonitor.streams.config.ConfigKey.Type.INSTANT;
import static io.spendmonitor.streams.config.ConfigKey.Type.INTEGER;
import static io.spendmonitor.streams.config.ConfigKey.Type.STRING;

/**
 * Every {@code spend.*} setting, with its type, default and what it does: the one list that
 * {@link SpendConfig} fills defaults and environment variables from, that refuses unknown keys,
 * and that the README's configuration table is checked against ({@link #markdownTable()}).
 * A new setting is one line here (and its reader).
 */
public final class ConfigKeys {
    public static final List<ConfigKey> ALL = List.of(
            // the cost model
            key(SpendConfig.WINDOW_SIZE, DURATION, "PT1M", "length of a cost window; must divide an hour evenly (PT5S, PT1M, PT5M, ...)"),
            key(SpendConfig.WINDOW_GRACE, DURATION, "PT5M", "how late an event may be and still count"),
            key(SpendConfig.WINDOW_RETENTION, DURATION, "P1D", "how long minute windows stay queryable (`/cost`)"),
            key(io.spendmonitor.streams.topology.BreakEvenHistory.RETENTION, DURATION,
                    io.spendmonitor.streams.topology.BreakEvenHistory.DEFAULT_RETENTION,
                    "how long the break-even history (`/api/teams/{team}/breakeven`) stays queryable"),
            key(SpendConfig.HORIZON_MINUTES, INTEGER, "60", "break-even horizon, in minutes"),
            key(SpendConfig.BREAKEVEN_EVALUATIONS, INTEGER, "5", "break-even evaluations in a row to fire / resolve"),
            key(SpendConfig.BREAKEVEN_MARGIN, DECIMAL, "0.10", "a break-even alert fires above 1 + margin"),
            key(SpendConfig.IDLE_UTILIZATION, DECIMAL, "0.30", "a window whose GPU utilization is below this is idle"),
            key(SpendConfig.IDLE_FIRE_WINDOWS, INTEGER, "15", "idle windows in a row before IDLE_CAPACITY fires"),
            key(SpendConfig.IDLE_RESOLVE_WINDOWS, INTEGER, "5", "windows in a row at or above the threshold before it resolves"),
            key(SpendConfig.BUDGET_WARN_FRACTION, DECIMAL, "0.80", "BUDGET warns at this fraction of a budget"),
            key(SpendConfig.BUDGET_FORECAST_MIN_ELAPSED, DECIMAL, "0.10", "fraction of a period gone before the forecast may alert"),
            key(SpendConfig.SPIKE_FACTOR, DECIMAL, "5", "SPEND_SPIKE: a minute's API cost at least this many times the team's baseline (mean of the 60 minutes before)"),
            key(SpendConfig.SPIKE_MIN_USD, DECIMAL, "0.05", "SPEND_SPIKE: the three spike minutes together cost at least this many USD"),
            key(SpendConfig.CAPACITY_MIN_EVIDENCE, DURATION, io.spendmonitor.streams.cost.CapacitySettings.DEFAULT_MIN_EVIDENCE,
                    "break-even uses a deployment's measured throughput (vLLM tokens per busy GPU-second) once the horizon holds this much measured time"),
            key(SpendConfig.CAPACITY_MIN_UTILIZATION, DECIMAL, io.spendmonitor.streams.cost.CapacitySettings.DEFAULT_MIN_UTILIZATION,
                    "a window's measured GPU time counts as evidence when at least this busy"),
            key(io.spendmonitor.streams.topology.SpendTopology.REPEATS_HORIZON, DURATION, "PT60M",
                    "repeated prompts: a call's prompt_hash counts as a repeat when seen this long before (whole windows)"),
            key(SpendConfig.TIMESTAMP_MIN, INSTANT, "2020-01-01T00:00:00Z", "events before this go to the dead-letter topic"),
            key(SpendConfig.TIMESTAMP_MAX_AHEAD, DURATION, "PT1M", "events further ahead of the wall clock go to the dead-letter topic (future-timestamp); no event moves stream time past the wall clock plus this"),
            key(SpendConfig.TEAM_EVICTION, DURATION, "P31D", "a team idle this long is forgotten"),
            // the application
            key(Topics.PREFIX_CONFIG, STRING, null, "prefix of every topic name"),
            key(SpendApplication.CREATE_TOPICS, BOOLEAN, "true", "create missing topics at start"),
            key(SpendApplication.TOPIC_PARTITIONS, INTEGER, "6", "partitions of the topics it creates"),
            key(SpendApplication.TOPIC_REPLICATION, INTEGER, "1", "replication factor of the topics it creates"),
            key(BoundedRocksDbMemory.MEMORY_MB, INTEGER, String.valueOf(BoundedRocksDbMemory.DEFAULT_MEMORY_MB),
                    "MiB of the one RocksDB cache every store of the process shares, memtables included"),
            key(io.spendmonitor.streams.ThreadRecovery.MAX_REPLACEMENTS, INTEGER,
                    String.valueOf(io.spendmonitor.streams.ThreadRecovery.DEFAULT_MAX_REPLACEMENTS),
                    "stream threads that die of an error a new thread may cure (a broker that died mid-send) are replaced (exactly-once: nothing lost or doubled), at most this many times within the window below; then, or at once for an error no new thread cures (credentials, rights, a missing topic, out of memory), the instance stops (`ERROR`) and `run` exits with status 1"),
            key(io.spendmonitor.streams.ThreadRecovery.REPLACEMENT_WINDOW, DURATION,
                    io.spendmonitor.streams.ThreadRecovery.DEFAULT_REPLACEMENT_WINDOW,
                    "the window of `spend.streams.thread-replacements`"),
            key(SpendMetrics.MAX_TEAMS, INTEGER, "1000", "teams with their own metric labels; the rest fold into `other`"),
            key(SpendMetrics.MAX_MODELS, INTEGER, "50", "values per team of each label that comes from data (model, provider, deployment, gpu_model, subject); the rest fold into `other`"),
            key(io.spendmonitor.streams.http.SpendHttpServer.QUERY_PEERS, STRING, null,
                    "`host:port,...`: the only instances queries are forwarded to (unset: any instance of the group)"),
            // OTLP ingest (POST /v1/traces; OtlpSettings in producers names the same keys)
            key("spend.otlp.team-attributes", STRING, "spend.team,service.namespace",
                    "span or resource attributes that name a GenAI span's team, the first one set wins; a span with none is rejected (missing-team)"),
            key("spend.otlp.cache-tokens-in-input", BOOLEAN, "true",
                    "OpenTelemetry's convention: gen_ai.usage.input_tokens includes cache reads and writes (false: they are added, as in Anthropic's raw usage)"),
            key("spend.otlp.prompt-hash-attribute", STRING, "gen_ai.prompt.hash",
                    "span attribute holding a call's prompt_hash (hex SHA-256 of the normalised request, computed by the service)"),
            key("spend.attribution.otel-attributes", STRING, "customer,feature",
                    "span (or resource) attributes copied into a call's labels: `attribute` or `attribute=label`, comma-separated"),
            key(SpendConfig.ATTRIBUTION_KEYS, STRING, "customer,feature",
                    "label keys whose spend is aggregated per team and window (cost and tokens per value; other keys are carried, not aggregated)"),
            key(SpendConfig.ATTRIBUTION_MAX_VALUES, INTEGER, "100",
                    "values of one label key a team's window keeps by name; the rest are summed under `other`"),
            key("spend.call-costs.enabled", BOOLEAN, "false",
                    "write every priced API call to `spend.call-costs` (Avro CallCost: the call, the price entry used, the exact cost), exactly once"),
            key(io.spendmonitor.streams.topology.SpendTopology.BENCH_EVALUATION, BOOLEAN, "true",
                    "for benchmarks only (`bench`'s Flink peer phase): false switches break-even and alert evaluation off (windows are still computed and written); never in production"),
            // alert delivery (NotifierConfig)
            secret(NotifierConfig.SLACK_URL, "Slack incoming-webhook URL"),
            key(NotifierConfig.WEBHOOK_URL, STRING, null, "generic webhook URL (requests signed with the webhook secret)"),
            secret(NotifierConfig.WEBHOOK_SECRET, "HMAC-SHA256 key of X-Spend-Signature (required with the webhook URL)"),
            secret(NotifierConfig.PAGERDUTY_ROUTING_KEY, "PagerDuty Events API v2 routing key"),
            key(NotifierConfig.PAGERDUTY_URL, STRING, "https://events.pagerduty.com/v2/enqueue", "PagerDuty Events API endpoint"),
            key(NotifierConfig.CONSOLE, BOOLEAN, "false", "one line per alert transition on stdout"),
            key(NotifierConfig.ROUTES, STRING, null, "routes JSON file, or the JSON itself"),
            key(NotifierConfig.DASHBOARD_URL, STRING, null, "link in every message; `{team}` is replaced by the team"),
            key(NotifierConfig.GROUP_ID, STRING, null, "the notifier's consumer group (when unset: application.id + `-notifier`)"),
            key(NotifierConfig.RETRY_INITIAL_BACKOFF, DURATION, "PT0.5S", "first wait before a failed delivery is retried"),
            key(NotifierConfig.RETRY_MAX_BACKOFF, DURATION, "PT30S", "longest wait between retries"),
            key(NotifierConfig.RETRY_MAX_ATTEMPTS, INTEGER, "20", "attempts before a delivery counts as failed"),
            key(NotifierConfig.RETRY_MAX_AGE, DURATION, "PT15M", "age after which a delivery is no longer retried"),
            key(NotifierConfig.HTTP_CONNECT_TIMEOUT, DURATION, "PT5S", "connect timeout of a delivery"),
            key(NotifierConfig.HTTP_REQUEST_TIMEOUT, DURATION, "PT10S", "request timeout of a delivery"),
            key(NotifierConfig.CLOSE_TIMEOUT, DURATION, "PT10S", "how long stopping waits for deliveries in flight"),
            key(NotifierConfig.DEDUPE_SIZE, INTEGER, "10000", "delivered alert ids remembered per channel"),
            key(NotifierConfig.MAX_PENDING, INTEGER, "1000", "transitions in flight before the notifier stops reading"),
            key(NotifierConfig.CONSUMER_PREFIX + "*", STRING, null, "any Kafka consumer property of the notifier's consumer"));

    /** Settings that are gone, with what to do instead. */
    private static final Map<String, String> REMOVED = Map.of(SpendConfig.REMOVED_DEDUPE_RETENTION,
            "'" + SpendConfig.REMOVED_DEDUPE_RETENTION + "' is no longer a setting: a duplicate event_id is dropped while its"
                    + " minute window is open and a copy after that is late; remove the line");

    private ConfigKeys() {
    }

    private static ConfigKey key(String name, ConfigKey.Type type, String defaultValue, String doc) {
        return new ConfigKey(name, type, defaultValue, false, doc);
    }

    private static ConfigKey secret(String name, String doc) {
        return new ConfigKey(name, STRING, null, true, doc);
    }

    /** The setting {@code key} is (or belongs to). */
    public static Optional<ConfigKey> find(String key) {
        return ALL.stream().filter(k -> !k.isFamily() && k.name().equals(key)).findFirst()
                .or(() -> ALL.stream().filter(k -> k.isFamily() && k.matches(key)).findFirst());
    }

    /** The defaults of the settings that have one. */
    public static Map<String, Object> defaults() {
        Map<String, Object> defaults = new LinkedHashMap<>();
        ALL.stream().filter(k -> k.defaultValue() != null).forEach(k -> defaults.put(k.name(), k.defaultValue()));
        return defaults;
    }

    /** The settings {@code env} holds ({@code SPEND_WINDOW_GRACE=PT10M}); blank variables count as unset. */
    public static Map<String, Object> fromEnvironment(Map<String, String> env) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigKey key : ALL) {
            String value = key.isFamily() ? null : env.get(key.envName());
            if (value != null && !value.isBlank()) {
                values.put(key.name(), value.trim());
            }
        }
        return values;
    }

    /**
     * Refuses a removed or unknown {@code spend.*} key (naming the nearest known one) and a value
     * of the wrong type; other keys (Kafka, schema.registry.*) are not ours to check.
     */
    public static void check(Map<String, ?> config) {
        for (String key : config.keySet()) {
            if (REMOVED.containsKey(key)) {
                throw new IllegalArgumentException(REMOVED.get(key));
            }
        }
        config.forEach((key, value) -> {
            if (key.startsWith("spend.")) {
                find(key).orElseThrow(() -> new IllegalArgumentException("unknown setting '" + key + "'; did you mean '"
                        + nearest(key) + "'?")).check(value);
            }
        });
    }

    /** The known key with the fewest edits from {@code unknown} (for a family, the family's prefix with the same tail). */
    public static String nearest(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey key : ALL) {
            String candidate = key.name();
            if (key.isFamily()) {
                String prefix = candidate.substring(0, candidate.length() - 1);
                int segments = prefix.split("\\.").length;
                String[] parts = unknown.split("\\.", segments + 1);
                candidate = prefix + (parts.length > segments ? parts[segments] : "");
            }
            int distance = io.spendmonitor.schemas.text.EditDistance.between(unknown, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }
    /** The README's configuration table: a row per setting, in registry order. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| key | environment | type | default | what |\n|---|---|---|---|---|\n");
        for (ConfigKey key : ALL) {
            table.append("| `").append(key.name()).append("` | ")
                    .append(key.isFamily() ? "none (file and `-X` only)" : "`" + key.envName() + "`").append(" | ")
                    .append(key.type().label()).append(" | ")
                    .append(key.defaultValue() == null ? "none" : "`" + key.defaultValue() + "`").append(" | ")
                    .append(key.doc()).append(key.secret() ? "; a secret, never printed" : "").append(" |\n");
        }
        return table.toString();
    }
}
