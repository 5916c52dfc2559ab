package io.spendmonitor.producers.jsonl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.rules.EventRules;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import static io.spendmonitor.producers.jsonl.LineFields.invalid;

/**
 * Reads the JSON-lines format of {@code spend-monitor publish}: one JSON object per line,
 * {@code {"type":"token_usage", ...}}, with the snake_case field names of the Avro schemas.
 * Blank lines and lines starting with {@code #} are skipped. Read the input as UTF-8 with
 * malformed bytes replaced (U+FFFD), so that such a line is rejected alone.
 * <ul>
 *   <li>Timestamps: ISO-8601 with a zone ({@code 2026-11-27T10:00:00Z}, {@code 2026-11-27T11:00:00+01:00}),
 *       a date ({@code 2024-01-25}, midnight UTC) or epoch milliseconds.</li>
 *   <li>Money: a JSON number or a decimal string, read exactly; at most 9 decimal places, not negative.</li>
 *   <li>Fields with a default in the schema may be left out; any other field is required,
 *       except token_usage's event_id, which is derived from the content when absent (see {@link EventIds}).</li>
 *   <li>Numbers: every numeric field takes a JSON number or a decimal string, read exactly; a whole-number
 *       field refuses a fraction; a number bomb ({@code 1e999999999}) is a line error at once.</li>
 *   <li>token_usage and gpu_utilization events must pass {@link EventRules}, the rules the topology
 *       applies, with the same reasons ({@code bad-name}, {@code inconsistent-tokens}, ...): an event
 *       time before {@code earliestEventTime} is {@code absurd-timestamp}, one more than
 *       {@code maxEventTimeAhead} after now {@code future-timestamp}. effective_from has no such
 *       bound: a price may be scheduled for next month, or set far in the past.</li>
 * </ul>
 * A parser remembers repeated token_usage lines of its input (to give identical calls distinct
 * derived ids): use one parser per input, from one thread.
 */
public final class EventLineParser {
    public static final Instant DEFAULT_EARLIEST_EVENT_TIME = EventRules.DEFAULT_MINIMUM;
    public static final Duration DEFAULT_MAX_EVENT_TIME_AHEAD = EventRules.DEFAULT_MAX_AHEAD;
    public static final String SELF_HOSTED = EventRules.SELF_HOSTED;
    /** effective_from must lie in [1970, 10000): the catalog key writes it as an ISO instant with a 4-digit year. */
    private static final Instant LATEST_EFFECTIVE_FROM = Instant.parse("9999-12-31T23:59:59.999Z");

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Clock clock;
    private final Instant earliestEventTime;
    private final Duration maxEventTimeAhead;
    private final Set<EventType> accepted;
    private final EventRules rules;
    private final EventIds eventIds = new EventIds();

    /** All types, event times from 2020-01-01 to 1 minute ahead of the system clock (the app's defaults). */
    public EventLineParser() {
        this(Clock.systemUTC(), DEFAULT_EARLIEST_EVENT_TIME, DEFAULT_MAX_EVENT_TIME_AHEAD, EnumSet.allOf(EventType.class));
    }

    public EventLineParser(Clock clock, Instant earliestEventTime, Duration maxEventTimeAhead, Set<EventType> accepted) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.earliestEventTime = Objects.requireNonNull(earliestEventTime, "earliestEventTime");
        this.maxEventTimeAhead = Objects.requireNonNull(maxEventTimeAhead, "maxEventTimeAhead");
        if (maxEventTimeAhead.isNegative()) {
            throw new IllegalArgumentException("maxEventTimeAhead must not be negative");
        }
        if (accepted.isEmpty()) {
            throw new IllegalArgumentException("a parser must accept at least one type");
        }
        this.accepted = Collections.unmodifiableSet(EnumSet.copyOf(accepted));
        this.rules = new EventRules(earliestEventTime, maxEventTimeAhead);
    }

    /** A new parser (with fresh state) like this one that takes only {@code types}; others are line errors. */
    public EventLineParser acceptingOnly(Set<EventType> types) {
        return new EventLineParser(clock, earliestEventTime, maxEventTimeAhead, types);
    }

    public Set<EventType> accepted() {
        return accepted;
    }

    /** True for lines that carry no event: blank, or a {@code #} comment. */
    public static boolean isSkipped(String line) {
        String trimmed = line.strip();
        return trimmed.isEmpty() || trimmed.startsWith("#");
    }

    /**
     * Parses line {@code lineNumber} (1-based). Empty for blank and comment lines; otherwise the
     * event, or the reason the line is rejected.
     */
    public Optional<LineResult> parse(int lineNumber, String line) {
        String text = lineNumber == 1 && line.startsWith("\uFEFF") ? line.substring(1) : line;
        if (isSkipped(text)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parseObject(lineNumber, text));
        } catch (LineRejectedException e) {
            return Optional.of(new LineError(lineNumber, e.reason(), e.getMessage()));
        }
    }

    private ParsedEvent parseObject(int lineNumber, String text) {
        if (text.indexOf('\uFFFD') >= 0) {
            // what a decoder makes of bytes that are not UTF-8
            throw new LineRejectedException(LineError.NOT_UTF8, "not UTF-8 text (undecodable bytes, shown as U+FFFD)");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new LineRejectedException(LineError.INVALID_JSON, "invalid JSON" + jsonErrorDetail(e));
        } catch (NumberFormatException e) {
            // Jackson lets this through for a number BigDecimal cannot hold, such as 0e-2147483648
            throw new LineRejectedException(LineError.INVALID_JSON, "invalid JSON: a number out of range");
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new LineRejectedException(LineError.INVALID_JSON, "not a JSON object: each line holds one {\"type\": ...} object");
        }
        EventType type = type(object);
        checkKnownFields(object, type);
        LineFields fields = new LineFields(object, type.jsonName());
        return switch (type) {
            case TOKEN_USAGE -> {
                TokenUsage usage = tokenUsage(fields);
                yield new ParsedEvent(lineNumber, type, usage.getTeam(), usage);
            }
            case GPU_UTILIZATION -> {
                GpuUtilization sample = gpuUtilization(fields);
                yield new ParsedEvent(lineNumber, type, sample.getTeam(), sample);
            }
            case API_PRICE -> priceEntry(lineNumber, type, apiPrice(fields));
            case GPU_PRICE -> priceEntry(lineNumber, type, gpuPrice(fields));
            case OWNED_GPU -> priceEntry(lineNumber, type, ownedGpu(fields));
            case SELFHOST_PROFILE -> priceEntry(lineNumber, type, selfHostProfile(fields));
            case TEAM_BUDGET -> {
                TeamBudget budget = teamBudget(fields);
                yield new ParsedEvent(lineNumber, type, io.spendmonitor.schemas.BudgetKeys.key(budget), budget);
            }
        };
    }

    private static ParsedEvent priceEntry(int lineNumber, EventType type, Object entry) {
        PriceEntry priceEntry = PriceEntry.newBuilder().setEntry(entry).build();
        return new ParsedEvent(lineNumber, type, PriceKeys.key(priceEntry), priceEntry);
    }

    private EventType type(ObjectNode object) {
        JsonNode type = object.get("type");
        if (type == null || type.isNull()) {
            throw new LineRejectedException(LineError.MISSING_FIELD, "missing field 'type' (one of "
                    + EventType.names(accepted) + ")");
        }
        if (!type.isTextual()) {
            throw new LineRejectedException(LineError.WRONG_TYPE, "type must be a string, got " + LineFields.describe(type));
        }
        Optional<EventType> known = EventType.fromJsonName(type.textValue());
        if (known.isEmpty()) {
            throw new LineRejectedException(LineError.UNKNOWN_TYPE, "unknown type '" + printable(type.textValue())
                    + "' (one of " + EventType.names(accepted) + ")");
        }
        if (!accepted.contains(known.get())) {
            throw new LineRejectedException(LineError.TYPE_NOT_ACCEPTED, "type '" + known.get().jsonName()
                    + "' is not accepted here (only " + EventType.names(accepted) + ")");
        }
        return known.get();
    }

    private static void checkKnownFields(ObjectNode object, EventType type) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("type") && !type.fieldNames().contains(name)) {
                String suggestion = closest(name, type);
                throw new LineRejectedException(LineError.UNKNOWN_FIELD, "unknown field '" + printable(name) + "' in "
                        + type.jsonName() + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)"));
            }
        }
    }

    private TokenUsage tokenUsage(LineFields f) {
        TokenUsage usage = TokenUsage.newBuilder()
                .setEventId("")
                .setTimestamp(f.time("timestamp"))
                .setTeam(f.name("team"))
                .setApplication(f.name("application"))
                .setProvider(f.name("provider"))
                .setModel(f.name("model"))
                .setDeployment(f.optionalName("deployment"))
                .setInputTokens(f.whole("input_tokens"))
                .setCachedInputTokens(f.optionalWhole("cached_input_tokens", 0))
                .setCacheWriteInputTokens(f.optionalWhole("cache_write_input_tokens", 0))
                .setOutputTokens(f.whole("output_tokens"))
                .setServiceTier(f.optionalName("service_tier"))
                .setLatencyMs(f.optionalWhole("latency_ms"))
                .setReportedCostUsd(f.optionalMoney("reported_cost_usd"))
                .setAttributes(f.stringMap("attributes"))
                .setLabels(f.stringMap("labels"))
                .setPromptHash(f.optionalRawText("prompt_hash"))
                .build();
        String eventId = f.optionalName("event_id");
        // the id derived from the content is a placeholder while the rules run (it is always valid)
        usage.setEventId(eventId != null ? eventId : "derived");
        rules.check(usage, clock.millis()).ifPresent(v -> {
            throw LineFields.rejected(v);
        });
        if (eventId == null) {
            usage.setEventId(eventIds.derive(usage));
        }
        return usage;
    }

    private GpuUtilization gpuUtilization(LineFields f) {
        GpuUtilization sample = GpuUtilization.newBuilder()
                .setTimestamp(f.time("timestamp"))
                .setNode(f.name("node"))
                .setGpuId(f.name("gpu_id"))
                .setGpuModel(f.name("gpu_model"))
                .setTeam(f.name("team"))
                .setDeployment(f.optionalName("deployment"))
                .setModel(f.optionalName("model"))
                .setUtilization(f.number("utilization"))
                .setMemoryUsedBytes(f.optionalWhole("memory_used_bytes", 0))
                .setMemoryTotalBytes(f.optionalWhole("memory_total_bytes", 0))
                .setPowerWatts(f.optionalNumber("power_watts"))
                .setIntervalSeconds(f.number("interval_seconds"))
                .setUsdPerHour(f.optionalMoney("usd_per_hour"))
                .setPromptTokens(f.optionalWhole("prompt_tokens"))
                .setGenerationTokens(f.optionalWhole("generation_tokens"))
                .setPrefixCacheQueries(f.optionalWhole("prefix_cache_queries"))
                .setPrefixCacheHits(f.optionalWhole("prefix_cache_hits"))
                .build();
        rules.check(sample, clock.millis()).ifPresent(v -> {
            throw LineFields.rejected(v);
        });
        return sample;
    }

    private static ApiModelPrice apiPrice(LineFields f) {
        ApiModelPrice.Builder b = ApiModelPrice.newBuilder()
                .setProvider(f.name("provider"))
                .setModel(f.name("model"))
                .setServiceTier(f.optionalName("service_tier"))
                .setInputUsdPerMtok(f.money("input_usd_per_mtok"))
                .setCachedInputUsdPerMtok(f.optionalMoney("cached_input_usd_per_mtok"))
                .setCacheWriteUsdPerMtok(f.optionalMoney("cache_write_usd_per_mtok"))
                .setOutputUsdPerMtok(f.money("output_usd_per_mtok"));
        Long threshold = f.optionalCount("long_context_threshold_tokens");
        BigDecimal longInput = f.optionalMoney("long_context_input_usd_per_mtok");
        BigDecimal longCached = f.optionalMoney("long_context_cached_input_usd_per_mtok");
        BigDecimal longCacheWrite = f.optionalMoney("long_context_cache_write_usd_per_mtok");
        BigDecimal longOutput = f.optionalMoney("long_context_output_usd_per_mtok");
        if (threshold == null) {
            if (longInput != null || longCached != null || longCacheWrite != null || longOutput != null) {
                throw new LineRejectedException(LineError.MISSING_FIELD,
                        "long_context_* prices need long_context_threshold_tokens (input tokens above which they apply)");
            }
        } else {
            if (threshold == 0) {
                throw invalid("long_context_threshold_tokens must be greater than 0");
            }
            if (longInput == null || longOutput == null) {
                throw new LineRejectedException(LineError.MISSING_FIELD, "long_context_threshold_tokens needs "
                        + "long_context_input_usd_per_mtok and long_context_output_usd_per_mtok");
            }
        }
        return b.setLongContextThresholdTokens(threshold)
                .setLongContextInputUsdPerMtok(longInput)
                .setLongContextCachedInputUsdPerMtok(longCached)
                .setLongContextCacheWriteUsdPerMtok(longCacheWrite)
                .setLongContextOutputUsdPerMtok(longOutput)
                .setEffectiveFrom(effectiveFrom(f))
                .setSource(f.optionalText("source"))
                .build();
    }

    private static GpuPrice gpuPrice(LineFields f) {
        return GpuPrice.newBuilder()
                .setGpuModel(f.name("gpu_model"))
                .setUsdPerHour(f.money("usd_per_hour"))
                .setEffectiveFrom(effectiveFrom(f))
                .setSource(f.optionalText("source"))
                .build();
    }

    private static io.spendmonitor.avro.OwnedGpuPrice ownedGpu(LineFields f) {
        io.spendmonitor.avro.OwnedGpuPrice owned = io.spendmonitor.avro.OwnedGpuPrice.newBuilder()
                .setGpuModel(f.name("gpu_model"))
                .setGpus(f.optionalInteger("gpus", 1, 1))
                .setPurchaseUsd(f.money("purchase_usd"))
                .setAmortisationYears(f.number("amortisation_years"))
                .setPowerKw(f.number("power_kw"))
                .setUsdPerKwh(f.money("usd_per_kwh"))
                .setHostingUsdPerMonth(f.optionalMoney("hosting_usd_per_month"))
                .setEffectiveFrom(effectiveFrom(f))
                .setSource(f.optionalText("source"))
                .build();
        try {
            io.spendmonitor.schemas.OwnedGpuCost.usdPerGpuHour(owned); // the same checks as the catalog's
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        return owned;
    }

    private static SelfHostProfile selfHostProfile(LineFields f) {
        SelfHostProfile.Builder b = SelfHostProfile.newBuilder()
                .setModel(f.name("model"))
                .setGpuModel(f.name("gpu_model"))
                .setGpusPerReplica(f.integer("gpus_per_replica", 1));
        double tokensPerSecond = f.number("tokens_per_second_per_replica");
        if (tokensPerSecond <= 0) {
            throw invalid("tokens_per_second_per_replica must be greater than 0, got " + tokensPerSecond);
        }
        double target = f.number("target_utilization");
        if (target <= 0 || target > 1) {
            throw invalid("target_utilization must be above 0 and at most 1 (a fraction), got " + target);
        }
        b.setTokensPerSecondPerReplica(tokensPerSecond)
                .setTargetUtilization(target)
                .setMinReplicas(f.optionalInteger("min_replicas", 1, 0))
                .setOverheadUsdPerHour(f.money("overhead_usd_per_hour"));
        String apiEquivalent = f.name("api_equivalent");
        int slash = apiEquivalent.indexOf('/');
        if (slash <= 0 || slash == apiEquivalent.length() - 1) {
            throw invalid("api_equivalent must be provider/model, e.g. openai/gpt-4o-mini, got \"" + apiEquivalent + "\"");
        }
        return b.setApiEquivalent(apiEquivalent)
                .setEffectiveFrom(effectiveFrom(f))
                .setSource(f.optionalText("source"))
                .build();
    }

    private static TeamBudget teamBudget(LineFields f) {
        java.util.Map<String, String> label = f.stringMap("label");
        if (label.size() > 1) {
            throw invalid("label names one key and value, e.g. {\"customer\":\"acme\"}, got " + label.size() + " keys");
        }
        for (java.util.Map.Entry<String, String> e : label.entrySet()) {
            if (e.getKey().isEmpty() || io.spendmonitor.schemas.rules.EventRules.badName(e.getKey())
                    || e.getValue().isEmpty() || io.spendmonitor.schemas.rules.EventRules.badName(e.getValue())) {
                throw invalid("label key and value must be names (1.." + io.spendmonitor.schemas.rules.EventRules.MAX_NAME_LENGTH
                        + " printable characters, no quotes or markup)");
            }
        }
        return TeamBudget.newBuilder()
                .setTeam(f.name("team"))
                .setDailyUsd(f.optionalMoney("daily_usd"))
                .setMonthlyUsd(f.optionalMoney("monthly_usd"))
                .setEffectiveFrom(effectiveFrom(f))
                .setLabel(label.isEmpty() ? null : label)
                .build();
    }

    private static Instant effectiveFrom(LineFields f) {
        Instant time = f.time("effective_from");
        if (time.isBefore(Instant.EPOCH) || time.isAfter(LATEST_EFFECTIVE_FROM)) {
            throw invalid("effective_from " + time + " is outside 1970-01-01 .. 9999-12-31");
        }
        return time;
    }

    private static String jsonErrorDetail(JsonProcessingException e) {
        String message = e.getOriginalMessage() != null ? e.getOriginalMessage() : String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        String first = newline < 0 ? message : message.substring(0, newline);
        if (first.length() > 160) {
            first = first.substring(0, 160) + "...";
        }
        String at = e.getLocation() != null && e.getLocation().getColumnNr() > 0
                ? " at column " + e.getLocation().getColumnNr() : "";
        return at + ": " + first;
    }

    /** The known field nearest to a misspelt one (edit distance at most 2), or null. */
    private static String closest(String unknown, EventType type) {
        String best = null;
        int bestDistance = 3;
        String lower = unknown.toLowerCase();
        for (String candidate : type.fieldNames()) {
            int d = io.spendmonitor.schemas.text.EditDistance.between(lower, candidate, 2);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best;
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(80).forEach(cp -> out.append(Character.isISOControl(cp)
                ? String.format("\\u%04X", cp) : new String(Character.toChars(cp))));
        return out.toString();
    }
}
