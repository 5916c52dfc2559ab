package io.spendmonitor.producers.simulator;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The run loop, against an in-memory sink: pacing, end, stop, failure, notes. */
class TrafficSimulatorTest {
    private static final Instant START = Instant.parse("2026-03-02T09:00:00Z");

    /** Keeps what it is sent; fails deliveries from the {@code failAfter}-th event on. */
    static class ListSink implements EventSink {
        final List<SimulatedEvent> events = Collections.synchronizedList(new ArrayList<>());
        final long failAfter;
        volatile int flushes;
        volatile boolean closed;

        ListSink(long failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public void send(SimulatedEvent event) {
            events.add(event);
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public long acknowledged() {
            return Math.min(events.size(), failAfter);
        }

        @Override
        public long failed() {
            return Math.max(0, events.size() - failAfter);
        }

        @Override
        public Optional<String> firstFailure() {
            return failed() > 0 ? Optional.of("Kafka did not accept an event: broker gone") : Optional.empty();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static final class Notes implements TrafficSimulator.Listener {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void progress(TrafficSimulator.Progress progress) {
            lines.add(progress.describe());
        }

        @Override
        public void note(String message) {
            lines.add(message);
        }
    }

    private static List<SimulatedEvent> expected(ScenarioSettings settings, int minutes) {
        Scenario scenario = Scenarios.create(settings);
        List<SimulatedEvent> events = new ArrayList<>();
        for (long i = 0; i < minutes; i++) {
            events.addAll(scenario.minute(i, settings.start().plusSeconds(60 * i)));
        }
        return events;
    }

    @Test
    void aBoundedRunSendsTheWholeDurationInTimeOrderFlushesAndSaysSo() throws InterruptedException {
        // 30 simulated minutes at 36,000x: 50 ms of real time
        ScenarioSettings settings = ScenarioSettings.of(IdleGpusScenario.NAME).withStart(START)
                .withDuration(Duration.ofMinutes(30)).withSpeed(36_000);
        ListSink sink = new ListSink(Long.MAX_VALUE);
        Notes notes = new Notes();
        TrafficSimulator.Running run = TrafficSimulator.start(settings, Scenarios.create(settings), sink, notes, Clock.systemUTC());
        assertThat(run.awaitTermination(Duration.ofSeconds(30))).isTrue();
        run.close();

        assertThat(run.completed()).isTrue();
        assertThat(run.failure()).isEmpty();
        assertThat(sink.events).isEqualTo(expected(settings, 30));
        assertThat(sink.flushes).isPositive();
        assertThat(sink.closed).isTrue();
        TrafficSimulator.Progress progress = run.progress();
        assertThat(progress.simulatedTime()).isEqualTo(START.plus(Duration.ofMinutes(30)));
        assertThat(progress.sent()).isEqualTo(sink.events.size());
        assertThat(progress.gpuSamplesSent()).isEqualTo(30 * 8);
        assertThat(notes.lines.get(0)).startsWith("simulating 'idle-gpus' from 2026-03-02T09:00:00Z to 2026-03-02T09:30:00Z at 36000x (seed 42)");
        assertThat(notes.lines.get(notes.lines.size() - 1)).startsWith("finished: sent " + sink.events.size() + " events")
                .contains("(30m)");
    }

    @Test
    void eventTimeRunsAtTheSpeedAndCloseStopsAnUnboundedRun() {
        ScenarioSettings settings = ScenarioSettings.of(IdleGpusScenario.NAME).withStart(START).withSpeed(60);
        ListSink sink = new ListSink(Long.MAX_VALUE);
        Notes notes = new Notes();
        TrafficSimulator.Running run = TrafficSimulator.start(settings, Scenarios.create(settings), sink, notes, Clock.systemUTC());
        // at 60x, the samples at 0 s and 15 s of the first minute fall due within the first half second
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.events.size() >= 4);
        run.close();

        assertThat(run.isFinished()).isTrue();
        assertThat(run.completed()).isFalse();
        assertThat(run.failure()).isEmpty();
        int sent = sink.events.size();
        // nothing was sent ahead of the schedule: at most what was due when it stopped
        Instant reached = run.progress().simulatedTime();
        assertThat(sink.events).allSatisfy(e -> assertThat(e.timestamp()).isBefore(reached));
        assertThat(Duration.between(START, reached)).isLessThan(Duration.ofHours(1));
        assertThat(sink.flushes).isPositive();
        assertThat(notes.lines.get(notes.lines.size() - 1)).startsWith("stopped: sent " + sent + " events");
        run.close(); // idempotent
        assertThat(sink.events).hasSize(sent);
    }

    @Test
    void aFailedDeliveryStopsTheRunWithItsReason() throws InterruptedException {
        ScenarioSettings settings = ScenarioSettings.of(CrossoverScenario.NAME).withStart(START)
                .withDuration(Duration.ofHours(1)).withSpeed(36_000);
        ListSink sink = new ListSink(100);
        Notes notes = new Notes();
        TrafficSimulator.Running run = TrafficSimulator.start(settings, Scenarios.create(settings), sink, notes, Clock.systemUTC());
        assertThat(run.awaitTermination(Duration.ofSeconds(30))).isTrue();
        run.close();
        assertThat(run.completed()).isFalse();
        assertThat(run.failure()).contains("Kafka did not accept an event: broker gone");
        assertThat(notes.lines.get(notes.lines.size() - 1)).startsWith("failed: ").endsWith("broker gone");
    }

    @Test
    void warnsOnceWhenEventTimeRunsMoreThanSixDaysAheadOfTheClock() throws InterruptedException {
        ScenarioSettings settings = ScenarioSettings.of(IdleGpusScenario.NAME).withStart(START)
                .withDuration(Duration.ofMinutes(10)).withSpeed(36_000);
        Clock weekBefore = Clock.fixed(START.minus(Duration.ofDays(7)), ZoneOffset.UTC);
        Notes notes = new Notes();
        try (TrafficSimulator.Running run = TrafficSimulator.start(settings, Scenarios.create(settings), new ListSink(Long.MAX_VALUE),
                notes, weekBefore)) {
            assertThat(run.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(notes.lines.stream().filter(l -> l.startsWith("warning: simulated time"))).hasSize(1);
    }

    @Test
    void whenKafkaDoesNotTakeEventsTheProgressSaysHowFarBehindTheRunIs() {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ListSink stuck = new ListSink(Long.MAX_VALUE) {
            @Override
            public void send(SimulatedEvent event) {
                super.send(event);
                try {
                    release.await(); // a producer waiting for a broker that is gone
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ScenarioSettings settings = ScenarioSettings.of(IdleGpusScenario.NAME).withStart(START).withSpeed(3_600);
        TrafficSimulator.Running run = TrafficSimulator.start(settings, Scenarios.create(settings), stuck, new Notes(), Clock.systemUTC());
        await().atMost(Duration.ofSeconds(10)).until(() -> run.progress().behind().compareTo(Duration.ofMinutes(2)) > 0);
        assertThat(run.progress().describe()).contains("behind schedule (Kafka is slower than the speed)");
        release.countDown();
        run.close();
        assertThat(stuck.events).isNotEmpty();
    }

    @Test
    void progressLinesSayWhereTheRunIs() {
        TrafficSimulator.Progress p = new TrafficSimulator.Progress(Instant.parse("2026-03-02T10:41:00.250Z"),
                Duration.ofMinutes(101), Duration.ofHours(3), 60, 22_400, 714, 23_000, 0, 231.4, Duration.ZERO, Duration.ofSeconds(101));
        assertThat(p.describe()).isEqualTo("simulated 2026-03-02T10:41:00Z (+1h41m of 3h), 23114 events sent "
                + "(token_usage 22400, gpu_utilization 714), 231 events/s at 60x");
        TrafficSimulator.Progress behind = new TrafficSimulator.Progress(Instant.parse("2026-03-02T10:41:00Z"),
                Duration.ofMinutes(41), null, 3600, 10, 0, 8, 2, 5000, Duration.ofMinutes(12), Duration.ofSeconds(2));
        assertThat(behind.describe()).endsWith("(+41m), 10 events sent (token_usage 10, gpu_utilization 0), 5000 events/s at 3600x, "
                + "2 failed, 12m behind schedule (Kafka is slower than the speed)");
    }
}
