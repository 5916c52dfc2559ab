package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.TeamBudget;

import java.time.Instant;
import java.util.List;

/**
 * A named traffic pattern. The simulator asks it for one simulated minute at a time, in order,
 * so a scenario may keep state between minutes (a burst in progress, a seeded random generator);
 * the same settings and seed give the same events, whatever the speed.
 */
public interface Scenario {
    /** The name {@code spend-monitor simulate} knows it by. */
    String name();

    /**
     * The events of simulated minute {@code index} (0 is the minute that starts at the simulation's
     * start), with timestamps in {@code [minuteStart, minuteStart + 1 min)} and in time order per team.
     */
    List<SimulatedEvent> minute(long index, Instant minuteStart);

    /** Team budgets to publish before the first event; none by default. */
    default List<TeamBudget> budgets() {
        return List.of();
    }
}
