package io.spendmonitor.schemas.rules;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one set of rules an event must pass to be counted, used by the client library, JSON lines,
 * HTTP ingest and the topology alike, so that the edge never accepts what the topology would
 * dead-letter. A broken rule is a {@link Violation}: its {@link RejectReason} and a message naming
 * the field. Rules never throw, whatever the event holds (nulls included), and their work is
 * bounded by the size of the event (untrusted decimals go through {@link Decimals#bounded}).
 * <p>
 * Time: an event time before {@code minimum} is {@code absurd-timestamp}; one more than
 * {@code maxAhead} ahead of the caller's wall clock ({@code nowMillis}) is {@code future-timestamp}.
 */
public final class EventRules {
    /** The defaults of {@code spend.timestamp.min} and {@code spend.timestamp.max-ahead}. */
    public static final Instant DEFAULT_MINIMUM = Instant.parse("2020-01-01T00:00:00Z");
    public static final Duration DEFAULT_MAX_AHEAD = Duration.ofMinutes(1);

    /** More tokens than this in one call (any count) is garbage: the largest context windows hold a few million. */
    public static final long MAX_TOKENS_PER_CALL = 10_000_000L;
    /** Measured tokens on one GPU sample (vLLM counter deltas): 10^12 is a million tokens a second for 11 days. */
    public static final long MAX_MEASURED_TOKENS = 1_000_000_000_000L;
    /** Team, application, provider, model, deployment, node, GPU names and event ids. */
    public static final int MAX_NAME_LENGTH = 200;
    /** No GPU rents for more than this an hour; above it the sample is garbage. */
    public static final BigDecimal MAX_GPU_USD_PER_HOUR = BigDecimal.valueOf(10_000);
    /** More than a day in one sample is a broken collector, not a measurement. */
    public static final double MAX_INTERVAL_SECONDS = 86_400;
    /**
     * The most one GPU sample may cost, interval_seconds / 3600 * usd_per_hour. The topology keeps
     * a window's cost in femto-dollars in a long (at most about $9,223): a day at $10,000/h
     * ($240,000) would overflow it, so one sample may cost at most a tenth of what a window holds.
     */
    public static final BigDecimal MAX_GPU_SAMPLE_USD = BigDecimal.valueOf(900);
    /** Avro decimal(18, 9): nano-dollars below one billion dollars. */
    public static final int MONEY_SCALE = 9;
    public static final BigDecimal MONEY_LIMIT = BigDecimal.TEN.pow(18 - MONEY_SCALE);
    public static final String SELF_HOSTED = "self-hosted";
    /**
     * Attribution labels per call. They become metric labels, JSON keys and Avro map entries on every
     * priced call, so a hostile client must not be able to make one call large: 32 labels of at most
     * 64 + 200 characters is under 9 kB.
     */
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_KEY_LENGTH = 64;
    public static final int MAX_LABEL_VALUE_LENGTH = MAX_NAME_LENGTH;

    /**
     * A prompt hash is hex: at least 16 characters (64 bits, so that distinct prompts do not collide
     * in a team's hour) and at most 128 (SHA-512). Anything else is not a hash, perhaps the prompt itself.
     */
    public static final int MIN_PROMPT_HASH_LENGTH = 16;
    public static final int MAX_PROMPT_HASH_LENGTH = 128;

    private static final BigDecimal SECONDS_PER_HOUR = BigDecimal.valueOf(3600);
    private static final BigDecimal MAX_SAMPLE_USD_SECONDS_PER_HOUR = MAX_GPU_SAMPLE_USD.multiply(SECONDS_PER_HOUR);
    private static final long EPOCH_SECONDS_READ_AS_MILLIS = 100_000_000_000L; // 1973 in millis, 5138 in seconds

    private final Instant minimum;
    private final long minimumMillis;
    private final Duration maxAhead;
    private final long maxAheadMillis;

    public EventRules(Instant minimum, Duration maxAhead) {
        this.minimum = Objects.requireNonNull(minimum, "minimum");
        this.maxAhead = Objects.requireNonNull(maxAhead, "maxAhead");
        if (maxAhead.isNegative()) {
            throw new IllegalArgumentException("maxAhead must not be negative");
        }
        this.minimumMillis = minimum.toEpochMilli();
        long ahead;
        try {
            ahead = maxAhead.toMillis();
        } catch (ArithmeticException e) {
            ahead = Long.MAX_VALUE;
        }
        this.maxAheadMillis = ahead;
    }

    /** The rules with the default time bounds (2020-01-01, 7 days ahead). */
    public static EventRules defaults() {
        return new EventRules(DEFAULT_MINIMUM, DEFAULT_MAX_AHEAD);
    }

    public Instant minimum() {
        return minimum;
    }

    public Duration maxAhead() {
        return maxAhead;
    }

    /** Before the minimum: {@code absurd-timestamp}. */
    public boolean beforeMinimum(long timestampMillis) {
        return timestampMillis < minimumMillis;
    }

    /** More than max-ahead after {@code nowMillis}: {@code future-timestamp}. Free of overflow at any values. */
    public boolean tooFarAhead(long timestampMillis, long nowMillis) {
        long latest = nowMillis > Long.MAX_VALUE - maxAheadMillis ? Long.MAX_VALUE : nowMillis + maxAheadMillis;
        return timestampMillis > latest;
    }

    /** The time rules for an event time in {@code field}. */
    public Optional<Violation> checkTime(String field, long timestampMillis, long nowMillis) {
        return Optional.ofNullable(time(field, timestampMillis, nowMillis));
    }

    /** An Instant set in code may lie beyond a long of milliseconds (Instant.MAX): far out of bounds, not an error. */
    private Violation time(String field, Instant timestamp, long nowMillis) {
        long millis;
        try {
            millis = timestamp.toEpochMilli();
        } catch (ArithmeticException beyondLongMillis) {
            millis = timestamp.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return time(field, millis, nowMillis);
    }

    private Violation time(String field, long timestampMillis, long nowMillis) {
        if (beforeMinimum(timestampMillis)) {
            Instant time = Instant.ofEpochMilli(timestampMillis);
            String hint = timestampMillis > 0 && timestampMillis < EPOCH_SECONDS_READ_AS_MILLIS
                    ? " (epoch seconds? numbers are epoch milliseconds)" : "";
            return fail(RejectReason.ABSURD_TIMESTAMP, field + " " + time + " is before " + minimum + hint);
        }
        if (tooFarAhead(timestampMillis, nowMillis)) {
            return fail(RejectReason.FUTURE_TIMESTAMP, field + " " + Instant.ofEpochMilli(timestampMillis)
                    + " is more than " + human(maxAhead) + " in the future");
        }
        return null;
    }

    public Optional<Violation> check(TokenUsage u, long nowMillis) {
        return Optional.ofNullable(violation(u, nowMillis));
    }

    public Optional<Violation> check(GpuUtilization g, long nowMillis) {
        return Optional.ofNullable(violation(g, nowMillis));
    }

    // The checks return null when they pass: this runs on every event of the topology, so no
    // Optional or lambda is allocated on the way through a good one.

    private Violation violation(TokenUsage u, long nowMillis) {
        if (u == null) {
            return new Violation(RejectReason.MISSING_FIELD, "token_usage event is null");
        }
        if (blank(u.getTeam())) {
            return new Violation(RejectReason.MISSING_TEAM, "team is empty");
        }
        Violation v;
        if ((v = required("event_id", u.getEventId())) != null || (v = required("application", u.getApplication())) != null
                || (v = required("provider", u.getProvider())) != null || (v = required("model", u.getModel())) != null) {
            return v;
        }
        if (SELF_HOSTED.equals(u.getProvider()) && blank(u.getDeployment())) {
            return new Violation(RejectReason.MISSING_FIELD,
                    "provider 'self-hosted' needs a deployment (the deployment that served the call)");
        }
        if ((v = name("team", u.getTeam())) != null || (v = name("application", u.getApplication())) != null
                || (v = name("provider", u.getProvider())) != null || (v = name("model", u.getModel())) != null
                || (v = optionalName("deployment", u.getDeployment())) != null
                || (v = optionalName("service_tier", u.getServiceTier())) != null
                || (v = uniqueName("event_id", u.getEventId())) != null) {
            return v;
        }
        if (u.getTimestamp() == null) {
            return new Violation(RejectReason.MISSING_FIELD, "timestamp is missing");
        }
        if ((v = time("timestamp", u.getTimestamp(), nowMillis)) != null || (v = tokens(u)) != null) {
            return v;
        }
        if (u.getLatencyMs() != null && u.getLatencyMs() < 0) {
            return new Violation(RejectReason.BAD_LATENCY, "latency_ms must not be negative, got " + u.getLatencyMs());
        }
        BigDecimal reported = u.getReportedCostUsd();
        if (reported != null && !Decimals.fits(reported, MONEY_SCALE, MONEY_LIMIT)) {
            return new Violation(RejectReason.BAD_REPORTED_COST, "reported_cost_usd must be a USD amount from 0 to "
                    + "999999999.999999999 with at most 9 decimals, got " + Decimals.preview(reported));
        }
        if ((v = attributes(u.getAttributes())) != null) {
            return v;
        }
        if ((v = promptHashViolation(u.getPromptHash())) != null) {
            return v;
        }
        return labelsViolation(u.getLabels());
    }

    /** Why {@code hash} is not an acceptable prompt_hash, or empty (null is no hash, which is fine). */
    public static Optional<Violation> promptHashProblem(String hash) {
        return Optional.ofNullable(promptHashViolation(hash));
    }

    private static Violation promptHashViolation(String hash) {
        if (hash == null) {
            return null;
        }
        int n = hash.length();
        if (n < MIN_PROMPT_HASH_LENGTH || n > MAX_PROMPT_HASH_LENGTH) {
            return fail(RejectReason.BAD_PROMPT_HASH, "prompt_hash must be " + MIN_PROMPT_HASH_LENGTH + " to "
                    + MAX_PROMPT_HASH_LENGTH + " hex characters, got " + n + " characters");
        }
        for (int i = 0; i < n; i++) {
            char c = hash.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex) {
                return fail(RejectReason.BAD_PROMPT_HASH, "prompt_hash must be hex (a hash of the request, never the prompt); "
                        + "character " + i + " is U+" + hex(c));
            }
        }
        return null;
    }

    /** Why {@code labels} are not acceptable attribution labels, or empty (null counts as none). */
    public static Optional<Violation> labelsProblem(Map<String, String> labels) {
        return Optional.ofNullable(labelsViolation(labels));
    }

    private static Violation labelsViolation(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return null;
        }
        if (labels.size() > MAX_LABELS) {
            return fail(RejectReason.BAD_LABELS, "labels has " + labels.size() + " entries, at most " + MAX_LABELS + " are allowed");
        }
        for (Map.Entry<String, String> e : labels.entrySet()) {
            String key = e.getKey();
            Violation v;
            if ((v = labelKey(key)) != null) {
                return v;
            }
            String value = e.getValue();
            if (value == null || value.isEmpty()) {
                return fail(RejectReason.BAD_LABELS, "labels." + key + " is empty");
            }
            if (value.length() > MAX_LABEL_VALUE_LENGTH) {
                return fail(RejectReason.BAD_LABELS, "labels." + key + " is longer than " + MAX_LABEL_VALUE_LENGTH + " characters");
            }
            if ((v = name("labels." + key, value)) != null) {
                return fail(RejectReason.BAD_LABELS, v.message());
            }
        }
        return null;
    }

    /** Label keys name a query parameter and a metric label value: letters, digits, '_', '.', '-' only. */
    private static Violation labelKey(String key) {
        if (key == null || key.isEmpty()) {
            return fail(RejectReason.BAD_LABELS, "labels has an empty key");
        }
        if (key.length() > MAX_LABEL_KEY_LENGTH) {
            return fail(RejectReason.BAD_LABELS, "a labels key is longer than " + MAX_LABEL_KEY_LENGTH + " characters ("
                    + key.length() + ")");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
            if (!ok) {
                return fail(RejectReason.BAD_LABELS, "labels key '" + Decimals.preview(key.substring(0, i))
                        + "…' contains U+" + hex(c) + " (keys are letters, digits, '_', '.', '-')");
            }
        }
        return null;
    }

    private Violation violation(GpuUtilization g, long nowMillis) {
        if (g == null) {
            return new Violation(RejectReason.MISSING_FIELD, "gpu_utilization event is null");
        }
        if (blank(g.getTeam())) {
            return new Violation(RejectReason.MISSING_TEAM, "team is empty");
        }
        Violation v;
        if ((v = required("node", g.getNode())) != null || (v = required("gpu_id", g.getGpuId())) != null
                || (v = required("gpu_model", g.getGpuModel())) != null) {
            return v;
        }
        if ((v = name("team", g.getTeam())) != null || (v = name("node", g.getNode())) != null
                || (v = name("gpu_id", g.getGpuId())) != null || (v = name("gpu_model", g.getGpuModel())) != null
                || (v = optionalName("deployment", g.getDeployment())) != null
                || (v = optionalName("model", g.getModel())) != null) {
            return v;
        }
        if (g.getTimestamp() == null) {
            return new Violation(RejectReason.MISSING_FIELD, "timestamp is missing");
        }
        if ((v = time("timestamp", g.getTimestamp(), nowMillis)) != null) {
            return v;
        }
        double utilization = g.getUtilization();
        if (!(utilization >= 0 && utilization <= 1)) {
            return new Violation(RejectReason.BAD_UTILIZATION,
                    "utilization must be between 0 and 1 (a fraction, not a percentage), got " + utilization);
        }
        long used = g.getMemoryUsedBytes();
        long total = g.getMemoryTotalBytes();
        if (used < 0 || total < 0) {
            return new Violation(RejectReason.BAD_MEMORY, "memory must not be negative: used " + used + ", total " + total);
        }
        if (total > 0 && used > total) {
            return new Violation(RejectReason.BAD_MEMORY, "memory_used_bytes (" + used + ") exceeds memory_total_bytes (" + total + ")");
        }
        Double power = g.getPowerWatts();
        if (power != null && !(power >= 0 && Double.isFinite(power))) {
            return new Violation(RejectReason.BAD_POWER, "power_watts must be a non-negative number, got " + power);
        }
        double interval = g.getIntervalSeconds();
        if (!(interval > 0)) {
            return new Violation(RejectReason.BAD_INTERVAL, "interval_seconds must be greater than 0, got " + interval);
        }
        if (!(interval <= MAX_INTERVAL_SECONDS)) {
            return new Violation(RejectReason.BAD_INTERVAL, "interval_seconds must be at most " + (long) MAX_INTERVAL_SECONDS
                    + " (a day), got " + interval);
        }
        for (Long tokens : new Long[]{g.getPromptTokens(), g.getGenerationTokens(), g.getPrefixCacheQueries(), g.getPrefixCacheHits()}) {
            if (tokens != null && tokens < 0) {
                return new Violation(RejectReason.NEGATIVE_TOKENS, "measured token counts (prompt_tokens, generation_tokens, "
                        + "prefix_cache_*) must not be negative, got " + tokens);
            }
            if (tokens != null && tokens > MAX_MEASURED_TOKENS) {
                return new Violation(RejectReason.ABSURD_TOKENS, "a measured token count above " + MAX_MEASURED_TOKENS
                        + " on one sample is no server, got " + tokens);
            }
        }
        return gpuPrice(interval, g.getUsdPerHour());
    }

    private static Violation gpuPrice(double intervalSeconds, BigDecimal usdPerHour) {
        if (usdPerHour == null) {
            return null;
        }
        Optional<BigDecimal> bounded = Decimals.bounded(usdPerHour);
        if (bounded.isPresent() && bounded.get().signum() < 0) {
            return fail(RejectReason.NEGATIVE_PRICE, "usd_per_hour must not be negative, got " + Decimals.preview(usdPerHour));
        }
        if (bounded.isEmpty() || bounded.get().compareTo(MAX_GPU_USD_PER_HOUR) > 0) {
            return fail(RejectReason.ABSURD_PRICE, "usd_per_hour must be at most " + MAX_GPU_USD_PER_HOUR
                    + ", got " + Decimals.preview(usdPerHour));
        }
        if (bounded.get().scale() > MONEY_SCALE) {
            return fail(RejectReason.ABSURD_PRICE, "usd_per_hour has more than 9 decimals (nano-dollars): "
                    + Decimals.preview(usdPerHour));
        }
        // interval (at most 86400, a double of at most 17 digits) * price (at most 10000, 9 decimals): small and exact
        BigDecimal usdSecondsPerHour = BigDecimal.valueOf(intervalSeconds).multiply(bounded.get());
        if (usdSecondsPerHour.compareTo(MAX_SAMPLE_USD_SECONDS_PER_HOUR) > 0) {
            return fail(RejectReason.ABSURD_PRICE, "interval_seconds / 3600 * usd_per_hour is more than $"
                    + MAX_GPU_SAMPLE_USD + " for one sample (" + intervalSeconds + " s at " + bounded.get().toPlainString() + " USD/h)");
        }
        return null;
    }

    private static Violation tokens(TokenUsage u) {
        long input = u.getInputTokens();
        long cached = u.getCachedInputTokens();
        long cacheWrite = u.getCacheWriteInputTokens();
        long output = u.getOutputTokens();
        Violation v;
        if ((v = count("input_tokens", input)) != null || (v = count("cached_input_tokens", cached)) != null
                || (v = count("cache_write_input_tokens", cacheWrite)) != null || (v = count("output_tokens", output)) != null) {
            return v;
        }
        // every count is in 0..10M here, so the sum cannot wrap
        if (cached + cacheWrite > input) {
            return fail(RejectReason.INCONSISTENT_TOKENS, "cached_input_tokens (" + cached + ") + cache_write_input_tokens ("
                    + cacheWrite + ") exceed input_tokens (" + input + "); input_tokens counts all input tokens, cached ones included");
        }
        return null;
    }

    private static Violation count(String field, long n) {
        if (n < 0) {
            return fail(RejectReason.NEGATIVE_TOKENS, field + " must not be negative, got " + n);
        }
        if (n > MAX_TOKENS_PER_CALL) {
            return fail(RejectReason.ABSURD_TOKENS, field + " is more than " + MAX_TOKENS_PER_CALL + " in one call, got " + n);
        }
        return null;
    }

    private static Violation attributes(Map<String, String> attributes) {
        if (attributes == null) {
            return null;
        }
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            String key = e.getKey();
            if (key == null || key.isEmpty()) {
                return fail(RejectReason.BAD_ATTRIBUTES, "attributes has an empty key");
            }
            if (e.getValue() == null) {
                return fail(RejectReason.BAD_ATTRIBUTES, "attributes." + Decimals.preview(key) + " is null");
            }
            int c = firstControl(key);
            if (c >= 0) {
                return fail(RejectReason.BAD_ATTRIBUTES, "attributes key contains a control character (U+" + hex(c) + ")");
            }
            c = firstControl(e.getValue());
            if (c >= 0) {
                return fail(RejectReason.BAD_ATTRIBUTES, "attributes." + Decimals.preview(key)
                        + " contains a control character (U+" + hex(c) + ")");
            }
        }
        return null;
    }

    /**
     * Why {@code value} is not a good name, or empty. Names end up in metric labels, JSON, web pages
     * and Slack messages: at most {@link #MAX_NAME_LENGTH} characters of printable text, no control
     * characters, no U+FFFD (what a decoder leaves of invalid UTF-8) and no markup or quoting
     * characters ({@code < > " ' ` \}). Blank names are the caller's to check (a missing field).
     */
    public static Optional<Violation> nameProblem(String field, String value) {
        return Optional.ofNullable(name(field, value));
    }

    /** The ASCII characters a name may hold: printable, no markup or quoting characters. */
    private static final boolean[] NAME_ASCII = new boolean[0x80];

    static {
        for (char c = 0x20; c < 0x7f; c++) {
            NAME_ASCII[c] = "<>\"'`\\".indexOf(c) < 0;
        }
    }

    /**
     * Names found good, by their hash: the decoder hands out one instance per repeated name (team,
     * provider, model), so most names checked are the very instance checked before, and the check is
     * then one load and a comparison by identity (the loop below was ~2.5 % of the stream thread).
     * Only good names are kept, and only the identical instance counts: a string's content never
     * changes, so the answer cannot. Shared by all threads without locks: a slot is one reference,
     * written whole; a thread that misses another's write just checks again.
     */
    static final int REMEMBERED_NAMES = 4096;
    private static final String[] GOOD_NAMES = new String[REMEMBERED_NAMES];

    private static Violation name(String field, String value) {
        if (value == null) {
            return fail(RejectReason.BAD_NAME, field + " is missing");
        }
        int slot = value.hashCode() & (GOOD_NAMES.length - 1);
        if (GOOD_NAMES[slot] == value) {
            return null;
        }
        Violation v = checkName(field, value);
        if (v == null) {
            GOOD_NAMES[slot] = value;
        }
        return v;
    }

    /** {@link #name} for a field whose values are all different (event ids): checked, never remembered. */
    private static Violation uniqueName(String field, String value) {
        return value == null ? fail(RejectReason.BAD_NAME, field + " is missing") : checkName(field, value);
    }

    private static Violation checkName(String field, String value) {
        if (value.length() > MAX_NAME_LENGTH) {
            return fail(RejectReason.BAD_NAME, field + " is longer than " + MAX_NAME_LENGTH + " characters");
        }
        // a loop, not a regular expression: this runs on several fields of every event. The fast test
        // is one table load per ASCII character; the first character it stops at is explained below.
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x80 ? NAME_ASCII[c] : (c > 0x9f && c != '\uFFFD')) {
                continue;
            }
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) { // control characters (Unicode category Cc)
                return fail(RejectReason.BAD_NAME, field + " contains a control character (U+" + hex(c) + ")");
            }
            if (c == '\uFFFD') {
                return fail(RejectReason.BAD_NAME, field + " contains U+FFFD (bytes that were not UTF-8)");
            }
            if (c == '<' || c == '>' || c == '"' || c == '\'' || c == '`' || c == '\\') {
                return fail(RejectReason.BAD_NAME, field + " contains '" + c + "' (no markup or quoting characters in names)");
            }
        }
        return null;
    }

    /** True when {@link #nameProblem} finds one. */
    public static boolean badName(String value) {
        return name("name", value) != null;
    }

    /** {@code 7 days}, {@code 1 hour}, {@code 90 s}. */
    public static String human(Duration d) {
        if (d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays()))) {
            return d.toDays() == 1 ? "1 day" : d.toDays() + " days";
        }
        if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) {
            return d.toHours() == 1 ? "1 hour" : d.toHours() + " hours";
        }
        if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) {
            return d.toMinutes() == 1 ? "1 minute" : d.toMinutes() + " minutes";
        }
        return d.toSeconds() + " s";
    }

    private static Violation required(String field, String value) {
        return blank(value) ? fail(RejectReason.MISSING_FIELD, field + " is empty") : null;
    }

    private static Violation optionalName(String field, String value) {
        return value == null ? null : name(field, value);
    }

    private static int firstControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return s.charAt(i);
            }
        }
        return -1;
    }

    private static String hex(int c) {
        return String.format("%04X", c);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static Violation fail(RejectReason reason, String message) {
        return new Violation(reason, message);
    }
}
