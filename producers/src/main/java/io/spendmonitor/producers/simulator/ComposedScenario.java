package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.TeamBudget;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A scenario made of independent streams; a minute's events come out merged in time order. */
abstract class ComposedScenario implements Scenario {
    private final String name;
    private final List<TeamTraffic> streams;
    private final List<TeamBudget> budgets;

    ComposedScenario(String name, List<? extends TeamTraffic> streams, List<TeamBudget> budgets) {
        this.name = name;
        this.streams = List.copyOf(streams);
        this.budgets = List.copyOf(budgets);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<SimulatedEvent> minute(long index, Instant minuteStart) {
        List<SimulatedEvent> events = new ArrayList<>();
        for (TeamTraffic stream : streams) {
            stream.minute(index, minuteStart, events);
        }
        events.sort(Comparator.comparing(SimulatedEvent::timestamp)); // stable: a team's order is kept
        return events;
    }

    @Override
    public List<TeamBudget> budgets() {
        return budgets;
    }
}
