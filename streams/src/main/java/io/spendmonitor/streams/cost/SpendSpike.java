package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * SPEND_SPIKE: a runaway loop caught in minutes. Per team, on its API cost per window (minute):
 * <ul>
 *   <li>the <b>baseline</b> is the mean cost per window over the 60 minutes before the windows being
 *       judged (empty windows count as 0); it needs 30 minutes of the team's history;</li>
 *   <li>it <b>fires</b> at the end of the 3rd window in a row whose cost is at least
 *       {@code spend.spike.factor} (5) times the baseline, when the three together cost at least
 *       {@code spend.spike.min-usd} ($0.05);</li>
 *   <li>it <b>resolves</b> after 10 windows in a row below twice the baseline, which is frozen while
 *       it fires (the spike itself never becomes the norm).</li>
 * </ul>
 * Final windows only, like every alert. Exact: costs are femto-dollar integers, compared without division.
 */
final class SpendSpike {
    static final int SPIKE_WINDOWS = 3;
    static final int CALM_WINDOWS = 10;
    static final long BASELINE_MS = 60 * 60_000L;
    static final long MIN_HISTORY_MS = 30 * 60_000L;
    static final String SUBJECT = "api-cost";

    private SpendSpike() {
    }

    static void evaluate(String team, TeamState state, TeamWindow window, long windowEndMs, SpendSettings settings,
                         List<AlertTransition> transitions) {
        long w = settings.windowSizeMs();
        TeamState.SpikeState s = state.spike;
        BigInteger cost = window == null ? BigInteger.ZERO : window.apiCost().value();
        if (cost.signum() > 0) {
            s.put(windowEndMs, cost);
        }
        // what the next evaluations can still look at: the judged windows and the hour before them
        s.removeUpTo(windowEndMs - SPIKE_WINDOWS * w - BASELINE_MS);

        if (s.firing) {
            BigDecimal baseline = new BigDecimal(s.baselineFemtoPerWindow);
            s.calm = new BigDecimal(cost).compareTo(baseline.multiply(BigDecimal.valueOf(2))) < 0 ? s.calm + 1 : 0;
            if (s.calm >= CALM_WINDOWS) {
                s.firing = false;
                s.calm = 0;
                BigDecimal basePerHour = perHour(baseline, w);
                transitions.add(new AlertTransition(team, AlertType.SPEND_SPIKE, SUBJECT, AlertTransition.RESOLVED, windowEndMs,
                        null, null, null, null, null, null, null,
                        String.format("%s's API spend is back to normal: under 2x its baseline of $%s/h for %d minutes",
                                team, usd(basePerHour), CALM_WINDOWS * w / 60_000),
                        Map.of("baseline_usd_per_hour", usd(basePerHour))));
            }
            return;
        }

        long judgedFrom = windowEndMs - SPIKE_WINDOWS * w; // the judged windows end in (judgedFrom, windowEndMs]
        long historyMs = Math.min(BASELINE_MS, judgedFrom - state.firstWindowStartMs);
        if (state.firstWindowStartMs < 0 || historyMs < MIN_HISTORY_MS) {
            return;
        }
        long historyWindows = historyMs / w;
        BigInteger historySum = s.sum(judgedFrom - historyWindows * w, judgedFrom);
        BigDecimal factor = BigDecimal.valueOf(settings.spikeFactor());
        BigInteger judgedSum = BigInteger.ZERO;
        for (int k = 0; k < SPIKE_WINDOWS; k++) {
            BigInteger c = s.cost(windowEndMs - k * w);
            // c >= factor * historySum / historyWindows, without dividing
            if (new BigDecimal(c).multiply(BigDecimal.valueOf(historyWindows)).compareTo(factor.multiply(new BigDecimal(historySum))) < 0) {
                return;
            }
            judgedSum = judgedSum.add(c);
        }
        if (Money.usd(judgedSum).compareTo(settings.spikeMinUsd()) < 0) {
            return;
        }
        BigDecimal baseline = new BigDecimal(historySum).divide(BigDecimal.valueOf(historyWindows), MathContext.DECIMAL128);
        s.firing = true;
        s.calm = 0;
        s.baselineFemtoPerWindow = baseline.toPlainString();
        s.sinceMs = windowEndMs;
        BigDecimal nowPerHour = perHour(new BigDecimal(cost), w);
        BigDecimal basePerHour = perHour(baseline, w);
        Double ratio = baseline.signum() == 0 ? null : new BigDecimal(cost).divide(baseline, MathContext.DECIMAL64).doubleValue();
        String top = topModel(window);
        String times = ratio == null ? "up from nothing" : String.format("%.1fx its baseline of $%s/h", ratio, usd(basePerHour));
        transitions.add(new AlertTransition(team, AlertType.SPEND_SPIKE, SUBJECT, AlertTransition.FIRING, windowEndMs,
                ratio, null, null, null, null, null, Money.usdNanos(Money.usd(judgedSum)),
                String.format("%s's API spend spiked to $%s/h, %s (%d minutes at %sx or more); top model %s",
                        team, usd(nowPerHour), times, SPIKE_WINDOWS * w / 60_000, factor.stripTrailingZeros().toPlainString(), top),
                Map.of("baseline_usd_per_hour", usd(basePerHour), "now_usd_per_hour", usd(nowPerHour),
                        "factor", factor.stripTrailingZeros().toPlainString(), "top_model", top,
                        "spike_usd", Money.usdNanos(Money.usd(judgedSum)).toPlainString())));
    }

    /** The model with the highest API cost in the window ("provider/model"). */
    private static String topModel(TeamWindow window) {
        String top = "-";
        BigInteger best = BigInteger.ONE.negate();
        if (window != null) {
            for (Map.Entry<String, TeamWindow.ModelStats> e : window.apiModels().entrySet()) {
                BigInteger c = e.getValue().cost.value();
                if (c.compareTo(best) > 0) {
                    best = c;
                    top = e.getKey();
                }
            }
        }
        return top;
    }

    /** Femto-dollars per window as USD per hour. */
    private static BigDecimal perHour(BigDecimal femtoPerWindow, long windowMs) {
        return femtoPerWindow.multiply(BigDecimal.valueOf(3_600_000L / windowMs)).movePointLeft(15);
    }

    private static String usd(BigDecimal amount) {
        return amount.setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }
}
