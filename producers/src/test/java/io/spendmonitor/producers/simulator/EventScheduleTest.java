package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventScheduleTest {
    private static final Instant START = Instant.parse("2026-03-02T09:00:00Z");

    /** One event at seconds 0, 20 and 40 of every minute; counts the minutes asked for. */
    private static final class ThreePerMinute implements Scenario {
        final List<Long> asked = new ArrayList<>();

        @Override
        public String name() {
            return "three";
        }

        @Override
        public List<SimulatedEvent> minute(long index, Instant minuteStart) {
            asked.add(index);
            List<SimulatedEvent> events = new ArrayList<>();
            for (int s = 0; s < 60; s += 20) {
                events.add(SimulatedEvent.of(GpuUtilization.newBuilder().setTimestamp(minuteStart.plusSeconds(s))
                        .setNode("n").setGpuId("0").setGpuModel("L4").setTeam("t").setUtilization(0.5)
                        .setIntervalSeconds(15).build()));
            }
            return events;
        }
    }

    @Test
    void handsOutEventsBeforeTheTargetInOrderAndGeneratesMinutesOnlyWhenReached() {
        ThreePerMinute scenario = new ThreePerMinute();
        EventSchedule schedule = new EventSchedule(scenario, START, null);
        List<Instant> sent = new ArrayList<>();

        assertThat(schedule.advanceTo(START, e -> sent.add(e.timestamp()))).isTrue();
        assertThat(sent).isEmpty();
        assertThat(scenario.asked).isEmpty();

        schedule.advanceTo(START.plusSeconds(21), e -> sent.add(e.timestamp()));
        assertThat(sent).containsExactly(START, START.plusSeconds(20));
        assertThat(scenario.asked).containsExactly(0L);
        assertThat(schedule.cursor()).isEqualTo(START.plusSeconds(21));

        schedule.advanceTo(START.plusSeconds(150), e -> sent.add(e.timestamp()));
        assertThat(sent).hasSize(8).isSorted();
        assertThat(scenario.asked).containsExactly(0L, 1L, 2L);
        assertThat(schedule.finished()).isFalse();
    }

    @Test
    void stopsAtTheEnd() {
        EventSchedule schedule = new EventSchedule(new ThreePerMinute(), START, START.plusSeconds(70));
        List<Instant> sent = new ArrayList<>();
        schedule.advanceTo(START.plusSeconds(3600), e -> sent.add(e.timestamp()));
        assertThat(sent).containsExactly(START, START.plusSeconds(20), START.plusSeconds(40), START.plusSeconds(60));
        assertThat(schedule.finished()).isTrue();
        assertThat(schedule.cursor()).isEqualTo(START.plusSeconds(70));
    }

    @Test
    void aSinkThatSaysStopStopsAtOnce() {
        EventSchedule schedule = new EventSchedule(new ThreePerMinute(), START, null);
        List<Instant> sent = new ArrayList<>();
        boolean going = schedule.advanceTo(START.plusSeconds(600), e -> sent.add(e.timestamp()) && sent.size() < 4);
        assertThat(going).isFalse();
        assertThat(sent).hasSize(4);
        schedule.advanceTo(START.plusSeconds(600), e -> sent.add(e.timestamp()));
        assertThat(sent).hasSize(30).doesNotHaveDuplicates().isSorted();
    }
}
