package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code export focus} on a JSON-lines archive with the bundled catalog (no Kafka): the file is
 * checked against the FOCUS 1.2 column rules written out below, its money against hand-computed
 * values and against the replay's per-team totals ({@code whatif --json}, which equal {@code /cost}).
 */
class ExportFocusCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    // ---- FOCUS 1.2 column rules (specification/columns/*.md at tag v1.2), as data

    enum Type { DECIMAL, STRING, DATETIME, JSON }

    record Rule(Type type, boolean nullable, Set<String> allowed) {
        static Rule of(Type type, boolean nullable) {
            return new Rule(type, nullable, null);
        }
    }

    private static final Set<String> SERVICE_CATEGORIES = Set.of("AI and Machine Learning", "Analytics", "Business Applications",
            "Compute", "Databases", "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
            "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other");

    /** Mandatory columns of FOCUS 1.2 (every dataset has them), with their type and nullability. */
    private static final Map<String, Rule> MANDATORY = new LinkedHashMap<>();
    /** Conditional and recommended columns this export has (the provider supports the concept). */
    private static final Map<String, Rule> OPTIONAL = new LinkedHashMap<>();

    static {
        MANDATORY.put("BilledCost", Rule.of(Type.DECIMAL, false));
        MANDATORY.put("BillingAccountId", Rule.of(Type.STRING, false));
        MANDATORY.put("BillingAccountName", Rule.of(Type.STRING, true));
        MANDATORY.put("BillingCurrency", new Rule(Type.STRING, false, Set.of("USD")));
        MANDATORY.put("BillingPeriodEnd", Rule.of(Type.DATETIME, false));
        MANDATORY.put("BillingPeriodStart", Rule.of(Type.DATETIME, false));
        MANDATORY.put("ChargeCategory", new Rule(Type.STRING, false, Set.of("Usage", "Purchase", "Tax", "Credit", "Adjustment")));
        MANDATORY.put("ChargeClass", new Rule(Type.STRING, true, Set.of("Correction")));
        MANDATORY.put("ChargeDescription", Rule.of(Type.STRING, true));
        MANDATORY.put("ChargePeriodEnd", Rule.of(Type.DATETIME, false));
        MANDATORY.put("ChargePeriodStart", Rule.of(Type.DATETIME, false));
        MANDATORY.put("ContractedCost", Rule.of(Type.DECIMAL, false));
        MANDATORY.put("EffectiveCost", Rule.of(Type.DECIMAL, false));
        MANDATORY.put("InvoiceIssuerName", Rule.of(Type.STRING, false));
        MANDATORY.put("ListCost", Rule.of(Type.DECIMAL, false));
        MANDATORY.put("PricingQuantity", Rule.of(Type.DECIMAL, true));
        MANDATORY.put("PricingUnit", Rule.of(Type.STRING, true));
        MANDATORY.put("ProviderName", Rule.of(Type.STRING, false));
        MANDATORY.put("PublisherName", Rule.of(Type.STRING, false));
        MANDATORY.put("ServiceCategory", new Rule(Type.STRING, false, SERVICE_CATEGORIES));
        MANDATORY.put("ServiceName", Rule.of(Type.STRING, false));
        OPTIONAL.put("ChargeFrequency", new Rule(Type.STRING, false, Set.of("One-Time", "Recurring", "Usage-Based")));
        OPTIONAL.put("ConsumedQuantity", Rule.of(Type.DECIMAL, true));
        OPTIONAL.put("ConsumedUnit", Rule.of(Type.STRING, true));
        OPTIONAL.put("ResourceId", Rule.of(Type.STRING, true));
        OPTIONAL.put("ResourceName", Rule.of(Type.STRING, true));
        OPTIONAL.put("ResourceType", Rule.of(Type.STRING, true));
        OPTIONAL.put("ServiceSubcategory", Rule.of(Type.STRING, false));
        OPTIONAL.put("SubAccountId", Rule.of(Type.STRING, true));
        OPTIONAL.put("SubAccountName", Rule.of(Type.STRING, true));
        OPTIONAL.put("Tags", Rule.of(Type.JSON, true));
    }

    private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?"); // Numeric Format: no exponent, no separators
    private static final Pattern DATETIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");

    /**
     * search, default catalog: gpt-3.5-turbo at $1.50 in / $2.00 out per 1M tokens (from 2023-06-13).
     * 2023-08-01 10:00 and 10:01: 2 * (1,000 * 1.50 + 500 * 2.00) / 1e6 = $0.005 (a copy of the first is dropped);
     * 11:30 a model without a price: counted, $0; 2023-08-02 05:00: $0.0025. search total $0.0075.
     * infra: deployment llama on A100-80GB at $3.60/h (the samples' own price), two samples of 60 s at 25 % busy:
     * 2 * 60 / 3600 * 3.60 = $0.12, busy 0.25 of it = $0.03, idle $0.09; one self-hosted call of 2,000 + 1,000 tokens
     * (no cost of its own). An event on 2023-08-03 is outside [08-01, 08-03).
     */
    private Path events() throws Exception {
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, String.join("\n",
                call("s1", "2023-08-01T10:00:00Z", "search", "openai", "gpt-3.5-turbo"),
                call("s1", "2023-08-01T10:00:00Z", "search", "openai", "gpt-3.5-turbo"),
                call("s2", "2023-08-01T10:01:00Z", "search", "openai", "gpt-3.5-turbo"),
                call("s3", "2023-08-01T11:30:00Z", "search", "openai", "gpt-unpriced"),
                gpu("2023-08-01T10:00:00Z"),
                gpu("2023-08-01T10:01:00Z"),
                "{\"type\":\"token_usage\",\"event_id\":\"i1\",\"timestamp\":\"2023-08-01T10:02:00Z\",\"team\":\"infra\","
                        + "\"application\":\"app\",\"provider\":\"self-hosted\",\"model\":\"llama-2-70b\",\"deployment\":\"llama\","
                        + "\"input_tokens\":2000,\"output_tokens\":1000}",
                call("s4", "2023-08-02T05:00:00Z", "search", "openai", "gpt-3.5-turbo"),
                call("s5", "2023-08-03T01:00:00Z", "search", "openai", "gpt-3.5-turbo")) + "\n", StandardCharsets.UTF_8);
        return events;
    }

    @Test
    void dailyRowsFollowTheFocusColumnRulesAndAddUpToTheReplaysTotals() throws Exception {
        Path events = events();
        Path csv = dir.resolve("focus.csv");
        CliRun run = CliRun.of("export", "focus", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-03",
                "--output", csv.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).contains("wrote " + csv).contains("4 rows");

        String text = Files.readString(csv, StandardCharsets.UTF_8);
        assertThat(text).endsWith("\r\n");
        List<Map<String, String>> rows = parse(text);
        checkFocusRules(rows, Instant.parse("2023-08-01T00:00:00Z"), Instant.parse("2023-08-03T00:00:00Z"), Duration.ofDays(1));

        // hand-computed rows (see events())
        Map<String, String> gpt1 = find(rows, "search", "2023-08-01T00:00:00Z", "gpt-3.5-turbo");
        assertThat(gpt1.get("EffectiveCost")).isEqualTo("0.005000000");
        assertThat(gpt1.get("ConsumedQuantity")).isEqualTo("3000"); // 2 * (1,000 + 500)
        assertThat(gpt1.get("ConsumedUnit")).isEqualTo("Tokens");
        assertThat(gpt1.get("x_Calls")).isEqualTo("2");
        assertThat(gpt1.get("x_InputTokens")).isEqualTo("2000");
        assertThat(gpt1.get("x_OutputTokens")).isEqualTo("1000");
        assertThat(gpt1.get("ProviderName")).isEqualTo("openai");
        assertThat(gpt1.get("ResourceId")).isNull();
        Map<String, String> unpriced = find(rows, "search", "2023-08-01T00:00:00Z", "gpt-unpriced");
        assertThat(unpriced.get("EffectiveCost")).isEqualTo("0.000000000");
        assertThat(unpriced.get("x_UnpricedCalls")).isEqualTo("1");
        assertThat(unpriced.get("ChargeDescription")).contains(","); // quoted in the file, read back whole
        assertThat(find(rows, "search", "2023-08-02T00:00:00Z", "gpt-3.5-turbo").get("EffectiveCost")).isEqualTo("0.002500000");

        // GPU cost once per deployment row: never a busy and an idle row that add up twice
        List<Map<String, String>> infra = rows.stream().filter(r -> r.get("SubAccountId").equals("infra")).toList();
        assertThat(infra).hasSize(1);
        Map<String, String> llama = infra.get(0);
        assertThat(llama.get("EffectiveCost")).isEqualTo("0.120000000");
        assertThat(llama.get("x_BusyCost")).isEqualTo("0.030000000");
        assertThat(llama.get("x_IdleCost")).isEqualTo("0.090000000");
        assertThat(llama.get("ResourceId")).isEqualTo("llama");
        assertThat(llama.get("x_GpuModel")).isEqualTo("A100-80GB");
        assertThat(llama.get("ConsumedQuantity")).isEqualTo("0.033333333"); // 120 s of GPU time in hours
        assertThat(llama.get("ConsumedUnit")).isEqualTo("Hours");
        assertThat(llama.get("x_Tokens")).isEqualTo("3000");
        assertThat(llama.get("ProviderName")).isEqualTo("self-hosted");

        // EffectiveCost summed per SubAccountId = the replay's total per team (= /cost for the range)
        Map<String, BigDecimal> sums = new TreeMap<>();
        rows.forEach(r -> sums.merge(r.get("SubAccountId"), new BigDecimal(r.get("EffectiveCost")), BigDecimal::add));
        assertThat(sums).containsOnlyKeys("infra", "search");
        assertThat(sums.get("search")).isEqualByComparingTo("0.0075"); // 0.005 + 0 + 0.0025
        assertThat(sums.get("infra")).isEqualByComparingTo("0.12");
        CliRun whatif = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-03", "--json");
        assertThat(whatif.exitCode()).as(whatif.toString()).isZero();
        for (JsonNode team : JSON.readTree(whatif.out()).get("teams")) {
            BigDecimal total = new BigDecimal(team.at("/actual/api_cost_usd").asText()).add(new BigDecimal(team.at("/actual/gpu_cost_usd").asText()));
            assertThat(sums.get(team.get("team").asText())).as(team.get("team").asText()).isEqualByComparingTo(total);
        }
    }

    @Test
    void apiRowsAreSplitByTheCallsAttributionLabelsWhichTagsHold() throws Exception {
        Path events = dir.resolve("labelled.jsonl");
        Files.writeString(events, String.join("\n",
                labelled("l1", "2023-08-01T10:00:00Z", "{\"customer\":\"acme\",\"request_id\":\"r-1\"}"),
                labelled("l2", "2023-08-01T10:05:00Z", "{\"customer\":\"acme\",\"request_id\":\"r-2\"}"),
                labelled("l3", "2023-08-01T11:00:00Z", "{\"feature\":\"chat\",\"customer\":\"globex\"}"),
                call("l4", "2023-08-01T12:00:00Z", "search", "openai", "gpt-3.5-turbo")) + "\n", StandardCharsets.UTF_8);
        CliRun run = CliRun.of("export", "focus", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-02", "--output", "-");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        List<Map<String, String>> rows = parse(run.out());
        checkFocusRules(rows, Instant.parse("2023-08-01T00:00:00Z"), Instant.parse("2023-08-02T00:00:00Z"), Duration.ofDays(1));
        // each call: 1,000 in + 500 out of gpt-3.5-turbo = $0.0025; request_id is not an attribution key: not a tag
        assertThat(rows).extracting(r -> r.get("Tags") + " " + r.get("x_Calls") + " " + r.get("EffectiveCost")).containsExactly(
                "{\"customer\":\"acme\"} 2 0.005000000",
                "{\"customer\":\"globex\",\"feature\":\"chat\"} 1 0.002500000",
                "{} 1 0.002500000");
    }

    private static String labelled(String id, String ts, String labels) {
        return call(id, ts, "search", "openai", "gpt-3.5-turbo").replace("}", ",\"labels\":" + labels + "}");
    }

    @Test
    void hourlyRowsSplitByHourAndStayWithinTheRange() throws Exception {
        Path csv = dir.resolve("hourly.csv");
        CliRun run = CliRun.of("export", "focus", "--events", events().toString(), "--from", "2023-08-01T10:00:00Z",
                "--to", "2023-08-01T12:00:00Z", "--granularity", "hour", "--team", "search", "--output", csv.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        List<Map<String, String>> rows = parse(Files.readString(csv, StandardCharsets.UTF_8));
        checkFocusRules(rows, Instant.parse("2023-08-01T10:00:00Z"), Instant.parse("2023-08-01T12:00:00Z"), Duration.ofHours(1));
        assertThat(rows).extracting(r -> r.get("ChargePeriodStart") + " " + r.get("x_Model") + " " + r.get("EffectiveCost"))
                .containsExactly("2023-08-01T10:00:00Z gpt-3.5-turbo 0.005000000", "2023-08-01T11:00:00Z gpt-unpriced 0.000000000");
    }

    @Test
    void usageMistakesAndAnEmptyRangeExitWithTwo() throws Exception {
        String events = events().toString();
        String out = dir.resolve("x.csv").toString();
        assertThat(CliRun.of("export", "focus", "--events", events, "--from", "2023-09-01", "--to", "2023-09-02", "--output", out)
                .exitCode()).isEqualTo(2);
        assertThat(CliRun.of("export", "focus", "--events", events, "--from", "2023-08-02", "--to", "2023-08-01", "--output", out)
                .exitCode()).isEqualTo(2);
        assertThat(CliRun.of("export", "focus", "--events", events, "--from", "2023-08-01", "--to", "2023-08-02", "--output", out,
                "--granularity", "week").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("export", "focus", "--events", events, "--from", "2023-08-01T10:30:00Z", "--to", "2023-08-02",
                "--output", out).exitCode()).isEqualTo(2);
        assertThat(CliRun.of("export", "focus", "--events", dir.resolve("missing.jsonl").toString(), "--from", "2023-08-01",
                "--to", "2023-08-02", "--output", out).exitCode()).isEqualTo(2);
        assertThat(Files.exists(Path.of(out))).isFalse();
        assertThat(CliRun.of("export").exitCode()).isEqualTo(2); // no format named
    }

    @Test
    void writesToStdoutWithDash() throws Exception {
        CliRun run = CliRun.of("export", "focus", "--events", events().toString(), "--from", "2023-08-01", "--to", "2023-08-02",
                "--team", "infra", "--output", "-");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        List<Map<String, String>> rows = parse(run.out());
        assertThat(rows).extracting(r -> r.get("SubAccountId") + " " + r.get("ResourceId") + " " + r.get("EffectiveCost"))
                .containsExactly("infra llama 0.120000000");
    }

    // ---- the rules, in code

    private static void checkFocusRules(List<Map<String, String>> rows, Instant from, Instant to, Duration period) {
        assertThat(rows).isNotEmpty();
        Set<String> header = rows.get(0).keySet();
        assertThat(header).containsAll(MANDATORY.keySet());
        for (String column : header) {
            assertThat(MANDATORY.containsKey(column) || OPTIONAL.containsKey(column) || column.startsWith("x_"))
                    .as("column %s is FOCUS or x_-prefixed", column).isTrue();
        }
        Set<String> keys = new HashSet<>();
        for (Map<String, String> row : rows) {
            for (String column : header) {
                Rule rule = MANDATORY.getOrDefault(column, OPTIONAL.get(column));
                String value = row.get(column);
                if (rule == null) {
                    continue;
                }
                if (value == null) {
                    assertThat(rule.nullable()).as("%s may be null (%s)", column, row).isTrue();
                    continue;
                }
                switch (rule.type()) {
                    case DECIMAL -> assertThat(value).as(column).matches(DECIMAL);
                    case DATETIME -> assertThat(value).as(column).matches(DATETIME);
                    case JSON -> assertThat(parseJson(value).isObject()).as(column).isTrue();
                    case STRING -> assertThat(value).as(column).isNotEmpty();
                }
                if (rule.allowed() != null) {
                    assertThat(rule.allowed()).as(column).contains(value);
                }
            }
            // ConsumedQuantity: not null for Usage rows that are not corrections; its unit null exactly when it is
            if (row.get("ChargeCategory").equals("Usage") && row.get("ChargeClass") == null) {
                assertThat(row.get("ConsumedQuantity")).isNotNull();
                assertThat(row.get("PricingQuantity")).isNotNull();
            }
            assertThat(row.get("ConsumedUnit") == null).isEqualTo(row.get("ConsumedQuantity") == null);
            assertThat(row.get("PricingUnit") == null).isEqualTo(row.get("PricingQuantity") == null);
            // no discounts or contracts: the four costs agree, and are not negative
            BigDecimal billed = new BigDecimal(row.get("BilledCost"));
            assertThat(billed.signum()).isNotNegative();
            for (String c : List.of("EffectiveCost", "ListCost", "ContractedCost")) {
                assertThat(new BigDecimal(row.get(c))).as(c).isEqualByComparingTo(billed);
            }
            // periods: the billing period is the UTC month holding the charge period; the charge period one hour/day within [from, to)
            Instant chargeStart = Instant.parse(row.get("ChargePeriodStart"));
            Instant chargeEnd = Instant.parse(row.get("ChargePeriodEnd"));
            Instant billingStart = Instant.parse(row.get("BillingPeriodStart"));
            Instant billingEnd = Instant.parse(row.get("BillingPeriodEnd"));
            ZonedDateTime month = chargeStart.atZone(ZoneOffset.UTC).withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC);
            assertThat(billingStart).isEqualTo(month.toInstant());
            assertThat(billingEnd).isEqualTo(month.plusMonths(1).toInstant());
            assertThat(chargeStart).isBefore(chargeEnd).isAfterOrEqualTo(from);
            assertThat(chargeEnd).isBeforeOrEqualTo(to).isBeforeOrEqualTo(billingEnd);
            assertThat(Duration.between(chargeStart, chargeEnd)).isEqualTo(period);
            // one row per team, period and model (and set of labels) or deployment
            String what = row.get("ResourceId") != null ? "deployment " + row.get("ResourceId")
                    : row.get("ProviderName") + "/" + row.get("x_Model") + " " + row.get("Tags");
            assertThat(keys.add(row.get("SubAccountId") + " " + chargeStart + " " + what)).as("unique row %s", what).isTrue();
        }
    }

    private static JsonNode parseJson(String value) {
        try {
            return JSON.readTree(value);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + value, e);
        }
    }

    private static Map<String, String> find(List<Map<String, String>> rows, String team, String start, String model) {
        return rows.stream().filter(r -> r.get("SubAccountId").equals(team) && r.get("ChargePeriodStart").equals(start)
                && model.equals(r.get("x_Model"))).findFirst().orElseThrow(() -> new AssertionError("no row " + team + " " + start + " " + model));
    }

    /** RFC 4180: CRLF records, quoted fields with doubled quotes; an empty unquoted field is null. */
    static List<Map<String, String>> parse(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
                i++;
                continue;
            }
            if (c == '"') {
                assertThat(field.length()).as("quote inside an unquoted field").isZero();
                quoted = true;
                wasQuoted = true;
            } else if (c == ',' || c == '\r') {
                record.add(field.length() == 0 && !wasQuoted ? null : field.toString());
                field.setLength(0);
                wasQuoted = false;
                if (c == '\r') {
                    assertThat(text.charAt(i + 1)).as("CRLF").isEqualTo('\n');
                    records.add(record);
                    record = new ArrayList<>();
                    i++;
                }
            } else {
                assertThat(c).as("bare LF").isNotEqualTo('\n');
                field.append(c);
            }
            i++;
        }
        assertThat(quoted).as("unterminated quote").isFalse();
        List<String> header = records.get(0);
        List<Map<String, String>> rows = new ArrayList<>();
        for (List<String> r : records.subList(1, records.size())) {
            assertThat(r).hasSameSizeAs(header);
            Map<String, String> row = new LinkedHashMap<>();
            for (int k = 0; k < header.size(); k++) {
                row.put(header.get(k), r.get(k));
            }
            rows.add(row);
        }
        return rows;
    }

    private static String call(String id, String ts, String team, String provider, String model) {
        return "{\"type\":\"token_usage\",\"event_id\":\"" + id + "\",\"timestamp\":\"" + ts + "\",\"team\":\"" + team
                + "\",\"application\":\"app\",\"provider\":\"" + provider + "\",\"model\":\"" + model
                + "\",\"input_tokens\":1000,\"output_tokens\":500}";
    }

    private static String gpu(String ts) {
        return "{\"type\":\"gpu_utilization\",\"timestamp\":\"" + ts + "\",\"node\":\"gpu-1\",\"gpu_id\":\"0\",\"gpu_model\":\"A100-80GB\","
                + "\"team\":\"infra\",\"deployment\":\"llama\",\"model\":\"llama-2-70b\",\"utilization\":0.25,"
                + "\"interval_seconds\":60,\"usd_per_hour\":\"3.60\"}";
    }
}
