package io.spendmonitor.streams.cost;

/**
 * Token counts of one call, in our schema's convention: {@code input} counts ALL input tokens,
 * {@code cached} (cache reads) and {@code cacheWrite} are parts of it.
 */
public record TokenCounts(long input, long cached, long cacheWrite, long output) {
    public TokenCounts {
        if (input < 0 || cached < 0 || cacheWrite < 0 || output < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
        if (cached > input - cacheWrite) { // cached + cacheWrite > input, without overflow
            throw new IllegalArgumentException("cached (" + cached + ") + cache-write (" + cacheWrite
                    + ") input tokens exceed all input tokens (" + input + ")");
        }
    }

    /** Input tokens billed at the plain input price. */
    public long uncachedInput() {
        return input - cached - cacheWrite;
    }

    /** What throughput counts: input + output. */
    public long throughputTokens() {
        return Math.addExact(input, output);
    }

    public TokenCounts plus(TokenCounts other) {
        return new TokenCounts(Math.addExact(input, other.input), Math.addExact(cached, other.cached),
                Math.addExact(cacheWrite, other.cacheWrite), Math.addExact(output, other.output));
    }

    public static final TokenCounts ZERO = new TokenCounts(0, 0, 0, 0);
}
