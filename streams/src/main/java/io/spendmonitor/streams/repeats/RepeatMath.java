package io.spendmonitor.streams.repeats;

import io.spendmonitor.streams.cost.FemtoSum;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;

/**
 * The repeated-prompt numbers from window sketches (pure).
 * <ul>
 *   <li>calls: the calls with a prompt_hash in the windows; distinct: the sketch's estimate of their
 *       distinct hashes (at most calls); repeat_share = (calls - distinct) / calls: the share of calls
 *       whose prompt had already been seen in the span. Calls without a hash are not counted.</li>
 *   <li>cacheable cost: an <em>estimate</em>, the hashed calls' cost x repeat_share. The sketch cannot
 *       tell which calls repeated, so it cannot price them one by one: when repeated prompts are
 *       dearer or cheaper than the average hashed call the estimate is off by that difference.</li>
 * </ul>
 */
public final class RepeatMath {
    private RepeatMath() {
    }

    /** The numbers over a span of windows. */
    public record Span(long calls, long distinct, double repeatShare, BigInteger hashedCostFemto, BigInteger cacheableFemto,
                       long cachedInputTokens, long inputTokens) {
    }

    public static Span span(List<RepeatWindow> windows) {
        PromptSketch union = new PromptSketch();
        long calls = 0;
        long cached = 0;
        long input = 0;
        FemtoSum cost = new FemtoSum();
        for (RepeatWindow w : windows) {
            calls += w.hashedCalls;
            cached += w.cachedInputTokens;
            input += w.inputTokens;
            cost.add(w.hashedCost);
            union.merge(w.sketch);
        }
        long distinct = Math.min(calls, Math.round(union.estimate()));
        if (calls == 0) {
            return new Span(0, 0, Double.NaN, BigInteger.ZERO, BigInteger.ZERO, cached, input);
        }
        return new Span(calls, distinct, (double) (calls - distinct) / calls, cost.value(),
                share(cost.value(), calls - distinct, calls), cached, input);
    }

    /**
     * A final window's own cacheable cost: its calls whose prompt was not new to the horizon before
     * it ({@code before}: the union of the sketches of the earlier windows of the horizon), at the
     * window's mean hashed-call cost. New prompts = estimate(before ∪ window) - estimate(before),
     * kept within [0, calls]; never negative, so the counter it feeds only grows.
     */
    public static BigInteger windowCacheableFemto(PromptSketch before, RepeatWindow window) {
        if (window.hashedCalls == 0) {
            return BigInteger.ZERO;
        }
        double prior = before.estimate();
        PromptSketch after = before.copy();
        after.merge(window.sketch);
        long fresh = Math.round(after.estimate() - prior);
        fresh = Math.max(0, Math.min(window.hashedCalls, fresh));
        // at least one call of a window with calls is a new prompt when the horizon before it saw none
        if (before.isEmpty()) {
            fresh = Math.max(1, fresh);
        }
        return share(window.hashedCost.value(), window.hashedCalls - fresh, window.hashedCalls);
    }

    /** cost x part / whole, rounded down to the femto-dollar (so a sum of them never overstates). */
    static BigInteger share(BigInteger cost, long part, long whole) {
        return cost.multiply(BigInteger.valueOf(part)).divide(BigInteger.valueOf(whole));
    }

    public static BigDecimal usd(BigInteger femto) {
        return new BigDecimal(femto, 15).setScale(9, RoundingMode.DOWN);
    }
}
