package io.spendmonitor.streams.replay;

import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The rows of {@link FocusExport}: RFC 4180 for any name, GPU cost once per deployment, exact sums. */
class FocusExportTest {
    private static final Instant FROM = Instant.parse("2026-03-02T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-03-03T00:00:00Z");
    private static final long T = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();

    /** Whatever a team, provider or model is called (commas, quotes, line breaks), the file reads back as written. */
    @Property(tries = 300)
    void anyNameSurvivesTheCsv(@ForAll @StringLength(min = 1, max = 20) String team,
                               @ForAll @StringLength(min = 1, max = 20) String provider,
                               @ForAll @StringLength(min = 1, max = 20) String model) throws Exception {
        FocusExport export = new FocusExport(FROM, TO, FocusExport.Granularity.DAY, "acct");
        TeamWindow w = new TeamWindow(T);
        w.addApiCall(provider, model, new TokenCounts(10, 0, 0, 5), 1_234L);
        export.add(team, w);
        StringWriter out = new StringWriter();
        export.write(out);
        List<List<String>> records = parse(out.toString());
        assertThat(records).hasSize(2);
        assertThat(records.get(0)).isEqualTo(FocusExport.COLUMNS);
        List<String> row = records.get(1);
        assertThat(row).hasSize(FocusExport.COLUMNS.size());
        assertThat(row.get(FocusExport.COLUMNS.indexOf("SubAccountId"))).isEqualTo(team);
        assertThat(row.get(FocusExport.COLUMNS.indexOf("ProviderName"))).isEqualTo(provider);
        assertThat(row.get(FocusExport.COLUMNS.indexOf("x_Model"))).isEqualTo(model);
        assertThat(row.get(FocusExport.COLUMNS.indexOf("EffectiveCost"))).isEqualTo("0.000000000001234"); // 1,234 femto-USD
    }

    /**
     * Two minute windows of one deployment: $0.04 of GPU time each, 30 % busy: one row of $0.08 with
     * x_BusyCost 0.024 and x_IdleCost 0.056 (0.08 - 0.024), never a busy and an idle row.
     */
    @Test
    void aDeploymentsGpuCostIsOneRow() throws Exception {
        FocusExport export = new FocusExport(FROM, TO, FocusExport.Granularity.HOUR, "acct");
        for (int minute = 0; minute < 2; minute++) {
            TeamWindow w = new TeamWindow(T + minute * 60_000L);
            // 60 s at $2.40/h = $0.04 = 4e13 femto; busy 30 % = 1.2e13
            w.addGpuSample("llama", "llama-3.1-8b", "H100-80GB", 60, 0.3, 40_000_000_000_000L, 12_000_000_000_000L);
            export.add("research", w);
        }
        StringWriter out = new StringWriter();
        export.write(out);
        List<List<String>> records = parse(out.toString());
        assertThat(records).hasSize(2);
        List<String> row = records.get(1);
        assertThat(row.get(FocusExport.COLUMNS.indexOf("EffectiveCost"))).isEqualTo("0.080000000");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("x_BusyCost"))).isEqualTo("0.024000000");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("x_IdleCost"))).isEqualTo("0.056000000");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("ChargePeriodStart"))).isEqualTo("2026-03-02T10:00:00Z");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("ChargePeriodEnd"))).isEqualTo("2026-03-02T11:00:00Z");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("BillingPeriodStart"))).isEqualTo("2026-03-01T00:00:00Z");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("BillingPeriodEnd"))).isEqualTo("2026-04-01T00:00:00Z");
        assertThat(row.get(FocusExport.COLUMNS.indexOf("ConsumedQuantity"))).isEqualTo("0.033333333"); // 120 s in hours
        assertThat(export.teamTotals().get("research")[1]).isEqualByComparingTo(new BigDecimal("0.08"));
    }

    /** RFC 4180 records (CRLF; quoted fields with doubled quotes; an empty unquoted field is null). */
    private static List<List<String>> parse(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            } else if (c == ',' || c == '\r') {
                record.add(field.length() == 0 && !wasQuoted ? null : field.toString());
                field.setLength(0);
                wasQuoted = false;
                if (c == '\r') {
                    assertThat(text.charAt(++i)).isEqualTo('\n');
                    records.add(record);
                    record = new ArrayList<>();
                }
            } else {
                field.append(c);
            }
        }
        assertThat(quoted).isFalse();
        assertThat(record).isEmpty();
        return records;
    }
}
