package io.spendmonitor.producers.simulator;

import java.time.Instant;
import java.util.List;

/** One stream of a scenario (a team's calls to one model, a team's GPUs), a simulated minute at a time. */
interface TeamTraffic {
    /** Adds the events of minute {@code index}, all with timestamps in {@code [minuteStart, minuteStart + 1 min)}. */
    void minute(long index, Instant minuteStart, List<SimulatedEvent> out);
}
