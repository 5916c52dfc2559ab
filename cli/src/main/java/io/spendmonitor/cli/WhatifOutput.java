package io.spendmonitor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.spendmonitor.producers.text.TextTable;
import io.spendmonitor.streams.replay.WhatifReport;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code whatif}'s report as a table, one JSON document, CSV rows or a self-contained HTML page. */
final class WhatifOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private WhatifOutput() {
    }

    // ---- JSON: {"from","to","teams":[{"team","actual","alternative","switches":[...]}]}, money as decimal strings

    static String json(WhatifReport report) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("from", report.from().toString());
        doc.put("to", report.to().toString());
        List<Object> teams = new ArrayList<>();
        for (WhatifReport.TeamReport t : report.teams()) {
            Map<String, Object> team = new LinkedHashMap<>();
            team.put("team", t.team());
            team.put("actual", totals(t.actual()));
            team.put("alternative", totals(t.alternative()));
            List<Object> switches = new ArrayList<>();
            for (WhatifReport.Switch s : t.switches()) {
                switches.add(switchJson(s));
            }
            team.put("switches", switches);
            teams.add(team);
        }
        doc.put("teams", teams);
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> totals(WhatifReport.Totals t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("windows", t.windows());
        m.put("api_cost_usd", t.apiUsd().toPlainString());
        m.put("gpu_cost_usd", t.gpuUsd().toPlainString());
        m.put("busy_cost_usd", t.busyUsd().toPlainString());
        m.put("idle_cost_usd", t.idleUsd().toPlainString());
        Map<String, Object> tokens = new LinkedHashMap<>();
        tokens.put("input", t.inputTokens());
        tokens.put("cached", t.cachedInputTokens());
        tokens.put("cache_write", t.cacheWriteInputTokens());
        tokens.put("output", t.outputTokens());
        m.put("tokens", tokens);
        m.put("selfhost_tokens", t.selfhostTokens());
        m.put("api_calls", t.apiCalls());
        m.put("unpriced_calls", t.unpricedCalls());
        return m;
    }

    private static Map<String, Object> switchJson(WhatifReport.Switch s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("profile", s.profile());
        m.put("mode", s.mode());
        m.put("api_model", s.apiModel());
        m.put("self_host_cost_usd", s.selfHostCostUsd().toPlainString());
        m.put("api_cost_usd", s.apiCostUsd().toPlainString());
        m.put("ratio", s.ratio() == null ? null : round4(s.ratio()));
        m.put("savings_usd", s.savingsUsd().toPlainString());
        m.put("replicas_peak", s.replicasPeak());
        m.put("breakeven_tokens_per_day", s.breakevenTokensPerDay());
        m.put("hours_cheaper", s.hoursCheaper());
        return m;
    }

    private static double round4(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }

    // ---- CSV: one row per team and profile (a team without applicable profiles has one row, profile empty)

    static final String CSV_HEADER = "team,actual_api_usd,actual_gpu_usd,actual_idle_usd,alternative_api_usd,alternative_gpu_usd,"
            + "alternative_idle_usd,input_tokens,cached_tokens,cache_write_tokens,output_tokens,api_calls,unpriced_calls,"
            + "profile,gpu_model,mode,api_model,self_host_cost_usd,api_cost_usd,ratio,savings_usd,replicas_peak,"
            + "breakeven_tokens_per_day,hours_cheaper,hours";

    static List<String> csv(WhatifReport report) {
        List<String> rows = new ArrayList<>();
        rows.add(CSV_HEADER);
        for (WhatifReport.TeamReport t : report.teams()) {
            WhatifReport.Totals a = t.actual();
            WhatifReport.Totals b = t.alternative();
            String prefix = String.join(",", csvField(t.team()), s(a.apiUsd()), s(a.gpuUsd()), s(a.idleUsd()), s(b.apiUsd()),
                    s(b.gpuUsd()), s(b.idleUsd()), String.valueOf(b.inputTokens()), String.valueOf(b.cachedInputTokens()),
                    String.valueOf(b.cacheWriteInputTokens()), String.valueOf(b.outputTokens()), String.valueOf(b.apiCalls()),
                    String.valueOf(b.unpricedCalls()));
            if (t.switches().isEmpty()) {
                rows.add(prefix + ",,,,,,,,,,,,");
            }
            for (WhatifReport.Switch sw : t.switches()) {
                rows.add(String.join(",", prefix, csvField(sw.profile()), csvField(sw.gpuModel()), sw.mode(), csvField(sw.apiModel()),
                        s(sw.selfHostCostUsd()), s(sw.apiCostUsd()), sw.ratio() == null ? "" : String.valueOf(round4(sw.ratio())),
                        s(sw.savingsUsd()), String.valueOf(sw.replicasPeak()),
                        sw.breakevenTokensPerDay() == null ? "" : String.valueOf(sw.breakevenTokensPerDay()),
                        String.valueOf(sw.hoursCheaper()), String.valueOf(sw.hours())));
            }
        }
        return rows;
    }

    /** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs a team name as a formula. */
    static String csvField(String v) {
        if (v == null) {
            return "";
        }
        String out = v;
        if (!out.isEmpty() && "=+-@".indexOf(out.charAt(0)) >= 0) {
            out = "'" + out;
        }
        if (out.contains(",") || out.contains("\"") || out.contains("\n") || out.contains("\r")) {
            out = "\"" + out.replace("\"", "\"\"") + "\"";
        }
        return out;
    }

    private static String s(BigDecimal v) {
        return v.toPlainString();
    }

    // ---- table

    static List<String> table(WhatifReport report, boolean alternative) {
        List<String> lines = new ArrayList<>();
        lines.add("What if: " + report.from() + " to " + report.to() + (alternative ? " (actual catalog vs alternative)" : " (actual catalog)"));
        lines.add("");
        Table totals = alternative
                ? new Table(1, "TEAM", "ACTUAL API", "ACTUAL GPU", "IDLE", "ALT API", "ALT GPU", "CHANGE", "CALLS", "UNPRICED", "TOKENS IN", "TOKENS OUT")
                : new Table(1, "TEAM", "API", "GPU", "BUSY", "IDLE", "CALLS", "UNPRICED", "TOKENS IN", "CACHED", "TOKENS OUT");
        for (WhatifReport.TeamReport t : report.teams()) {
            WhatifReport.Totals a = t.actual();
            WhatifReport.Totals b = t.alternative();
            if (alternative) {
                totals.row(t.team(), money(a.apiUsd()), money(a.gpuUsd()), money(a.idleUsd()), money(b.apiUsd()), money(b.gpuUsd()),
                        signed(b.totalUsd().subtract(a.totalUsd())), n(b.apiCalls()), n(b.unpricedCalls()), n(b.inputTokens()),
                        n(b.outputTokens()));
            } else {
                totals.row(t.team(), money(a.apiUsd()), money(a.gpuUsd()), money(a.busyUsd()), money(a.idleUsd()), n(a.apiCalls()),
                        n(a.unpricedCalls()), n(a.inputTokens()), n(a.cachedInputTokens()), n(a.outputTokens()));
            }
        }
        lines.addAll(totals.render());
        boolean any = report.teams().stream().anyMatch(t -> !t.switches().isEmpty());
        if (any) {
            lines.add("");
            lines.add("Self-hosting instead" + (alternative ? " (alternative catalog)" : "") + ": ratio = API cost / self-host cost "
                    + "(above 1: self-hosting is cheaper); savings = API - self-host");
            lines.add("");
            Table switches = new Table(5, "TEAM", "PROFILE", "GPU", "MODE", "API MODEL", "API COST", "SELF-HOST", "RATIO",
                    "SAVINGS", "REPLICAS", "BREAK-EVEN TOK/DAY", "HOURS CHEAPER");
            for (WhatifReport.TeamReport t : report.teams()) {
                for (WhatifReport.Switch s : t.switches()) {
                    switches.row(t.team(), s.profile(), s.gpuModel(), s.mode(), s.apiModel(), money(s.apiCostUsd()),
                            money(s.selfHostCostUsd()), s.ratio() == null ? "-" : String.format(Locale.ROOT, "%.3f", s.ratio()),
                            signed(s.savingsUsd()), s.mode().equals("API") ? String.valueOf(s.replicasPeak()) : "-",
                            s.breakevenTokensPerDay() == null ? "never" : n(s.breakevenTokensPerDay()),
                            s.hoursCheaper() + " of " + s.hours());
                }
            }
            lines.addAll(switches.render());
        }
        return lines;
    }

    /** Rows for {@link TextTable}: the first {@code textColumns} columns left-aligned, the numbers right-aligned. */
    private static final class Table {
        private final List<List<String>> rows = new ArrayList<>();
        private final int textColumns;

        Table(int textColumns, String... header) {
            this.textColumns = textColumns;
            rows.add(List.of(header));
        }

        void row(String... cells) {
            rows.add(List.of(cells));
        }

        List<String> render() {
            boolean[] right = new boolean[rows.get(0).size()];
            for (int i = textColumns; i < right.length; i++) {
                right[i] = true;
            }
            return TextTable.align(rows, right);
        }
    }

    /** Dollars with cents; amounts under $1 keep up to 6 decimals, so a test's $0.000750 is not shown as $0.00. */
    static String money(BigDecimal usd) {
        if (usd.abs().compareTo(BigDecimal.ONE) < 0 && usd.signum() != 0) {
            BigDecimal v = usd.setScale(6, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros();
            return "$" + (v.scale() < 2 ? v.setScale(2) : v).toPlainString();
        }
        return "$" + String.format(Locale.ROOT, "%,.2f", usd);
    }

    private static String signed(BigDecimal usd) {
        return (usd.signum() > 0 ? "+" : usd.signum() < 0 ? "-" : "") + money(usd.abs());
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    // ---- HTML: one self-contained page, an inline SVG chart per team, no scripts, nothing fetched

    static String html(WhatifReport report, boolean alternative) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>spend-monitor what if</title>\n<style>")
                .append("body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}")
                .append(".legend span{display:inline-block;margin-right:16px}.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}")
                .append("</style></head><body>\n");
        h.append("<h1>What if</h1><p>").append(esc(report.from().toString())).append(" to ").append(esc(report.to().toString()))
                .append(": ").append(report.eventsRead()).append(" events read, ").append(report.eventsInRange())
                .append(" in range. Daily spend under the actual catalog")
                .append(alternative ? ", under the alternative catalog" : "")
                .append(", self-hosted with the cheapest profile and that traffic on the profile's API model; the second chart shows the team's daily tokens against the profile's break-even volume.</p>\n");
        for (WhatifReport.TeamReport t : report.teams()) {
            h.append("<h2>").append(esc(t.team())).append("</h2>\n<table><tr><th></th><th>API</th><th>GPU</th><th>idle</th><th>calls</th><th>unpriced</th></tr>");
            row(h, "actual", t.actual());
            if (alternative) {
                row(h, "alternative", t.alternative());
            }
            h.append("</table>\n");
            WhatifReport.Switch best = null;
            for (WhatifReport.Switch s : t.switches()) {
                if (best == null || s.selfHostCostUsd().compareTo(best.selfHostCostUsd()) < 0) {
                    best = s;
                }
            }
            if (!t.switches().isEmpty()) {
                h.append("<table><tr><th>profile</th><th>mode</th><th>API cost</th><th>self-host</th><th>ratio</th><th>savings</th>")
                        .append("<th>break-even tokens/day</th><th>hours cheaper</th></tr>");
                for (WhatifReport.Switch s : t.switches()) {
                    h.append("<tr><td>").append(esc(s.profile() + " on " + s.gpuModel())).append("</td><td>").append(s.mode())
                            .append("</td><td>").append(money(s.apiCostUsd())).append("</td><td>").append(money(s.selfHostCostUsd()))
                            .append("</td><td>").append(s.ratio() == null ? "-" : String.format(Locale.ROOT, "%.3f", s.ratio()))
                            .append("</td><td>").append(signed(s.savingsUsd())).append("</td><td>")
                            .append(s.breakevenTokensPerDay() == null ? "never" : n(s.breakevenTokensPerDay()))
                            .append("</td><td>").append(s.hoursCheaper()).append(" of ").append(s.hours()).append("</td></tr>");
                }
                h.append("</table>\n");
            }
            h.append(spendChart(t, best, alternative));
            if (best != null) {
                h.append(volumeChart(t, best));
            }
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String label, WhatifReport.Totals t) {
        h.append("<tr><td>").append(label).append("</td><td>").append(money(t.apiUsd())).append("</td><td>").append(money(t.gpuUsd()))
                .append("</td><td>").append(money(t.idleUsd())).append("</td><td>").append(n(t.apiCalls())).append("</td><td>")
                .append(n(t.unpricedCalls())).append("</td></tr>");
    }

    private static final int W = 720;
    private static final int H = 220;
    private static final int PAD = 48;

    private static String spendChart(WhatifReport.TeamReport t, WhatifReport.Switch best, boolean alternative) {
        List<LocalDate> days = new ArrayList<>();
        t.days().forEach(d -> days.add(d.date()));
        if (best != null) {
            best.dailySelfHostUsd().keySet().stream().filter(d -> !days.contains(d)).forEach(days::add);
        }
        days.sort(null);
        if (days.isEmpty()) {
            return "";
        }
        Map<LocalDate, Double> actual = new LinkedHashMap<>();
        Map<LocalDate, Double> alt = new LinkedHashMap<>();
        Map<LocalDate, Double> self = new LinkedHashMap<>();
        Map<LocalDate, Double> onApi = new LinkedHashMap<>();
        for (WhatifReport.Day d : t.days()) {
            actual.put(d.date(), d.actualUsd().doubleValue());
            alt.put(d.date(), d.alternativeUsd().doubleValue());
        }
        if (best != null) {
            best.dailySelfHostUsd().forEach((d, v) -> self.put(d, v.doubleValue()));
            best.dailyApiUsd().forEach((d, v) -> onApi.put(d, v.doubleValue()));
        }
        List<Series> series = new ArrayList<>();
        series.add(new Series("actual", "#1f77b4", actual));
        if (alternative) {
            series.add(new Series("alternative", "#ff7f0e", alt));
        }
        if (best != null) {
            series.add(new Series("self-hosted " + best.profile() + " on " + best.gpuModel(), "#2ca02c", self));
            series.add(new Series("its tokens on " + best.apiModel(), "#8c564b", onApi));
        }
        return chart("Daily spend, USD", days, series, null);
    }

    private static String volumeChart(WhatifReport.TeamReport t, WhatifReport.Switch best) {
        List<LocalDate> days = new ArrayList<>();
        Map<LocalDate, Double> tokens = new LinkedHashMap<>();
        for (WhatifReport.Day d : t.days()) {
            days.add(d.date());
            tokens.put(d.date(), (double) d.tokens());
        }
        if (days.isEmpty()) {
            return "";
        }
        Double line = best.breakevenTokensPerDay() == null ? null : best.breakevenTokensPerDay().doubleValue();
        return chart("Tokens a day (input + output) vs break-even of " + best.profile()
                        + (line == null ? " (never breaks even)" : ""), days,
                List.of(new Series("team tokens/day", "#9467bd", tokens)), line);
    }

    private record Series(String name, String color, Map<LocalDate, Double> values) {
    }

    private static String chart(String title, List<LocalDate> days, List<Series> series, Double horizontal) {
        double max = horizontal == null ? 0 : horizontal;
        for (Series s : series) {
            for (double v : s.values().values()) {
                max = Math.max(max, v);
            }
        }
        if (max <= 0) {
            max = 1;
        }
        max *= 1.1;
        StringBuilder svg = new StringBuilder();
        svg.append("<h3>").append(esc(title)).append("</h3><div class=\"legend\">");
        for (Series s : series) {
            svg.append("<span><i class=\"sw\" style=\"background:").append(s.color()).append("\"></i>").append(esc(s.name())).append("</span>");
        }
        if (horizontal != null) {
            svg.append("<span><i class=\"sw\" style=\"background:#d62728\"></i>break-even volume (").append(n(Math.round(horizontal)))
                    .append(" tokens/day)</span>");
        }
        svg.append("</div>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">");
        svg.append("<rect x=\"0\" y=\"0\" width=\"").append(W).append("\" height=\"").append(H).append("\" fill=\"#fff\"/>");
        int plotW = W - 2 * PAD;
        int plotH = H - 2 * PAD;
        svg.append(line(PAD, H - PAD, W - PAD, H - PAD, "#888")).append(line(PAD, PAD, PAD, H - PAD, "#888"));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            double y = H - PAD - plotH * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>", PAD - 4, y + 3,
                    esc(axis(v))));
        }
        int n = days.size();
        double step = n == 1 ? 0 : (double) plotW / (n - 1);
        int labelEvery = Math.max(1, (n + 6) / 7);
        for (int i = 0; i < n; i += labelEvery) {
            double x = PAD + (n == 1 ? plotW / 2.0 : i * step);
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x, H - PAD + 14,
                    days.get(i).toString().substring(5)));
        }
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < n; i++) {
                double v = s.values().getOrDefault(days.get(i), 0.0);
                double x = PAD + (n == 1 ? plotW / 2.0 : i * step);
                double y = H - PAD - plotH * v / max;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x, y, s.color()));
            }
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(s.color()).append("\" points=\"")
                    .append(points.toString().trim()).append("\"/>");
        }
        if (horizontal != null) {
            double y = H - PAD - plotH * horizontal / max;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"6 4\" stroke-width=\"2\"/>",
                    PAD, y, W - PAD, y));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String line(int x1, int y1, int x2, int y2, String color) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"" + color + "\"/>";
    }

    private static String axis(double v) {
        if (v >= 1e9) {
            return String.format(Locale.ROOT, "%.1fG", v / 1e9);
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, v >= 10 ? "%.0f" : "%.2f", v);
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
