package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money inside the cost model is a {@code long} of femto-dollars (1e-15 USD).
 * Why femto: token prices are USD per 1,000,000 tokens with up to 9 decimals, i.e. whole
 * nano-dollars per 1M tokens, which is whole femto-dollars per token. So the cost of any call is
 * an exact integer ({@code tokens * priceNanoUsdPerMtok}). A long holds about $9,223 of
 * femto-dollars: enough for one call (a call costing more is rejected as {@code absurd-cost}), not
 * for a sum of calls, so every sum of calls is a {@link FemtoSum} (a long that widens to a
 * BigInteger instead of wrapping) or a BigDecimal. Everything users see is rounded to the nano-dollar.
 */
public final class Money {
    /** Femto-dollars in one US dollar. */
    public static final long FEMTO_PER_USD = 1_000_000_000_000_000L;
    private static final int FEMTO_SCALE = 15;
    /** Scale of every amount shown or written to a topic: the nano-dollar. */
    public static final int OUTPUT_SCALE = 9;

    private Money() {
    }

    /** A price of USD per 1M tokens (at most 9 decimals) as nano-USD per 1M tokens = femto-USD per token. */
    public static long femtoPerToken(BigDecimal usdPerMillionTokens) {
        return usdPerMillionTokens.setScale(OUTPUT_SCALE, RoundingMode.UNNECESSARY).unscaledValue().longValueExact();
    }

    public static BigDecimal usd(java.math.BigInteger femto) {
        return new BigDecimal(femto, FEMTO_SCALE);
    }

    public static BigDecimal usdNanos(java.math.BigInteger femto) {
        return usd(femto).setScale(OUTPUT_SCALE, RoundingMode.HALF_EVEN);
    }

    public static BigDecimal usdNanos(FemtoSum femto) {
        return usdNanos(femto.value());
    }

    public static BigDecimal usd(long femto) {
        return BigDecimal.valueOf(femto, FEMTO_SCALE);
    }

    /** Femto-dollars as USD rounded half-even to the nano-dollar, the form of every output. */
    public static BigDecimal usdNanos(long femto) {
        return usd(femto).setScale(OUTPUT_SCALE, RoundingMode.HALF_EVEN);
    }

    public static BigDecimal usdNanos(BigDecimal usd) {
        return usd.setScale(OUTPUT_SCALE, RoundingMode.HALF_EVEN);
    }

    /** USD as femto-dollars, rounded half-even (exact for any amount with at most 15 decimals). */
    public static long femto(BigDecimal usd) {
        return usd.setScale(FEMTO_SCALE, RoundingMode.HALF_EVEN).unscaledValue().longValueExact();
    }
}
