package io.spendmonitor.producers.simulator;

import java.time.Instant;

/** Calls per simulated minute; asked once per minute, in order, so it may keep state (a burst in progress). */
@FunctionalInterface
interface CallRate {
    double callsPerMinute(long minuteIndex, Instant minuteStart);

    static CallRate constant(double callsPerMinute) {
        return (index, start) -> callsPerMinute;
    }
}
