package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code whatif} on JSON-lines archives with the bundled catalog: no Kafka needed. */
class WhatifCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * August 2023, gpt-3.5-turbo at $1.50 / $2.00 (from 2023-06-13): 2 calls of 1,000 in + 500 out =
     * 2 * (1,500 + 1,000) / 1e6 = $0.005, plus one copy of the first (dropped) and one call to a model
     * without a price (counted, unpriced). --prices sets gpt-3.5-turbo to $3.00 / $4.00 from the same
     * date (the same key: it replaces it): 2 * (3,000 + 2,000) / 1e6 = $0.01.
     */
    @Test
    void replaysAGzippedArchiveUnderTheBundledAndAnAlternativeCatalog() throws Exception {
        Path events = dir.resolve("aug.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(events))) {
            out.write(String.join("\n",
                    call("c1", "2023-08-01T10:00:00Z", "gpt-3.5-turbo"),
                    call("c1", "2023-08-01T10:00:00Z", "gpt-3.5-turbo"),
                    call("c2", "2023-08-01T10:01:00Z", "gpt-3.5-turbo"),
                    call("c3", "2023-08-01T10:02:00Z", "llama-on-someone-elses-gpu"),
                    "{\"type\":\"token_usage\",\"team\":\"broken\"}").getBytes(StandardCharsets.UTF_8));
        }
        Path prices = dir.resolve("prices.jsonl");
        Files.writeString(prices, "{\"type\":\"api_price\",\"provider\":\"openai\",\"model\":\"gpt-3.5-turbo\",\"input_usd_per_mtok\":\"3.00\","
                + "\"output_usd_per_mtok\":\"4.00\",\"effective_from\":\"2023-06-13T00:00:00Z\"}\n");

        CliRun run = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-02",
                "--prices", prices.toString(), "--profile", "llama-2-70b", "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).contains("line 5").contains("1 line rejected");
        JsonNode doc = JSON.readTree(run.out());
        assertThat(fields(doc)).containsExactly("from", "to", "teams");
        JsonNode team = doc.at("/teams/0");
        assertThat(fields(team)).containsExactly("team", "actual", "alternative", "switches");
        assertThat(team.at("/actual/api_cost_usd").asText()).isEqualTo("0.005000000");
        assertThat(team.at("/alternative/api_cost_usd").asText()).isEqualTo("0.010000000");
        assertThat(team.at("/actual/api_calls").asInt()).isEqualTo(3);
        assertThat(team.at("/actual/unpriced_calls").asInt()).isEqualTo(1);
        assertThat(team.at("/actual/tokens/input").asInt()).isEqualTo(3000);
        JsonNode sw = team.at("/switches/0");
        assertThat(fields(sw)).containsExactly("profile", "mode", "api_model", "self_host_cost_usd", "api_cost_usd", "ratio",
                "savings_usd", "replicas_peak", "breakeven_tokens_per_day", "hours_cheaper");
        assertThat(sw.get("profile").asText()).isEqualTo("llama-2-70b");
        assertThat(sw.get("api_model").asText()).isEqualTo("openai/gpt-3.5-turbo");
        assertThat(sw.get("api_cost_usd").asText()).isEqualTo("0.010000000");
        assertThat(sw.get("self_host_cost_usd").isTextual()).isTrue();
        assertThat(sw.get("hours_cheaper").asInt()).isZero();
    }

    @Test
    void writesCsvAndHtmlBesideTheTable() throws Exception {
        Path events = dir.resolve("e.jsonl");
        Files.writeString(events, call("c1", "2023-08-01T10:00:00Z", "gpt-3.5-turbo") + "\n");
        Path csv = dir.resolve("out.csv");
        Path html = dir.resolve("out.html");
        CliRun run = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-02",
                "--csv", csv.toString(), "--html", html.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("TEAM").contains("search").contains("$0.0025");
        List<String> rows = Files.readAllLines(csv);
        assertThat(rows.get(0)).isEqualTo(WhatifOutput.CSV_HEADER);
        assertThat(rows).hasSizeGreaterThan(1);
        assertThat(rows.get(1)).startsWith("search,0.002500000,");
        assertThat(WhatifOutput.csvField("=cmd|' /C calc'!A0")).isEqualTo("'=cmd|' /C calc'!A0"); // a formula is defused
        assertThat(WhatifOutput.csvField("a,\"b\"")).isEqualTo("\"a,\"\"b\"\"\"");
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg").doesNotContain("<script").contains("<h2>search</h2>");
    }

    @Test
    void badOptionsAndAnEmptyRangeExitWith2() throws Exception {
        Path events = dir.resolve("e.jsonl");
        Files.writeString(events, call("c1", "2023-08-01T10:00:00Z", "gpt-3.5-turbo") + "\n");
        CliRun backwards = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-02", "--to", "2023-08-01");
        assertThat(backwards.exitCode()).isEqualTo(2);
        assertThat(backwards.err()).contains("must be before --to");
        CliRun empty = CliRun.of("whatif", "--events", events.toString(), "--from", "2024-01-01", "--to", "2024-01-02");
        assertThat(empty.exitCode()).isEqualTo(2);
        assertThat(empty.err()).contains("no token-usage or GPU events between 2024-01-01T00:00:00Z and 2024-01-02T00:00:00Z");
        CliRun missing = CliRun.of("whatif", "--events", dir.resolve("nope.jsonl").toString(), "--from", "2023-08-01", "--to", "2023-08-02");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file");
        Path badPrices = dir.resolve("bad.jsonl");
        Files.writeString(badPrices, "{\"type\":\"api_price\",\"provider\":\"openai\"}\n");
        CliRun bad = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-01", "--to", "2023-08-02",
                "--prices", badPrices.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("bad line");
        CliRun noTo = CliRun.of("whatif", "--events", events.toString(), "--from", "2023-08-01");
        assertThat(noTo.exitCode()).isEqualTo(2);
    }

    private static String call(String id, String ts, String model) {
        return "{\"type\":\"token_usage\",\"event_id\":\"" + id + "\",\"timestamp\":\"" + ts + "\",\"team\":\"search"
                + "\",\"application\":\"app\",\"provider\":\"openai\",\"model\":\"" + model + "\",\"input_tokens\":1000,\"output_tokens\":500}";
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
