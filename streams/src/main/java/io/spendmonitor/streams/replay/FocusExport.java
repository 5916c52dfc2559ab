package io.spendmonitor.streams.replay;

import io.spendmonitor.streams.cost.FemtoSum;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.TeamWindow;

import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * FOCUS 1.2 rows from the final windows of a replay (see {@link WhatifReplay#onActualWindow}):
 * one row per team, charge period (hour or UTC day), API provider/model and (with {@link #tagging})
 * set of attribution labels, which Tags holds, and one per team,
 * period and self-hosted deployment. A deployment's GPU cost is its row's cost, once: the idle
 * part of it is shown in {@code x_IdleCost}, never as a row of its own. Money is the exact sum
 * of the windows' femto-dollars (no rounding), so the rows of a team add up to the replay's total.
 * Memory: one accumulator per row, not per event.
 */
public final class FocusExport {
    /** Charge period length. */
    public enum Granularity { HOUR, DAY }

    /** The columns, in the file's order: FOCUS 1.2 columns, then the {@code x_} ones of spend-monitor. */
    public static final List<String> COLUMNS = List.of(
            "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
            "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
            "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
            "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ResourceId", "ResourceName", "ResourceType",
            "ServiceCategory", "ServiceName", "ServiceSubcategory", "SubAccountId", "SubAccountName", "Tags",
            "x_Model", "x_Deployment", "x_GpuModel", "x_Calls", "x_UnpricedCalls", "x_InputTokens", "x_CachedInputTokens",
            "x_CacheWriteInputTokens", "x_OutputTokens", "x_Tokens", "x_GpuHours", "x_BusyGpuHours", "x_BusyCost", "x_IdleCost");

    static final String SELF_HOSTED = "self-hosted";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private final Instant from;
    private final Instant to;
    private final Granularity granularity;
    private final String billingAccount;
    /** Key: team, period start, kind (0 API, 1 deployment), name: sorted, so the file is in a stable order. */
    private final TreeMap<Key, Row> rows = new TreeMap<>();
    /** Per team the API and the GPU cost of its rows: [0] API, [1] GPU. */
    private final Map<String, FemtoSum[]> teamTotals = new TreeMap<>();

    private record Key(String team, long periodStart, int kind, String name) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = team.compareTo(o.team);
            if (c == 0) {
                c = Long.compare(periodStart, o.periodStart);
            }
            if (c == 0) {
                c = Integer.compare(kind, o.kind);
            }
            return c != 0 ? c : name.compareTo(o.name);
        }
    }

    private static final class Row {
        String provider;
        String model;
        String deployment;
        String gpuModel;
        long calls;
        long unpriced;
        long input;
        long cached;
        long cacheWrite;
        long output;
        long tokens;
        double gpuSeconds;
        double busyGpuSeconds;
        final FemtoSum cost = new FemtoSum();
        final FemtoSum busy = new FemtoSum();
        /** FOCUS Tags: the labels of the row's calls as a JSON object. */
        String tags = "{}";
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** Null: API rows come from the windows (no Tags); else the label keys that split API rows into Tags. */
    private java.util.Set<String> tagKeys;

    /**
     * API rows from the calls ({@link #addCall}, see {@link WhatifReplay#onActualCall}) instead of the
     * windows, one per set of {@code tagKeys} labels, which the row's Tags hold: what finance splits
     * the bill by. Deployment rows still come from the windows.
     */
    public FocusExport tagging(java.util.Set<String> tagKeys) {
        this.tagKeys = java.util.Set.copyOf(tagKeys);
        return this;
    }

    /** Folds one counted API call in (a {@link ReplayTask.CallSink}); only after {@link #tagging}. */
    public void addCall(String team, long windowStartMs, io.spendmonitor.streams.cost.Pricing.PricedCall priced,
                        Map<String, String> labels) {
        if (tagKeys == null) {
            throw new IllegalStateException("addCall needs tagging(keys)");
        }
        TreeMap<String, String> tags = new TreeMap<>();
        labels.forEach((key, value) -> {
            if (tagKeys.contains(key) && value != null) {
                tags.put(key, value);
            }
        });
        String json;
        try {
            json = JSON.writeValueAsString(tags);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        var call = priced.call();
        FemtoSum[] total = teamTotals.computeIfAbsent(team, t -> new FemtoSum[]{new FemtoSum(), new FemtoSum()});
        Row r = rows.computeIfAbsent(new Key(team, periodStart(windowStartMs), 0, TeamWindow.apiKey(call.provider(), call.model()) + "\u0000" + json),
                k -> new Row());
        r.provider = call.provider();
        r.model = call.model();
        r.tags = json;
        r.calls++;
        r.input = Math.addExact(r.input, call.tokens().input());
        r.cached = Math.addExact(r.cached, call.tokens().cached());
        r.cacheWrite = Math.addExact(r.cacheWrite, call.tokens().cacheWrite());
        r.output = Math.addExact(r.output, call.tokens().output());
        r.tokens = Math.addExact(r.tokens, call.tokens().throughputTokens());
        if (priced.outcome() == io.spendmonitor.streams.cost.Pricing.Outcome.PRICED) {
            r.cost.add(priced.costFemto());
            total[0].add(priced.costFemto());
        } else {
            r.unpriced++;
        }
    }

    public FocusExport(Instant from, Instant to, Granularity granularity, String billingAccount) {
        this.from = from;
        this.to = to;
        this.granularity = granularity;
        this.billingAccount = billingAccount;
    }

    /** Folds one final window of {@code team} in (a {@link ReplayTask.WindowSink}). */
    public void add(String team, TeamWindow w) {
        long period = periodStart(w.windowStartMs());
        FemtoSum[] total = teamTotals.computeIfAbsent(team, t -> new FemtoSum[]{new FemtoSum(), new FemtoSum()});
        for (TeamWindow.ModelStats m : tagKeys != null ? List.<TeamWindow.ModelStats>of() : w.apiModels().values()) {
            Row r = rows.computeIfAbsent(new Key(team, period, 0, TeamWindow.apiKey(m.provider, m.model)), k -> new Row());
            r.provider = m.provider;
            r.model = m.model;
            r.calls += m.calls;
            r.unpriced += m.unpricedCalls;
            r.input = Math.addExact(r.input, m.input);
            r.cached = Math.addExact(r.cached, m.cached);
            r.cacheWrite = Math.addExact(r.cacheWrite, m.cacheWrite);
            r.output = Math.addExact(r.output, m.output);
            r.tokens = Math.addExact(r.tokens, m.tokens().throughputTokens());
            r.cost.add(m.cost);
            total[0].add(m.cost);
        }
        for (TeamWindow.DeploymentStats d : w.deployments().values()) {
            Row r = rows.computeIfAbsent(new Key(team, period, 1, d.deployment), k -> new Row());
            r.provider = SELF_HOSTED;
            r.deployment = d.deployment;
            if (d.model != null) {
                r.model = d.model;
            }
            if (d.gpuModel != null) {
                r.gpuModel = d.gpuModel;
            }
            r.tokens = Math.addExact(r.tokens, d.tokens);
            r.gpuSeconds += d.gpuSeconds;
            r.busyGpuSeconds += d.busyGpuSeconds;
            r.cost.add(d.gpuCost);
            r.busy.add(d.busyCost);
            total[1].add(d.gpuCost);
        }
    }

    /**
     * EffectiveCost summed per SubAccountId (team), exact, split as /cost splits it: [0] the API rows,
     * [1] the deployment rows (GPU). /cost rounds each to the nano-dollar.
     */
    public Map<String, BigDecimal[]> teamTotals() {
        Map<String, BigDecimal[]> result = new TreeMap<>();
        teamTotals.forEach((team, sum) -> result.put(team, new BigDecimal[]{sum[0].usd(), sum[1].usd()}));
        return result;
    }

    public int rowCount() {
        return rows.size();
    }

    private long periodStart(long windowStartMs) {
        long unit = granularity == Granularity.HOUR ? 3_600_000L : 86_400_000L;
        return windowStartMs - Math.floorMod(windowStartMs, unit);
    }

    /** The file: a header line, then one line per row; RFC 4180 (CRLF, fields quoted when they must be). */
    public void write(Writer out) throws IOException {
        line(out, COLUMNS);
        for (Map.Entry<Key, Row> e : rows.entrySet()) {
            line(out, values(e.getKey(), e.getValue()));
        }
        out.flush();
    }

    private List<String> values(Key k, Row r) {
        long unit = granularity == Granularity.HOUR ? 3_600_000L : 86_400_000L;
        // the charge period: the hour or day, cut to [from, to) where those cut it
        Instant start = Instant.ofEpochMilli(Math.max(k.periodStart(), from.toEpochMilli()));
        Instant end = Instant.ofEpochMilli(Math.min(k.periodStart() + unit, to.toEpochMilli()));
        ZonedDateTime month = start.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
        String cost = decimal(r.cost.usd());
        boolean api = k.kind() == 0;
        String[] v = new String[COLUMNS.size()];
        v[0] = cost; // BilledCost
        v[1] = billingAccount;
        v[2] = billingAccount;
        v[3] = "USD";
        v[4] = TIME.format(month.plusMonths(1).toInstant());
        v[5] = TIME.format(month.toInstant());
        v[6] = "Usage";
        v[7] = null; // ChargeClass: no row is a correction
        v[8] = api ? r.provider + " " + r.model + " tokens (" + r.calls + " calls"
                + (r.unpriced > 0 ? ", " + r.unpriced + " without a price in force" : "") + ")"
                : "GPU time of self-hosted deployment " + r.deployment + (r.model == null ? "" : " (" + r.model + ")")
                + (r.gpuModel == null ? "" : " on " + r.gpuModel);
        v[9] = "Usage-Based";
        v[10] = TIME.format(end);
        v[11] = TIME.format(start);
        String quantity = api ? Long.toString(r.tokens) : hours(r.gpuSeconds);
        String unitName = api ? "Tokens" : "Hours";
        v[12] = quantity; // ConsumedQuantity
        v[13] = unitName;
        v[14] = cost; // ContractedCost: no negotiated prices, the catalog's
        v[15] = cost; // EffectiveCost
        v[16] = r.provider; // InvoiceIssuerName
        v[17] = cost; // ListCost
        v[18] = quantity; // PricingQuantity
        v[19] = unitName;
        v[20] = r.provider; // ProviderName
        v[21] = r.provider; // PublisherName
        v[22] = api ? null : r.deployment; // ResourceId
        v[23] = api ? null : r.deployment;
        v[24] = api ? null : "GPU deployment";
        v[25] = "AI and Machine Learning";
        v[26] = api ? r.provider + " API" : "Self-hosted inference";
        v[27] = "Generative AI";
        v[28] = k.team(); // SubAccountId
        v[29] = k.team();
        v[30] = api ? r.tags : "{}"; // Tags: the calls' attribution labels; GPU time carries none
        v[31] = r.model;
        v[32] = r.deployment;
        v[33] = r.gpuModel;
        v[34] = api ? Long.toString(r.calls) : null;
        v[35] = api ? Long.toString(r.unpriced) : null;
        v[36] = api ? Long.toString(r.input) : null;
        v[37] = api ? Long.toString(r.cached) : null;
        v[38] = api ? Long.toString(r.cacheWrite) : null;
        v[39] = api ? Long.toString(r.output) : null;
        v[40] = Long.toString(r.tokens);
        v[41] = api ? null : hours(r.gpuSeconds);
        v[42] = api ? null : hours(r.busyGpuSeconds);
        v[43] = api ? null : decimal(r.busy.usd());
        v[44] = api ? null : decimal(Money.usd(r.cost.minus(r.busy)));
        return Arrays.asList(v);
    }

    /** Exact, plain notation, no trailing zeros beyond the nano-dollar (FOCUS Numeric Format). */
    static String decimal(BigDecimal usd) {
        BigDecimal d = usd.stripTrailingZeros();
        if (d.scale() < Money.OUTPUT_SCALE) {
            d = d.setScale(Money.OUTPUT_SCALE);
        }
        return d.toPlainString();
    }

    private static String hours(double seconds) {
        return BigDecimal.valueOf(seconds).divide(BigDecimal.valueOf(3600), 9, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static void line(Writer out, List<String> values) throws IOException {
        List<String> quoted = new ArrayList<>(values.size());
        for (String v : values) {
            quoted.add(field(v));
        }
        out.write(String.join(",", quoted));
        out.write("\r\n");
    }

    /** RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled; null is an empty field. */
    static String field(String v) {
        if (v == null) {
            return "";
        }
        if (v.isEmpty() || v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            return '"' + v.replace("\"", "\"\"") + '"';
        }
        return v;
    }
}
