package io.spendmonitor.producers.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Predicate;

/**
 * A scenario's events in time order, handed out up to a moving target event time. Minutes are
 * generated when the target reaches them, so the events do not depend on the pace of the run.
 */
final class EventSchedule {
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final Scenario scenario;
    private final Instant start;
    private final Instant end;
    private final Deque<SimulatedEvent> buffered = new ArrayDeque<>();
    private long nextMinute;
    private Instant cursor;

    /** @param end null: no end */
    EventSchedule(Scenario scenario, Instant start, Instant end) {
        this.scenario = scenario;
        this.start = start;
        this.end = end;
        this.cursor = start;
    }

    /**
     * Hands every event before {@code target} (and before the end) to {@code sink}, in time order;
     * stops early when {@code sink} returns false (the event it was given counts as handed out).
     *
     * @return false when the sink asked to stop
     */
    boolean advanceTo(Instant target, Predicate<SimulatedEvent> sink) {
        Instant limit = end != null && end.isBefore(target) ? end : target;
        while (true) {
            if (buffered.isEmpty()) {
                Instant minuteStart = start.plus(MINUTE.multipliedBy(nextMinute));
                if (!minuteStart.isBefore(limit)) {
                    break;
                }
                for (SimulatedEvent e : scenario.minute(nextMinute, minuteStart)) {
                    if (end == null || e.timestamp().isBefore(end)) {
                        buffered.add(e);
                    }
                }
                nextMinute++;
                continue;
            }
            if (!buffered.peekFirst().timestamp().isBefore(limit)) {
                break;
            }
            SimulatedEvent next = buffered.pollFirst();
            if (!sink.test(next)) {
                cursor = next.timestamp();
                return false;
            }
        }
        if (limit.isAfter(cursor)) {
            cursor = limit;
        }
        return true;
    }

    /** Every event before this event time has been handed out. */
    Instant cursor() {
        return cursor;
    }

    /** The end was reached: nothing more to hand out. */
    boolean finished() {
        return end != null && !cursor.isBefore(end);
    }
}
