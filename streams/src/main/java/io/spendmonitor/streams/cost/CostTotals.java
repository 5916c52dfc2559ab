package io.spendmonitor.streams.cost;

import java.math.BigDecimal;

/**
 * Exact sums over many team windows (the {@code /cost} range answer): money as {@link FemtoSum},
 * tokens with overflow checks, so a month of a big team's spend is exact to the femto-dollar.
 */
public final class CostTotals {
    private final FemtoSum api = new FemtoSum();
    private final FemtoSum gpu = new FemtoSum();
    private final FemtoSum busy = new FemtoSum();
    private long input;
    private long cached;
    private long cacheWrite;
    private long output;
    private long selfhost;
    private long calls;
    private long unpricedCalls;
    private int windows;

    public void add(TeamWindow w) {
        windows++;
        api.add(w.apiCost());
        gpu.add(w.gpuCost());
        busy.add(w.busyCost());
        input = Math.addExact(input, w.inputTokens());
        cached = Math.addExact(cached, w.cachedInputTokens());
        cacheWrite = Math.addExact(cacheWrite, w.cacheWriteInputTokens());
        output = Math.addExact(output, w.outputTokens());
        selfhost = Math.addExact(selfhost, w.selfhostTokens());
        calls = Math.addExact(calls, w.apiCalls());
        unpricedCalls = Math.addExact(unpricedCalls, w.unpricedCalls());
    }

    public BigDecimal apiUsd() {
        return api.usd();
    }

    public BigDecimal gpuUsd() {
        return gpu.usd();
    }

    public BigDecimal busyUsd() {
        return busy.usd();
    }

    public BigDecimal idleUsd() {
        return Money.usd(gpu.minus(busy));
    }

    public long inputTokens() {
        return input;
    }

    public long cachedInputTokens() {
        return cached;
    }

    public long cacheWriteInputTokens() {
        return cacheWrite;
    }

    public long outputTokens() {
        return output;
    }

    public long selfhostTokens() {
        return selfhost;
    }

    public long apiCalls() {
        return calls;
    }

    public long unpricedCalls() {
        return unpricedCalls;
    }

    public int windows() {
        return windows;
    }
}
