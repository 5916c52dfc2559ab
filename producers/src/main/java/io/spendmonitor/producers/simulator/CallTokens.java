package io.spendmonitor.producers.simulator;

/**
 * The token counts of one call as the schema counts them: {@code input} is ALL input tokens,
 * cache reads ({@code cached}) and cache writes ({@code cacheWrite}) included.
 */
record CallTokens(long input, long cached, long cacheWrite, long output) {
    CallTokens {
        if (input < 0 || cached < 0 || cacheWrite < 0 || output < 0 || cached + cacheWrite > input) {
            throw new IllegalArgumentException("inconsistent token counts: input " + input + ", cached " + cached
                    + ", cache write " + cacheWrite + ", output " + output);
        }
    }

    static CallTokens uncached(long input, long output) {
        return new CallTokens(input, 0, 0, output);
    }

    /** Input plus output: the throughput measure of the break-even (tokens per second). */
    long total() {
        return input + output;
    }
}
