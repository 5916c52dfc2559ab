package io.spendmonitor.producers.catalog;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

import io.spendmonitor.producers.text.TextTable;

import static io.spendmonitor.producers.jsonl.EventLineWriter.decimalText;

/**
 * The price catalog as an aligned text table for people: kind, subject, effective_from, the
 * prices (USD per 1M tokens, per GPU-hour) and the source. Rows are sorted by kind, subject and
 * effective_from, so the versions of one subject stand together, oldest first.
 */
public final class PriceTable {
    static final List<String> HEADER = List.of("KIND", "SUBJECT", "EFFECTIVE_FROM", "PRICES (USD)", "SOURCE");

    /** api, then gpu, then profile; by subject; by effective_from. */
    public static final Comparator<PriceEntry> ORDER = Comparator
            .comparing((PriceEntry e) -> kindOrder(e.getEntry()))
            .thenComparing(e -> subject(e.getEntry()))
            .thenComparing(e -> effectiveFrom(e.getEntry()));

    private PriceTable() {
    }

    /** The table's lines: a header and one row per entry. */
    public static List<String> render(Collection<PriceEntry> entries) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        entries.stream().sorted(ORDER).forEach(e -> {
            Object entry = e.getEntry();
            rows.add(List.of(kind(entry), subject(entry), date(effectiveFrom(entry)), prices(entry), source(entry)));
        });
        return TextTable.align(rows, null);
    }

    static String kind(Object entry) {
        if (entry instanceof ApiModelPrice) {
            return "api";
        }
        if (entry instanceof GpuPrice) {
            return "gpu";
        }
        if (entry instanceof io.spendmonitor.avro.OwnedGpuPrice) {
            return "owned-gpu";
        }
        return "profile";
    }

    private static int kindOrder(Object entry) {
        return entry instanceof ApiModelPrice ? 0 : entry instanceof GpuPrice || entry instanceof io.spendmonitor.avro.OwnedGpuPrice ? 1 : 2;
    }

    static String subject(Object entry) {
        if (entry instanceof ApiModelPrice api) {
            return api.getProvider() + "/" + api.getModel() + (api.getServiceTier() == null ? "" : " [" + api.getServiceTier() + "]");
        }
        if (entry instanceof GpuPrice gpu) {
            return gpu.getGpuModel();
        }
        if (entry instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            return owned.getGpuModel() + " (owned, " + owned.getGpus() + " a machine)";
        }
        SelfHostProfile p = (SelfHostProfile) entry;
        return p.getModel() + " on " + p.getGpusPerReplica() + "x " + p.getGpuModel();
    }

    static Instant effectiveFrom(Object entry) {
        if (entry instanceof ApiModelPrice api) {
            return api.getEffectiveFrom();
        }
        if (entry instanceof GpuPrice gpu) {
            return gpu.getEffectiveFrom();
        }
        if (entry instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            return owned.getEffectiveFrom();
        }
        return ((SelfHostProfile) entry).getEffectiveFrom();
    }

    /** {@code 2024-01-25} for midnight UTC, the full instant otherwise. */
    static String date(Instant time) {
        return time.atOffset(ZoneOffset.UTC).toLocalTime().equals(LocalTime.MIDNIGHT)
                ? time.atOffset(ZoneOffset.UTC).toLocalDate().toString() : time.toString();
    }

    static String prices(Object entry) {
        if (entry instanceof ApiModelPrice api) {
            String s = tokenPrices(api.getInputUsdPerMtok(), api.getCachedInputUsdPerMtok(), api.getCacheWriteUsdPerMtok(),
                    api.getOutputUsdPerMtok()) + " per 1M tokens";
            if (api.getLongContextThresholdTokens() != null) {
                s += "; above " + api.getLongContextThresholdTokens() + " input tokens: "
                        + tokenPrices(api.getLongContextInputUsdPerMtok(), api.getLongContextCachedInputUsdPerMtok(),
                        api.getLongContextCacheWriteUsdPerMtok(), api.getLongContextOutputUsdPerMtok());
            }
            return s;
        }
        if (entry instanceof GpuPrice gpu) {
            return decimalText(gpu.getUsdPerHour()) + " per GPU-hour";
        }
        if (entry instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            return decimalText(io.spendmonitor.schemas.OwnedGpuCost.usdPerGpuHour(owned)) + " per GPU-hour (" + decimalText(owned.getPurchaseUsd())
                    + " over " + number(owned.getAmortisationYears()) + " years, " + number(owned.getPowerKw()) + " kW at "
                    + decimalText(owned.getUsdPerKwh()) + "/kWh"
                    + (owned.getHostingUsdPerMonth() == null ? "" : ", hosting " + decimalText(owned.getHostingUsdPerMonth()) + "/month") + ")";
        }
        SelfHostProfile p = (SelfHostProfile) entry;
        return String.format("%s tok/s per replica at %s%%, min %d, +%s/h overhead, replaces %s",
                number(p.getTokensPerSecondPerReplica()), BigDecimal.valueOf(p.getTargetUtilization()).movePointRight(2).stripTrailingZeros().toPlainString(), p.getMinReplicas(),
                decimalText(p.getOverheadUsdPerHour()), p.getApiEquivalent());
    }

    private static String tokenPrices(BigDecimal in, BigDecimal cached, BigDecimal cacheWrite, BigDecimal out) {
        StringBuilder s = new StringBuilder("in ").append(decimalText(in));
        if (cached != null) {
            s.append(", cached ").append(decimalText(cached));
        }
        if (cacheWrite != null) {
            s.append(", cache write ").append(decimalText(cacheWrite));
        }
        return s.append(", out ").append(decimalText(out)).toString();
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    static String source(Object entry) {
        String source;
        if (entry instanceof ApiModelPrice api) {
            source = api.getSource();
        } else if (entry instanceof GpuPrice gpu) {
            source = gpu.getSource();
        } else if (entry instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            source = owned.getSource();
        } else {
            source = ((SelfHostProfile) entry).getSource();
        }
        return source == null ? "-" : source;
    }
}
