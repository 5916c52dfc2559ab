package io.spendmonitor.streams.config;

import io.spendmonitor.streams.cost.SpendSettings;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The application's configuration, lowest precedence first: the defaults of {@link ConfigKeys},
 * a properties file, environment variables ({@code SPEND_WINDOW_GRACE} for
 * {@code spend.window.grace}: upper case, '.' and '-' as '_'; every setting has one), then explicit
 * overrides (command-line options). An unknown {@code spend.*} key is an error naming the nearest
 * known one. Kafka Streams and client properties pass through unchanged.
 */
public final class SpendConfig {
    public static final String WINDOW_SIZE = "spend.window.size";
    public static final String WINDOW_GRACE = "spend.window.grace";
    public static final String WINDOW_RETENTION = "spend.window.retention";
    public static final String HORIZON_MINUTES = "spend.horizon.minutes";
    public static final String BREAKEVEN_EVALUATIONS = "spend.breakeven.evaluations";
    public static final String BREAKEVEN_MARGIN = "spend.breakeven.margin";
    public static final String IDLE_UTILIZATION = "spend.idle.utilization";
    public static final String IDLE_FIRE_WINDOWS = "spend.idle.fire-windows";
    public static final String IDLE_RESOLVE_WINDOWS = "spend.idle.resolve-windows";
    public static final String BUDGET_WARN_FRACTION = "spend.budget.warn-fraction";
    public static final String BUDGET_FORECAST_MIN_ELAPSED = "spend.budget.forecast-min-elapsed";
    public static final String SPIKE_FACTOR = "spend.spike.factor";
    public static final String ATTRIBUTION_KEYS = "spend.attribution.keys";
    public static final String ATTRIBUTION_MAX_VALUES = "spend.attribution.max-values";
    public static final String SPIKE_MIN_USD = "spend.spike.min-usd";
    public static final String CAPACITY_MIN_EVIDENCE = "spend.capacity.min-evidence";
    public static final String CAPACITY_MIN_UTILIZATION = "spend.capacity.min-utilization";
    /** Gone in 0.1: de-duplication now lasts as long as a window can change (see the README). */
    static final String REMOVED_DEDUPE_RETENTION = "spend.dedupe.retention";
    public static final String TIMESTAMP_MIN = "spend.timestamp.min";
    public static final String TIMESTAMP_MAX_AHEAD = "spend.timestamp.max-ahead";
    public static final String TEAM_EVICTION = "spend.team.eviction";

    private static final Map<String, Object> DEFAULTS = defaultValues();

    private final Map<String, Object> values;

    private SpendConfig(Map<String, Object> values) {
        this.values = Map.copyOf(values);
    }

    public static SpendConfig defaults() {
        return load(null, Map.of(), Map.of());
    }

    public static SpendConfig of(Map<String, ?> overrides) {
        return load(null, Map.of(), overrides);
    }

    /**
     * @param file       a properties file, or null
     * @param env        the environment (System.getenv() in production)
     * @param overrides  explicit values (command-line options), highest precedence
     */
    public static SpendConfig load(Path file, Map<String, String> env, Map<String, ?> overrides) {
        Map<String, Object> values = new LinkedHashMap<>(DEFAULTS);
        if (file != null) {
            values.putAll(readFile(file));
        }
        values.putAll(ConfigKeys.fromEnvironment(env));
        overrides.forEach((k, v) -> {
            if (v != null) {
                values.put(k, v);
            }
        });
        ConfigKeys.check(values);
        SpendConfig config = new SpendConfig(values);
        config.settings(); // fail fast on bad values
        config.capacity();
        config.timestampMin();
        config.duration(TIMESTAMP_MAX_AHEAD);
        config.duration(TEAM_EVICTION);
        config.attributionMaxValues();
        return config;
    }

    /** The properties of a file, values trimmed. */
    public static Map<String, Object> readFile(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(k -> values.put(k, props.getProperty(k).trim()));
        return values;
    }

    private static Map<String, Object> defaultValues() {
        Map<String, Object> defaults = new LinkedHashMap<>(ConfigKeys.defaults());
        defaults.put(StreamsConfig.APPLICATION_ID_CONFIG, "spend-monitor");
        defaults.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return Map.copyOf(defaults);
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Every value, for building Kafka clients (non-spend keys are Streams / client properties). */
    public Map<String, Object> asMap() {
        return values;
    }

    public String string(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    public SpendSettings settings() {
        return new SpendSettings(duration(WINDOW_SIZE), duration(WINDOW_GRACE), integer(HORIZON_MINUTES),
                integer(BREAKEVEN_EVALUATIONS), decimal(BREAKEVEN_MARGIN), decimal(IDLE_UTILIZATION),
                integer(IDLE_FIRE_WINDOWS), integer(IDLE_RESOLVE_WINDOWS), decimal(BUDGET_WARN_FRACTION),
                decimal(BUDGET_FORECAST_MIN_ELAPSED), decimal(SPIKE_FACTOR), new java.math.BigDecimal(string(SPIKE_MIN_USD)));
    }

    /** The label keys whose spend is aggregated ({@value #ATTRIBUTION_KEYS}). */
    public java.util.Set<String> attributionKeys() {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        for (String k : string(ATTRIBUTION_KEYS).split(",")) {
            if (!k.isBlank()) {
                keys.add(k.trim());
            }
        }
        return java.util.Set.copyOf(keys);
    }

    /** Values of one attribution key a team's window keeps by name ({@value #ATTRIBUTION_MAX_VALUES}). */
    public int attributionMaxValues() {
        int max = integer(ATTRIBUTION_MAX_VALUES);
        if (max < 2 || max > 10_000) {
            throw new IllegalArgumentException("'" + ATTRIBUTION_MAX_VALUES + "' must be between 2 and 10000, got " + max);
        }
        return max;
    }

    /** When break-even uses measured throughput instead of the declared one. */
    public io.spendmonitor.streams.cost.CapacitySettings capacity() {
        return new io.spendmonitor.streams.cost.CapacitySettings(duration(CAPACITY_MIN_EVIDENCE), decimal(CAPACITY_MIN_UTILIZATION));
    }

    public Duration windowRetention() {
        return duration(WINDOW_RETENTION);
    }

    public Instant timestampMin() {
        try {
            return Instant.parse(string(TIMESTAMP_MIN));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + TIMESTAMP_MIN + "' must be an ISO-8601 instant, got '" + string(TIMESTAMP_MIN) + "'");
        }
    }

    public Duration timestampMaxAhead() {
        return duration(TIMESTAMP_MAX_AHEAD);
    }

    public Duration teamEviction() {
        return duration(TEAM_EVICTION);
    }

    /** ISO-8601 durations (PT5M, P1D) or plain milliseconds. */
    public Duration duration(String key) {
        String v = string(key);
        try {
            return v.matches("\\d+") ? Duration.ofMillis(Long.parseLong(v)) : Duration.parse(v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + key + "' must be a duration like PT5M or P1D, got '" + v + "'");
        }
    }

    private int integer(String key) {
        try {
            return Integer.parseInt(string(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a whole number, got '" + string(key) + "'");
        }
    }

    private double decimal(String key) {
        try {
            return Double.parseDouble(string(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got '" + string(key) + "'");
        }
    }
}
