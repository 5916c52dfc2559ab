package io.spendmonitor.producers.simulator;

import java.util.Random;

/** How big one call is: its token counts, drawn from the scenario's seeded generator. */
@FunctionalInterface
interface CallSizes {
    CallTokens draw(Random random);

    /**
     * A log-normal draw whose MEAN is {@code mean} (not its median): exp(sigma * Z - sigma^2 / 2) has
     * mean 1, so a scenario's average tokens per call, and hence its cost per hour, is what it says.
     * At least 1.
     */
    static long around(Random random, double mean, double sigma) {
        double factor = Math.exp(sigma * random.nextGaussian() - sigma * sigma / 2);
        return Math.max(1, Math.round(mean * factor));
    }

    /** Input and output with the given means and no prompt caching. */
    static CallSizes uncached(double meanInput, double meanOutput, double sigma) {
        return random -> CallTokens.uncached(around(random, meanInput, sigma), around(random, meanOutput, sigma));
    }
}
