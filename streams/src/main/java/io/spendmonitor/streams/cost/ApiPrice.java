package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.ApiModelPrice;

import java.math.BigDecimal;

/**
 * Prices of one API model in femto-USD per token (= nano-USD per 1M tokens). A missing cache price
 * falls back to the input price. Above {@code longContextThresholdTokens} input tokens, a call is
 * priced with the long-context prices.
 */
public record ApiPrice(long inputFemtoPerToken, long cachedFemtoPerToken, long cacheWriteFemtoPerToken,
                       long outputFemtoPerToken, long longContextThresholdTokens, ApiPrice longContext) {

    public static ApiPrice perMillionTokens(String input, String cached, String cacheWrite, String output) {
        return of(new BigDecimal(input), cached == null ? null : new BigDecimal(cached),
                cacheWrite == null ? null : new BigDecimal(cacheWrite), new BigDecimal(output), Long.MAX_VALUE, null);
    }

    public static ApiPrice from(ApiModelPrice p) {
        ApiPrice longContext = null;
        long threshold = Long.MAX_VALUE;
        if (p.getLongContextThresholdTokens() != null && p.getLongContextInputUsdPerMtok() != null
                && p.getLongContextOutputUsdPerMtok() != null) {
            threshold = p.getLongContextThresholdTokens();
            longContext = of(p.getLongContextInputUsdPerMtok(), p.getLongContextCachedInputUsdPerMtok(),
                    p.getLongContextCacheWriteUsdPerMtok(), p.getLongContextOutputUsdPerMtok(), Long.MAX_VALUE, null);
        }
        return of(p.getInputUsdPerMtok(), p.getCachedInputUsdPerMtok(), p.getCacheWriteUsdPerMtok(),
                p.getOutputUsdPerMtok(), threshold, longContext);
    }

    private static ApiPrice of(BigDecimal input, BigDecimal cached, BigDecimal cacheWrite, BigDecimal output,
                               long threshold, ApiPrice longContext) {
        long in = Money.femtoPerToken(input);
        return new ApiPrice(in, cached == null ? in : Money.femtoPerToken(cached),
                cacheWrite == null ? in : Money.femtoPerToken(cacheWrite), Money.femtoPerToken(output), threshold, longContext);
    }

    /**
     * ((input - cached - cache_write) * p_in + cached * p_cached + cache_write * p_cache_write
     * + output * p_out) / 1e6, exact, in femto-USD (prices here are already per token).
     */
    public long costFemto(TokenCounts tokens) {
        ApiPrice p = longContext != null && tokens.input() > longContextThresholdTokens ? longContext : this;
        return Math.addExact(Math.addExact(
                        Math.multiplyExact(tokens.uncachedInput(), p.inputFemtoPerToken),
                        Math.multiplyExact(tokens.cached(), p.cachedFemtoPerToken)),
                Math.addExact(
                        Math.multiplyExact(tokens.cacheWrite(), p.cacheWriteFemtoPerToken),
                        Math.multiplyExact(tokens.output(), p.outputFemtoPerToken)));
    }

    /** {@link #costFemto} for token sums of many calls: exact at any size. */
    public java.math.BigInteger costFemtoExact(TokenCounts tokens) {
        ApiPrice p = longContext != null && tokens.input() > longContextThresholdTokens ? longContext : this;
        java.math.BigInteger sum = java.math.BigInteger.valueOf(tokens.uncachedInput()).multiply(java.math.BigInteger.valueOf(p.inputFemtoPerToken));
        sum = sum.add(java.math.BigInteger.valueOf(tokens.cached()).multiply(java.math.BigInteger.valueOf(p.cachedFemtoPerToken)));
        sum = sum.add(java.math.BigInteger.valueOf(tokens.cacheWrite()).multiply(java.math.BigInteger.valueOf(p.cacheWriteFemtoPerToken)));
        return sum.add(java.math.BigInteger.valueOf(tokens.output()).multiply(java.math.BigInteger.valueOf(p.outputFemtoPerToken)));
    }
}
