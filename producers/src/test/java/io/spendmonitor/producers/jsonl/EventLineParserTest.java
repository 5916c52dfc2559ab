package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class EventLineParserTest {
    /** "Now" for every test: event times may reach up to 1 minute past it. */
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** A valid token_usage line with only the required fields, to which tests add one field. */
    static final String USAGE = "{\"type\":\"token_usage\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"team\":\"search\","
            + "\"application\":\"ranker\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1000,"
            + "\"output_tokens\":200";

    private EventLineParser parser = newParser();

    static EventLineParser newParser() {
        return new EventLineParser(CLOCK, EventLineParser.DEFAULT_EARLIEST_EVENT_TIME,
                EventLineParser.DEFAULT_MAX_EVENT_TIME_AHEAD, EnumSet.allOf(EventType.class));
    }

    private ParsedEvent event(String line) {
        LineResult result = parser.parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(ParsedEvent.class);
        return (ParsedEvent) result;
    }

    private LineError error(String line) {
        LineResult result = parser.parse(7, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(LineError.class);
        return (LineError) result;
    }

    private TokenUsage usage(String extraFields) {
        return (TokenUsage) event(USAGE + extraFields + "}").value();
    }

    private LineError usageError(String extraFields) {
        return error(USAGE + extraFields + "}");
    }

    private static BigDecimal usd(String value) {
        return new BigDecimal(value);
    }

    @Test
    void tokenUsageWithEveryField() {
        ParsedEvent e = event("{\"type\":\"token_usage\",\"event_id\":\"call-1\",\"timestamp\":\"2026-11-27T10:00:00Z\","
                + "\"team\":\"search\",\"application\":\"ranker\",\"provider\":\"anthropic\",\"model\":\"claude-haiku-4-5\","
                + "\"input_tokens\":1000,\"cached_input_tokens\":600,\"cache_write_input_tokens\":100,\"output_tokens\":200,"
                + "\"service_tier\":\"priority\",\"latency_ms\":850,\"reported_cost_usd\":\"0.00131\","
                + "\"attributes\":{\"region\":\"eu\",\"feature\":\"rerank\"}}");
        assertThat(e.lineNumber()).isEqualTo(1);
        assertThat(e.type()).isEqualTo(EventType.TOKEN_USAGE);
        assertThat(e.destination()).isEqualTo(Destination.TOKEN_USAGE);
        assertThat(e.key()).isEqualTo("search");
        TokenUsage u = (TokenUsage) e.value();
        assertThat(u.getEventId()).isEqualTo("call-1");
        assertThat(u.getTimestamp()).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
        assertThat(u.getTeam()).isEqualTo("search");
        assertThat(u.getApplication()).isEqualTo("ranker");
        assertThat(u.getProvider()).isEqualTo("anthropic");
        assertThat(u.getModel()).isEqualTo("claude-haiku-4-5");
        assertThat(u.getDeployment()).isNull();
        assertThat(u.getInputTokens()).isEqualTo(1000);
        assertThat(u.getCachedInputTokens()).isEqualTo(600);
        assertThat(u.getCacheWriteInputTokens()).isEqualTo(100);
        assertThat(u.getOutputTokens()).isEqualTo(200);
        assertThat(u.getServiceTier()).isEqualTo("priority");
        assertThat(u.getLatencyMs()).isEqualTo(850L);
        assertThat(u.getReportedCostUsd()).isEqualTo(usd("0.001310000"));
        assertThat(u.getAttributes()).isEqualTo(Map.of("region", "eu", "feature", "rerank"));
    }

    @Test
    void optionalTokenFieldsTakeTheirDefaults() {
        TokenUsage u = usage("");
        assertThat(u.getCachedInputTokens()).isZero();
        assertThat(u.getCacheWriteInputTokens()).isZero();
        assertThat(u.getServiceTier()).isNull();
        assertThat(u.getLatencyMs()).isNull();
        assertThat(u.getReportedCostUsd()).isNull();
        assertThat(u.getAttributes()).isEmpty();
        // JSON null is the same as absent
        assertThat(usage(",\"deployment\":null,\"latency_ms\":null").getDeployment()).isNull();
    }

    @Test
    void moneyIsReadExactlyFromNumbersAndStrings() {
        // 0.15 as a JSON number and as a string: both BigDecimal 0.15 at scale 9, no binary rounding
        assertThat(usage(",\"reported_cost_usd\":0.15").getReportedCostUsd()).isEqualTo(usd("0.150000000"));
        assertThat(usage(",\"reported_cost_usd\":\"0.15\"").getReportedCostUsd()).isEqualTo(usd("0.150000000"));
        // 0.1 + 0.2 in binary floating point is 0.30000000000000004; here 0.3 stays 0.3
        assertThat(usage(",\"reported_cost_usd\":0.3").getReportedCostUsd()).isEqualTo(usd("0.300000000"));
        assertThat(usage(",\"reported_cost_usd\":\" 2 \"").getReportedCostUsd()).isEqualTo(usd("2.000000000"));
        assertThat(usage(",\"reported_cost_usd\":1e-9").getReportedCostUsd()).isEqualTo(usd("0.000000001"));
        assertThat(usage(",\"reported_cost_usd\":\"999999999.999999999\"").getReportedCostUsd())
                .isEqualTo(usd("999999999.999999999"));
        // ten written decimals whose tenth is a zero still fit scale 9 exactly
        assertThat(usage(",\"reported_cost_usd\":0.1500000000").getReportedCostUsd()).isEqualTo(usd("0.150000000"));
    }

    @Test
    void moneyThatDoesNotFitIsRejected() {
        LineError tooPrecise = usageError(",\"reported_cost_usd\":0.0000000001");
        assertThat(tooPrecise.reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(tooPrecise.message()).isEqualTo("reported_cost_usd has more than 9 decimal places "
                + "(USD is kept to the nano-dollar): 0.0000000001");
        assertThat(usageError(",\"reported_cost_usd\":\"0.1234567891\"").message())
                .contains("more than 9 decimal places").contains("\"0.1234567891\"");
        LineError negative = usageError(",\"reported_cost_usd\":\"-0.01\"");
        assertThat(negative.reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(negative.message()).isEqualTo("reported_cost_usd must not be negative, got -0.01");
        assertThat(usageError(",\"reported_cost_usd\":1000000000").message()).contains("too large");
        LineError notANumber = usageError(",\"reported_cost_usd\":\"12 USD\"");
        assertThat(notANumber.reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(notANumber.message()).isEqualTo("reported_cost_usd is not a decimal number: \"12 USD\"");
        LineError wrongType = usageError(",\"reported_cost_usd\":true");
        assertThat(wrongType.reason()).isEqualTo(LineError.WRONG_TYPE);
        assertThat(wrongType.message()).isEqualTo("reported_cost_usd must be a number or a decimal string, got boolean true");
    }

    @Test
    void timestampsAreIsoWithAZoneOrEpochMillis() {
        Instant ten = Instant.parse("2026-11-27T10:00:00Z");
        assertThat(((TokenUsage) event(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T11:00:00+01:00") + "}").value())
                .getTimestamp()).isEqualTo(ten);
        // 2026-11-27T10:00:00Z = 1795773600 s since the epoch
        assertThat(((TokenUsage) event(USAGE.replace("\"2026-11-27T10:00:00Z\"", "1795773600000") + "}").value())
                .getTimestamp()).isEqualTo(ten);
        assertThat(((TokenUsage) event(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.250Z") + "}").value())
                .getTimestamp()).isEqualTo(Instant.parse("2026-11-27T10:00:00.250Z"));
        assertThat(((TokenUsage) event(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27") + "}").value())
                .getTimestamp()).isEqualTo(Instant.parse("2026-11-27T00:00:00Z"));

        LineError noZone = error(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T10:00:00") + "}");
        assertThat(noZone.reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(noZone.message()).isEqualTo("timestamp has no zone: add Z (UTC) or an offset such as +01:00: \"2026-11-27T10:00:00\"");
        assertThat(error(USAGE.replace("2026-11-27T10:00:00Z", "yesterday") + "}").message())
                .isEqualTo("timestamp is not an ISO-8601 time such as 2026-11-27T10:00:00Z: \"yesterday\"");
        assertThat(error(USAGE.replace("\"2026-11-27T10:00:00Z\"", "1795773600000.5") + "}").reason())
                .isEqualTo(LineError.WRONG_TYPE);
    }

    @Test
    void absurdEventTimesAreRejected() {
        LineError before2020 = error(USAGE.replace("2026-11-27T10:00:00Z", "2019-12-31T23:59:59.999Z") + "}");
        assertThat(before2020.reason()).isEqualTo(LineError.ABSURD_TIMESTAMP);
        assertThat(before2020.message()).isEqualTo("timestamp 2019-12-31T23:59:59.999Z is before 2020-01-01T00:00:00Z");
        // 2020-01-01T00:00:00Z itself (1577836800000 ms) is the earliest accepted time
        assertThat(event(USAGE.replace("\"2026-11-27T10:00:00Z\"", "1577836800000") + "}").value()).isNotNull();
        // epoch seconds read as millis land in January 1970
        assertThat(error(USAGE.replace("\"2026-11-27T10:00:00Z\"", "1795773600") + "}").message())
                .isEqualTo("timestamp 1970-01-21T18:49:33.600Z is before 2020-01-01T00:00:00Z (epoch seconds? numbers are epoch milliseconds)");
        // now + 1 minute (spend.timestamp.max-ahead's default) is accepted, one millisecond more is not
        assertThat(event(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T12:01:00Z") + "}").value()).isNotNull();
        LineError future = error(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T12:01:00.001Z") + "}");
        assertThat(future.reason()).isEqualTo("future-timestamp");
        assertThat(future.message()).isEqualTo("timestamp 2026-11-27T12:01:00.001Z is more than 1 minute in the future");
    }

    @Test
    void eventTimeBoundsAreParameters() {
        parser = new EventLineParser(CLOCK, Instant.parse("2026-11-27T00:00:00Z"), Duration.ofHours(1), EnumSet.allOf(EventType.class));
        assertThat(error(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-26T23:59:59Z") + "}").reason())
                .isEqualTo(LineError.ABSURD_TIMESTAMP);
        assertThat(error(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T13:00:01Z") + "}").message())
                .isEqualTo("timestamp 2026-11-27T13:00:01Z is more than 1 hour in the future");
        assertThat(event(USAGE.replace("2026-11-27T10:00:00Z", "2026-11-27T13:00:00Z") + "}").value()).isNotNull();
    }

    @Test
    void effectiveFromMayLieInTheFutureOrBefore2020() {
        String gpu = "{\"type\":\"gpu_price\",\"gpu_model\":\"T4\",\"usd_per_hour\":\"0.526\",\"effective_from\":\"%s\"}";
        assertThat(((GpuPrice) ((PriceEntry) event(gpu.formatted("2030-01-01T00:00:00Z")).value()).getEntry())
                .getEffectiveFrom()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
        assertThat(((GpuPrice) ((PriceEntry) event(gpu.formatted("2019-09-20T00:00:00Z")).value()).getEntry())
                .getEffectiveFrom()).isEqualTo(Instant.parse("2019-09-20T00:00:00Z"));
        assertThat(error(gpu.formatted("1969-12-31T23:59:59Z")).message())
                .isEqualTo("effective_from 1969-12-31T23:59:59Z is outside 1970-01-01 .. 9999-12-31");
        assertThat(error(gpu.replace("\"%s\"", "9223372036854775807")).reason()).isEqualTo(LineError.INVALID_VALUE);
    }

    @Test
    void blankAndCommentLinesAreSkipped() {
        assertThat(parser.parse(1, "")).isEmpty();
        assertThat(parser.parse(2, "   \t")).isEmpty();
        assertThat(parser.parse(3, "# a comment")).isEmpty();
        assertThat(parser.parse(4, "   # indented comment {\"type\":\"token_usage\"}")).isEmpty();
        // a byte-order mark at the start of the input is not part of the first line
        assertThat(parser.parse(1, "\uFEFF" + USAGE + "}")).get().isInstanceOf(ParsedEvent.class);
        assertThat(parser.parse(1, "\uFEFF# comment")).isEmpty();
    }

    @Test
    void invalidJsonIsRejectedWithItsLineNumber() {
        LineError broken = error("{\"type\":\"token_usage\",");
        assertThat(broken.lineNumber()).isEqualTo(7);
        assertThat(broken.reason()).isEqualTo(LineError.INVALID_JSON);
        assertThat(broken.message()).startsWith("invalid JSON");
        assertThat(broken.describe()).startsWith("line 7: invalid JSON");
        assertThat(error(USAGE + "} trailing").reason()).isEqualTo(LineError.INVALID_JSON);
        assertThat(error(USAGE + ",\"team\":\"again\"}").reason()).isEqualTo(LineError.INVALID_JSON);
        LineError array = error("[1,2]");
        assertThat(array.reason()).isEqualTo(LineError.INVALID_JSON);
        assertThat(array.message()).isEqualTo("not a JSON object: each line holds one {\"type\": ...} object");
    }

    @Test
    void typeMustBeKnown() {
        LineError unknown = error("{\"type\":\"token_usages\"}");
        assertThat(unknown.reason()).isEqualTo(LineError.UNKNOWN_TYPE);
        assertThat(unknown.message()).isEqualTo("unknown type 'token_usages' (one of token_usage, gpu_utilization, "
                + "api_price, gpu_price, selfhost_profile, owned_gpu, team_budget)");
        LineError missing = error("{\"team\":\"search\"}");
        assertThat(missing.reason()).isEqualTo(LineError.MISSING_FIELD);
        assertThat(missing.message()).startsWith("missing field 'type' (one of token_usage,");
        assertThat(error("{\"type\":3}").reason()).isEqualTo(LineError.WRONG_TYPE);
    }

    @Test
    void unknownFieldsAreRejectedWithASuggestion() {
        LineError typo = error(USAGE.replace("\"input_tokens\"", "\"input_token\"") + "}");
        assertThat(typo.reason()).isEqualTo(LineError.UNKNOWN_FIELD);
        assertThat(typo.message()).isEqualTo("unknown field 'input_token' in token_usage (did you mean 'input_tokens'?)");
        assertThat(usageError(",\"colour\":\"blue\"").message()).isEqualTo("unknown field 'colour' in token_usage");
        // a field of another type is unknown here
        assertThat(usageError(",\"utilization\":0.5").reason()).isEqualTo(LineError.UNKNOWN_FIELD);
    }

    @Test
    void requiredFieldsMustBePresent() {
        LineError missing = error(USAGE.replace(",\"output_tokens\":200", "") + "}");
        assertThat(missing.reason()).isEqualTo(LineError.MISSING_FIELD);
        assertThat(missing.message()).isEqualTo("missing required field 'output_tokens' in token_usage");
        assertThat(error(USAGE.replace("\"team\":\"search\"", "\"team\":null") + "}").message())
                .isEqualTo("missing required field 'team' in token_usage");
    }

    @Test
    void fieldsMustHaveTheirJsonType() {
        // a decimal string is a number too (DESIGN: numbers or decimal strings), but not an object
        assertThat(((TokenUsage) event(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":\"1000\"") + "}").value())
                .getInputTokens()).isEqualTo(1000);
        LineError object = error(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":{}") + "}");
        assertThat(object.reason()).isEqualTo(LineError.WRONG_TYPE);
        assertThat(object.message()).isEqualTo("input_tokens must be a number or a decimal string, got object");
        assertThat(error(USAGE.replace("\"input_tokens\":1000", "\"input_tokens\":1000.5") + "}").message())
                .isEqualTo("input_tokens must be a whole number, got number 1000.5");
        assertThat(error(USAGE.replace("\"team\":\"search\"", "\"team\":42") + "}").message())
                .isEqualTo("team must be a string, got number 42");
        assertThat(usageError(",\"attributes\":[\"a\"]").message()).isEqualTo("attributes must be an object of strings, got array");
        assertThat(usageError(",\"attributes\":{\"retries\":2}").message()).isEqualTo("attributes.retries must be a string, got number 2");
        assertThat(usageError(",\"input_tokens_total\":1").reason()).isEqualTo(LineError.UNKNOWN_FIELD);
    }

    @Test
    void tokenCountsMustBeConsistent() {
        LineError negative = error(USAGE.replace("\"output_tokens\":200", "\"output_tokens\":-1") + "}");
        assertThat(negative.reason()).isEqualTo("negative-tokens");
        assertThat(negative.message()).isEqualTo("output_tokens must not be negative, got -1");
        // 600 cached + 400 written = 1000 = input_tokens: fine; one more is not
        assertThat(usage(",\"cached_input_tokens\":600,\"cache_write_input_tokens\":400").getCachedInputTokens()).isEqualTo(600);
        LineError tooMany = usageError(",\"cached_input_tokens\":600,\"cache_write_input_tokens\":401");
        assertThat(tooMany.reason()).isEqualTo("inconsistent-tokens");
        assertThat(tooMany.message()).isEqualTo("cached_input_tokens (600) + cache_write_input_tokens (401) exceed "
                + "input_tokens (1000); input_tokens counts all input tokens, cached ones included");
        assertThat(usageError(",\"cached_input_tokens\":9223372036854775807,\"cache_write_input_tokens\":9223372036854775807")
                .reason()).isEqualTo("absurd-tokens");
        assertThat(usageError(",\"latency_ms\":-5").message()).isEqualTo("latency_ms must not be negative, got -5");
    }

    @Test
    void namesMustBeNonEmptyPrintableText() {
        LineError empty = error(USAGE.replace("\"team\":\"search\"", "\"team\":\"\"") + "}");
        assertThat(empty.reason()).isEqualTo("missing-team");
        assertThat(empty.message()).isEqualTo("team is empty");
        assertThat(error(USAGE.replace("\"team\":\"search\"", "\"team\":\"   \"") + "}").message()).isEqualTo("team is empty");
        LineError bell = error(USAGE.replace("\"team\":\"search\"", "\"team\":\"sea\\u0007rch\"") + "}");
        assertThat(bell.reason()).isEqualTo("bad-name");
        assertThat(bell.message()).isEqualTo("team contains a control character (U+0007)");
        assertThat(error(USAGE.replace("\"model\":\"gpt-4o-mini\"", "\"model\":\"gpt\\n4o\"") + "}").message())
                .isEqualTo("model contains a control character (U+000A)");
        assertThat(usageError(",\"attributes\":{\"k\":\"v\\u0000\"}").message())
                .isEqualTo("attributes.k contains a control character (U+0000)");
        assertThat(error(USAGE.replace("\"team\":\"search\"", "\"team\":\"" + "t".repeat(201) + "\"") + "}").message())
                .isEqualTo("team is longer than 200 characters"); // the topology's limit, one for all edges
    }

    @Test
    void selfHostedCallsNeedADeployment() {
        LineError missing = error(USAGE.replace("\"provider\":\"openai\"", "\"provider\":\"self-hosted\"") + "}");
        assertThat(missing.reason()).isEqualTo(LineError.MISSING_FIELD);
        assertThat(missing.message()).isEqualTo("provider 'self-hosted' needs a deployment (the deployment that served the call)");
        TokenUsage ok = (TokenUsage) event(USAGE.replace("\"provider\":\"openai\"", "\"provider\":\"self-hosted\"")
                + ",\"deployment\":\"llama-8b-prod\"}").value();
        assertThat(ok.getDeployment()).isEqualTo("llama-8b-prod");
    }

    @Test
    void missingEventIdsAreDerivedFromTheContent() {
        String a = USAGE + ",\"reported_cost_usd\":0.15,\"attributes\":{\"x\":\"1\",\"y\":\"2\"}}";
        // the same call written differently: key order, spacing, epoch millis, money as a string
        String sameCall = "{ \"attributes\":{\"y\":\"2\",\"x\":\"1\"}, \"reported_cost_usd\":\"0.150\", \"output_tokens\":200,"
                + "\"input_tokens\":1000,\"model\":\"gpt-4o-mini\",\"provider\":\"openai\",\"application\":\"ranker\","
                + "\"team\":\"search\",\"timestamp\":1795773600000,\"type\":\"token_usage\" }";
        String id = ((TokenUsage) newParser().parse(1, a).map(ParsedEvent.class::cast).orElseThrow().value()).getEventId();
        String again = ((TokenUsage) newParser().parse(9, sameCall).map(ParsedEvent.class::cast).orElseThrow().value()).getEventId();
        assertThat(again).isEqualTo(id);
        assertThat(UUID.fromString(id).version()).isEqualTo(5);
        // one more output token is another call
        String other = ((TokenUsage) newParser().parse(1, a.replace("\"output_tokens\":200", "\"output_tokens\":201"))
                .map(ParsedEvent.class::cast).orElseThrow().value()).getEventId();
        assertThat(other).isNotEqualTo(id);
        // an explicit event_id is kept
        assertThat(usage(",\"event_id\":\"req-42\"").getEventId()).isEqualTo("req-42");
    }

    @Test
    void identicalLinesInOneInputAreDistinctCallsWithRepeatableIds() {
        String line = USAGE + "}";
        EventLineParser first = newParser();
        String one = ((TokenUsage) ((ParsedEvent) first.parse(1, line).orElseThrow()).value()).getEventId();
        String two = ((TokenUsage) ((ParsedEvent) first.parse(2, line).orElseThrow()).value()).getEventId();
        assertThat(two).isNotEqualTo(one);
        // publishing the same input again (a new parser) gives the same two ids
        EventLineParser second = newParser();
        assertThat(((TokenUsage) ((ParsedEvent) second.parse(1, line).orElseThrow()).value()).getEventId()).isEqualTo(one);
        assertThat(((TokenUsage) ((ParsedEvent) second.parse(2, line).orElseThrow()).value()).getEventId()).isEqualTo(two);
    }

    @Test
    void gpuUtilizationSamples() {
        ParsedEvent e = event("{\"type\":\"gpu_utilization\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"node\":\"gpu-node-1\","
                + "\"gpu_id\":\"0\",\"gpu_model\":\"H100-80GB\",\"team\":\"search\",\"deployment\":\"llama-8b-prod\","
                + "\"model\":\"llama-3.1-8b\",\"utilization\":0.25,\"memory_used_bytes\":40000000000,"
                + "\"memory_total_bytes\":80000000000,\"power_watts\":350.5,\"interval_seconds\":15,\"usd_per_hour\":\"2.99\"}");
        assertThat(e.key()).isEqualTo("search");
        assertThat(e.destination()).isEqualTo(Destination.GPU_UTILIZATION);
        GpuUtilization g = (GpuUtilization) e.value();
        assertThat(g.getTimestamp()).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
        assertThat(g.getNode()).isEqualTo("gpu-node-1");
        assertThat(g.getGpuId()).isEqualTo("0");
        assertThat(g.getGpuModel()).isEqualTo("H100-80GB");
        assertThat(g.getDeployment()).isEqualTo("llama-8b-prod");
        assertThat(g.getModel()).isEqualTo("llama-3.1-8b");
        assertThat(g.getUtilization()).isEqualTo(0.25);
        assertThat(g.getMemoryUsedBytes()).isEqualTo(40_000_000_000L);
        assertThat(g.getMemoryTotalBytes()).isEqualTo(80_000_000_000L);
        assertThat(g.getPowerWatts()).isEqualTo(350.5);
        assertThat(g.getIntervalSeconds()).isEqualTo(15.0);
        assertThat(g.getUsdPerHour()).isEqualTo(usd("2.990000000"));
    }

    @Test
    void gpuSamplesAreRangeChecked() {
        String sample = "{\"type\":\"gpu_utilization\",\"timestamp\":\"2026-11-27T10:00:00Z\",\"node\":\"n1\",\"gpu_id\":\"0\","
                + "\"gpu_model\":\"L4\",\"team\":\"search\",\"utilization\":%s,\"interval_seconds\":%s}";
        assertThat(((GpuUtilization) event(sample.formatted("0", "1")).value()).getUtilization()).isZero();
        assertThat(((GpuUtilization) event(sample.formatted("1", "0.5")).value()).getUtilization()).isEqualTo(1.0);
        LineError percent = error(sample.formatted("85", "15"));
        assertThat(percent.reason()).isEqualTo("bad-utilization");
        assertThat(percent.message()).isEqualTo("utilization must be between 0 and 1 (a fraction, not a percentage), got 85.0");
        assertThat(error(sample.formatted("-0.01", "15")).reason()).isEqualTo("bad-utilization");
        assertThat(error(sample.formatted("1.01", "15")).reason()).isEqualTo("bad-utilization");
        assertThat(error(sample.formatted("0.5", "0")).message()).isEqualTo("interval_seconds must be greater than 0, got 0.0");
        assertThat(error(sample.formatted("0.5", "-15")).reason()).isEqualTo("bad-interval");
        assertThat(error(sample.formatted("true", "15")).reason()).isEqualTo(LineError.WRONG_TYPE);
        assertThat(error(sample.formatted("0.5", "15").replace("}", ",\"memory_used_bytes\":2,\"memory_total_bytes\":1}"))
                .message()).isEqualTo("memory_used_bytes (2) exceeds memory_total_bytes (1)");
    }

    @Test
    void apiPrices() {
        ParsedEvent e = event("{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\","
                + "\"input_usd_per_mtok\":0.15,\"cached_input_usd_per_mtok\":\"0.075\",\"output_usd_per_mtok\":\"0.60\","
                + "\"effective_from\":\"2024-07-18T00:00:00Z\",\"source\":\"openai.com/api/pricing\"}");
        assertThat(e.destination()).isEqualTo(Destination.PRICE_CATALOG);
        assertThat(e.key()).isEqualTo("api|openai|gpt-4o-mini||2024-07-18T00:00:00.000Z");
        ApiModelPrice p = (ApiModelPrice) ((PriceEntry) e.value()).getEntry();
        assertThat(p.getInputUsdPerMtok()).isEqualTo(usd("0.150000000"));
        assertThat(p.getCachedInputUsdPerMtok()).isEqualTo(usd("0.075000000"));
        assertThat(p.getCacheWriteUsdPerMtok()).isNull();
        assertThat(p.getOutputUsdPerMtok()).isEqualTo(usd("0.600000000"));
        assertThat(p.getServiceTier()).isNull();
        assertThat(p.getLongContextThresholdTokens()).isNull();
        assertThat(p.getEffectiveFrom()).isEqualTo(Instant.parse("2024-07-18T00:00:00Z"));
        assertThat(p.getSource()).isEqualTo("openai.com/api/pricing");
    }

    @Test
    void longContextPricesComeWithTheirThreshold() {
        String base = "{\"type\":\"api_price\",\"provider\":\"google\",\"model\":\"gemini-2.5-pro\",\"input_usd_per_mtok\":\"1.25\","
                + "\"output_usd_per_mtok\":\"10\",\"effective_from\":\"2025-06-17T00:00:00Z\"";
        ApiModelPrice p = (ApiModelPrice) ((PriceEntry) event(base + ",\"long_context_threshold_tokens\":200000,"
                + "\"long_context_input_usd_per_mtok\":2.5,\"long_context_output_usd_per_mtok\":15}").value()).getEntry();
        assertThat(p.getLongContextThresholdTokens()).isEqualTo(200_000L);
        assertThat(p.getLongContextInputUsdPerMtok()).isEqualTo(usd("2.500000000"));
        assertThat(p.getLongContextOutputUsdPerMtok()).isEqualTo(usd("15.000000000"));
        assertThat(p.getOutputUsdPerMtok()).isEqualTo(usd("10.000000000"));
        LineError noPrices = error(base + ",\"long_context_threshold_tokens\":200000}");
        assertThat(noPrices.reason()).isEqualTo(LineError.MISSING_FIELD);
        assertThat(noPrices.message()).isEqualTo("long_context_threshold_tokens needs long_context_input_usd_per_mtok "
                + "and long_context_output_usd_per_mtok");
        LineError noThreshold = error(base + ",\"long_context_input_usd_per_mtok\":2.5}");
        assertThat(noThreshold.reason()).isEqualTo(LineError.MISSING_FIELD);
        assertThat(error(base + ",\"input_usd_per_mtok\":-1}").reason()).isEqualTo(LineError.INVALID_JSON);
        assertThat(error(base.replace("\"1.25\"", "\"-1.25\"") + "}").message())
                .isEqualTo("input_usd_per_mtok must not be negative, got -1.25");
    }

    @Test
    void gpuPrices() {
        ParsedEvent e = event("{\"type\":\"gpu_price\",\"gpu_model\":\"H100-80GB\",\"usd_per_hour\":2.99,"
                + "\"effective_from\":\"2025-01-01T00:00:00Z\"}");
        assertThat(e.key()).isEqualTo("gpu|H100-80GB|2025-01-01T00:00:00.000Z");
        GpuPrice g = (GpuPrice) ((PriceEntry) e.value()).getEntry();
        assertThat(g.getUsdPerHour()).isEqualTo(usd("2.990000000"));
        assertThat(g.getSource()).isNull();
    }

    @Test
    void selfHostProfiles() {
        String line = "{\"type\":\"selfhost_profile\",\"model\":\"llama-3.1-8b\",\"gpu_model\":\"H100-80GB\",\"gpus_per_replica\":1,"
                + "\"tokens_per_second_per_replica\":8000,\"target_utilization\":0.7,\"overhead_usd_per_hour\":\"0.20\","
                + "\"api_equivalent\":\"openai/gpt-4o-mini\",\"effective_from\":\"2024-07-23T00:00:00Z\"}";
        ParsedEvent e = event(line);
        assertThat(e.key()).isEqualTo("profile|llama-3.1-8b|H100-80GB|2024-07-23T00:00:00.000Z");
        SelfHostProfile p = (SelfHostProfile) ((PriceEntry) e.value()).getEntry();
        assertThat(p.getGpusPerReplica()).isEqualTo(1);
        assertThat(p.getTokensPerSecondPerReplica()).isEqualTo(8000.0);
        assertThat(p.getTargetUtilization()).isEqualTo(0.7);
        assertThat(p.getMinReplicas()).isEqualTo(1);
        assertThat(p.getOverheadUsdPerHour()).isEqualTo(usd("0.200000000"));
        assertThat(p.getApiEquivalent()).isEqualTo("openai/gpt-4o-mini");

        assertThat(error(line.replace("\"openai/gpt-4o-mini\"", "\"gpt-4o-mini\"")).message())
                .isEqualTo("api_equivalent must be provider/model, e.g. openai/gpt-4o-mini, got \"gpt-4o-mini\"");
        assertThat(error(line.replace("\"openai/gpt-4o-mini\"", "\"openai/\"")).reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(error(line.replace("\"gpus_per_replica\":1", "\"gpus_per_replica\":0")).message())
                .isEqualTo("gpus_per_replica must be at least 1, got 0");
        assertThat(error(line.replace("0.7", "0")).reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(error(line.replace("0.7", "1.5")).message())
                .isEqualTo("target_utilization must be above 0 and at most 1 (a fraction), got 1.5");
        assertThat(error(line.replace(":8000", ":0")).reason()).isEqualTo(LineError.INVALID_VALUE);
        assertThat(error(line.replace(",\"overhead_usd_per_hour\":\"0.20\"", "")).message())
                .isEqualTo("missing required field 'overhead_usd_per_hour' in selfhost_profile");
        assertThat(((SelfHostProfile) ((PriceEntry) event(line.replace("}", ",\"min_replicas\":0}")).value()).getEntry())
                .getMinReplicas()).isZero();
    }

    @Test
    void teamBudgets() {
        ParsedEvent e = event("{\"type\":\"team_budget\",\"team\":\"search\",\"daily_usd\":\"100\",\"monthly_usd\":2500.5,"
                + "\"effective_from\":\"2026-11-01T00:00:00Z\"}");
        assertThat(e.key()).isEqualTo("search");
        assertThat(e.destination()).isEqualTo(Destination.TEAM_BUDGETS);
        TeamBudget b = (TeamBudget) e.value();
        assertThat(b.getDailyUsd()).isEqualTo(usd("100.000000000"));
        assertThat(b.getMonthlyUsd()).isEqualTo(usd("2500.500000000"));
        assertThat(b.getEffectiveFrom()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    }

    @Test
    void aBudgetMayNameOneLabel() {
        ParsedEvent e = event("{\"type\":\"team_budget\",\"team\":\"search\",\"label\":{\"customer\":\"acme\"},\"daily_usd\":\"50\","
                + "\"effective_from\":\"2026-11-01T00:00:00Z\"}");
        // the team, U+001F, key=value: a key of its own, so a label budget never replaces the team's
        assertThat(e.key()).isEqualTo("search\u001Fcustomer=acme");
        TeamBudget b = (TeamBudget) e.value();
        assertThat(b.getLabel()).containsExactly(Map.entry("customer", "acme"));
        assertThat(b.getDailyUsd()).isEqualTo(usd("50.000000000"));
        assertThat(b.getMonthlyUsd()).isNull();

        String two = "{\"type\":\"team_budget\",\"team\":\"search\",\"label\":{\"customer\":\"acme\",\"feature\":\"chat\"},"
                + "\"daily_usd\":\"50\",\"effective_from\":\"2026-11-01T00:00:00Z\"}";
        assertThat(error(two).message()).isEqualTo("label names one key and value, e.g. {\"customer\":\"acme\"}, got 2 keys");
        assertThat(error(two.replace(",\"feature\":\"chat\"", "").replace("acme", "a\\u0007b")).message())
                .startsWith("label key and value must be names");
        assertThat(error(two.replace(",\"feature\":\"chat\"", "").replace("\"acme\"", "7")).message())
                .isEqualTo("label.customer must be a string, got number 7");
    }

    @Test
    void aParserMayAcceptOnlySomeTypes() {
        parser = newParser().acceptingOnly(EventType.pricesAndBudgets());
        LineError usage = error(USAGE + "}");
        assertThat(usage.reason()).isEqualTo(LineError.TYPE_NOT_ACCEPTED);
        assertThat(usage.message()).isEqualTo("type 'token_usage' is not accepted here "
                + "(only api_price, gpu_price, selfhost_profile, owned_gpu, team_budget)");
        assertThat(parser.parse(1, "{\"type\":\"team_budget\",\"team\":\"a\",\"effective_from\":\"2026-01-01\"}"))
                .get().isInstanceOf(ParsedEvent.class);
    }

    @Test
    void everyTypeNamesItsSchemaFields() {
        assertThat(EventType.TOKEN_USAGE.fieldNames()).containsExactly("event_id", "timestamp", "team", "application",
                "provider", "model", "deployment", "input_tokens", "cached_input_tokens", "cache_write_input_tokens",
                "output_tokens", "service_tier", "latency_ms", "reported_cost_usd", "attributes", "labels", "prompt_hash");
        assertThat(EventType.TEAM_BUDGET.fieldNames()).containsExactly("team", "daily_usd", "monthly_usd", "effective_from", "label");
        assertThat(EventType.fromJsonName("selfhost_profile")).isEqualTo(Optional.of(EventType.SELFHOST_PROFILE));
    }
}
