package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A team's money and tokens so far, open windows included: its lifetime totals of final windows
 * ({@link TeamState}) plus every open window. This is what the spend counters export. Every amount
 * added is non-negative, so each line only grows as events arrive; and a window becoming final moves
 * its amounts from the open part to the totals under the same key (the keys come from
 * {@link TeamState#apiTotals} and friends for both), so no line ever goes down.
 *
 * @param sinceMs start of the team's first window (an order for the metrics' team cap that does
 *                not change as teams come and go)
 */
public record LiveSpend(long sinceMs, List<ModelLine> models, List<GpuLine> gpus, List<AttributedLine> attributed) {

    public LiveSpend(long sinceMs, List<ModelLine> models, List<GpuLine> gpus) {
        this(sinceMs, models, gpus, List.of());
    }

    /** API cost, calls and tokens of one value of one attribution key (customer, feature, ...). */
    public record AttributedLine(String key, String value, BigDecimal costUsd, long calls, long tokens) {
    }

    /** Calls of one model; {@code costUsd} is zero for self-hosted models (their cost is GPU time). */
    public record ModelLine(String provider, String model, BigDecimal costUsd, long calls, long input, long cached,
                            long cacheWrite, long output) {
    }

    public record GpuLine(String deployment, String gpuModel, BigDecimal costUsd, BigDecimal idleCostUsd) {
    }

    /**
     * Gives keys in {@code state} to the names of {@code open} windows that have none yet, in the
     * order {@link TeamEvaluator#accumulate} will meet them (windows oldest first, then each window's
     * own order). Returns whether the state changed (it must then be written).
     */
    public static boolean giveKeys(TeamState state, Collection<TeamWindow> open) {
        int before = state.modelTotals.size() + state.gpuTotals.size() + attributedCount(state);
        for (TeamWindow w : open) {
            // most names have their key already (every touched team's open windows, at every commit)
            w.apiModels().forEach((key, m) -> {
                if (!state.modelTotals.containsKey(key)) {
                    state.apiTotals(key, m.provider, m.model);
                }
            });
            w.selfhostModels().keySet().forEach(state::selfhostTotals);
            for (TeamWindow.DeploymentStats d : w.deployments().values()) {
                if (d.gpuSeconds > 0) {
                    state.gpuTotals(d.deployment, d.gpuModel);
                }
            }
            w.attribution().forEach((key, values) -> values.keySet().forEach(
                    value -> state.attributedTotals(key, value, TeamEvaluator.MAX_ATTRIBUTED_VALUES)));
        }
        return state.modelTotals.size() + state.gpuTotals.size() + attributedCount(state) != before;
    }

    /** The team's totals plus its open windows (call {@link #giveKeys} first). Does not change {@code state}. */
    public static LiveSpend of(TeamState state, Collection<TeamWindow> open) {
        Map<String, long[]> counts = new LinkedHashMap<>(); // calls, input, cached, cacheWrite, output
        Map<String, BigDecimal> cost = new LinkedHashMap<>();
        Map<String, TeamState.ModelTotals> names = new LinkedHashMap<>();
        state.modelTotals.forEach((key, t) -> {
            names.put(key, t);
            counts.put(key, new long[] {t.calls, t.input, t.cached, t.cacheWrite, t.output});
            cost.put(key, t.costUsd);
        });
        Map<String, BigDecimal[]> gpu = new LinkedHashMap<>(); // cost, idle cost
        Map<String, TeamState.GpuTotals> gpuNames = new LinkedHashMap<>();
        state.gpuTotals.forEach((key, g) -> {
            gpuNames.put(key, g);
            gpu.put(key, new BigDecimal[] {g.costUsd, g.idleCostUsd});
        });
        long since = state.firstWindowStartMs;
        for (TeamWindow w : open) {
            since = since < 0 ? w.windowStartMs() : Math.min(since, w.windowStartMs());
            w.apiModels().forEach((key, m) -> {
                String k = keyOf(state.modelTotals, key, TeamWindow.OTHER + "/" + TeamWindow.OTHER);
                add(counts.get(k), m);
                cost.merge(k, m.cost.usd(), BigDecimal::add);
            });
            w.selfhostModels().forEach((model, m) -> {
                String own = io.spendmonitor.schemas.Providers.SELF_HOSTED + "/" + model;
                add(counts.get(keyOf(state.modelTotals, own, io.spendmonitor.schemas.Providers.SELF_HOSTED + "/" + TeamWindow.OTHER)), m);
            });
            for (TeamWindow.DeploymentStats d : w.deployments().values()) {
                if (d.gpuSeconds <= 0) {
                    continue;
                }
                String own = d.deployment + "|" + (d.gpuModel == null ? "unknown" : d.gpuModel);
                BigDecimal[] sums = gpu.get(keyOf(state.gpuTotals, own, TeamWindow.OTHER + "|" + TeamWindow.OTHER));
                sums[0] = sums[0].add(d.gpuCost.usd());
                sums[1] = sums[1].add(Money.usd(d.idleCostFemto()));
            }
        }
        Map<String, Map<String, Object[]>> attributed = new LinkedHashMap<>(); // cost, calls, tokens
        state.attributedTotals.forEach((key, values) -> {
            Map<String, Object[]> byValue = new LinkedHashMap<>();
            values.forEach((value, a) -> byValue.put(value, new Object[] {a.costUsd, a.calls, a.tokens}));
            attributed.put(key, byValue);
        });
        for (TeamWindow w : open) {
            w.attribution().forEach((key, values) -> {
                Map<String, Object[]> byValue = attributed.get(key);
                values.forEach((value, a) -> {
                    Object[] sums = byValue.containsKey(value) ? byValue.get(value) : byValue.get(TeamWindow.OTHER);
                    sums[0] = ((BigDecimal) sums[0]).add(a.cost.usd());
                    sums[1] = Math.addExact((Long) sums[1], a.calls);
                    sums[2] = Math.addExact((Long) sums[2], a.tokens);
                });
            });
        }
        List<AttributedLine> attributedLines = new ArrayList<>();
        attributed.forEach((key, values) -> values.forEach((value, sums) ->
                attributedLines.add(new AttributedLine(key, value, (BigDecimal) sums[0], (Long) sums[1], (Long) sums[2]))));
        List<ModelLine> models = new ArrayList<>(names.size());
        names.forEach((key, t) -> {
            long[] c = counts.get(key);
            models.add(new ModelLine(t.provider, t.model, cost.get(key), c[0], c[1], c[2], c[3], c[4]));
        });
        List<GpuLine> gpus = new ArrayList<>(gpuNames.size());
        gpuNames.forEach((key, g) -> gpus.add(new GpuLine(g.deployment, g.gpuModel, gpu.get(key)[0], gpu.get(key)[1])));
        return new LiveSpend(since, List.copyOf(models), List.copyOf(gpus), List.copyOf(attributedLines));
    }

    /** The key a name's amounts go to: its own once given one, else the fold ({@link #giveKeys} has given it). */
    private static String keyOf(Map<String, ?> keys, String own, String fold) {
        if (keys.containsKey(own)) {
            return own;
        }
        if (!keys.containsKey(fold)) {
            throw new IllegalStateException("no key for '" + own + "': giveKeys was not called");
        }
        return fold;
    }

    private static int attributedCount(TeamState state) {
        int n = 0;
        for (Map<String, TeamState.AttributedTotals> values : state.attributedTotals.values()) {
            n += values.size();
        }
        return n;
    }

    private static void add(long[] c, TeamWindow.ModelStats m) {
        c[0] = Math.addExact(c[0], m.calls);
        c[1] = Math.addExact(c[1], m.input);
        c[2] = Math.addExact(c[2], m.cached);
        c[3] = Math.addExact(c[3], m.cacheWrite);
        c[4] = Math.addExact(c[4], m.output);
    }
}
