package io.spendmonitor.producers.simulator;

import io.spendmonitor.producers.jsonl.MissingTopicException;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plays a {@link Scenario} into Kafka with event time running {@code speed} times faster than real
 * time: after t real seconds, every event up to {@code start + speed * t} has been sent, in time
 * order. Events go to {@code llm.token-usage} and {@code gpu.utilization} (keyed by team); a scenario's
 * budgets, and with {@code loadPrices} the default price catalog, go first.
 *
 * <pre>{@code
 * try (TrafficSimulator.Running run = TrafficSimulator.start(Map.of(
 *         "bootstrap.servers", "127.0.0.1:9092", "schema.registry.url", "http://127.0.0.1:8081"),
 *         ScenarioSettings.of("crossover").withLoadPrices(true))) {
 *     ... // runs on its own thread until close(), or until the duration is simulated
 * }
 * }</pre>
 *
 * Kafka's back-pressure slows the run rather than drop events: when Kafka cannot keep up, simulated
 * time falls behind the schedule and the progress line says so. Progress is reported every
 * {@value #PROGRESS_SECONDS} s.
 */
public final class TrafficSimulator {
    static final int PROGRESS_SECONDS = 5;
    public static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(PROGRESS_SECONDS);
    /** How often the run wakes up to send what has fallen due. */
    static final Duration TICK = Duration.ofMillis(50);
    /**
     * The app dead-letters events further ahead of its wall clock than spend.timestamp.max-ahead
     * (1 minute by default) as future-timestamp: warn once simulated time passes that.
     */
    static final Duration AHEAD_WARNING = Duration.ofMinutes(1);
    static final int STOP_SECONDS = 30;

    private TrafficSimulator() {
    }

    /** Hears how a run goes: progress every 5 s, and one-off notes (prices loaded, warnings, the final summary). */
    public interface Listener {
        void progress(Progress progress);

        default void note(String message) {
        }

        /** Prints both to {@code out}, a line each. */
        static Listener printingTo(PrintStream out) {
            return new Listener() {
                @Override
                public void progress(Progress progress) {
                    out.println(progress.describe());
                    out.flush();
                }

                @Override
                public void note(String message) {
                    out.println(message);
                    out.flush();
                }
            };
        }

        static Listener silent() {
            return progress -> {
            };
        }
    }

    /**
     * A snapshot of a run.
     *
     * @param simulatedTime   every event before this event time has been sent
     * @param behind          how far simulated time lags the schedule (Kafka slower than the speed)
     * @param eventsPerSecond events sent per real second since the previous snapshot (or since the start)
     */
    public record Progress(Instant simulatedTime, Duration simulated, Duration duration, double speed, long tokenUsageSent,
                           long gpuSamplesSent, long acknowledged, long failed, double eventsPerSecond, Duration behind,
                           Duration elapsed) {
        public long sent() {
            return tokenUsageSent + gpuSamplesSent;
        }

        /** E.g. {@code simulated 2026-03-02T10:41:00Z (+1h41m of 3h), 23114 events sent (...), 231 events/s at 60x}. */
        public String describe() {
            StringBuilder s = new StringBuilder("simulated ").append(simulatedTime.truncatedTo(ChronoUnit.SECONDS))
                    .append(" (+").append(span(simulated));
            if (duration != null) {
                s.append(" of ").append(span(duration));
            }
            s.append("), ").append(sent()).append(" events sent (token_usage ").append(tokenUsageSent)
                    .append(", gpu_utilization ").append(gpuSamplesSent).append(')')
                    .append(String.format(Locale.ROOT, ", %.0f events/s at %sx", eventsPerSecond, number(speed)));
            if (failed > 0) {
                s.append(", ").append(failed).append(" failed");
            }
            if (behind.compareTo(Duration.ofMinutes(1)) >= 0) {
                s.append(", ").append(span(behind)).append(" behind schedule (Kafka is slower than the speed)");
            }
            return s.toString();
        }
    }

    /**
     * Starts {@code settings}' scenario against the Kafka and registry of {@code clientConfig}
     * ({@code bootstrap.servers}, {@code schema.registry.url}, any Kafka client property,
     * {@code spend.topic.prefix}), printing progress on stderr.
     */
    public static Running start(Map<String, Object> clientConfig, ScenarioSettings settings) {
        return start(clientConfig, settings, Listener.printingTo(System.err));
    }

    /**
     * As {@link #start(Map, ScenarioSettings)}, reporting to {@code listener}. Checks the topics,
     * publishes the prices (with {@code loadPrices}) and the scenario's budgets before it returns.
     *
     * @throws IllegalArgumentException for bad settings or configuration (an unknown scenario, no address)
     * @throws SimulatorException       when Kafka or the registry cannot be used (a topic missing, unreachable)
     */
    public static Running start(Map<String, Object> clientConfig, ScenarioSettings settings, Listener listener) {
        Objects.requireNonNull(listener, "listener");
        Scenario scenario = Scenarios.create(settings);
        KafkaEventSink sink = KafkaEventSink.open(clientConfig);
        try {
            sink.ensureTopics(settings.createTopics(), !scenario.budgets().isEmpty(), listener::note);
            if (settings.loadPrices()) {
                sink.loadDefaultPrices(settings.createTopics(), listener::note);
            }
            sink.publishBudgets(scenario.budgets(), listener::note);
        } catch (MissingTopicException e) {
            sink.close();
            throw new SimulatorException(e.getMessage() + "; create the spend-monitor topics first ('spend-monitor local' does), "
                    + "or let the simulator create them (--create-topics)", e);
        } catch (SimulatorException e) {
            sink.close();
            throw e;
        } catch (RuntimeException e) {
            sink.close();
            throw new SimulatorException(KafkaEventSink.messageOf(e), e);
        }
        return start(settings, scenario, sink, listener, Clock.systemUTC());
    }

    /** Runs {@code scenario} into {@code sink} (which the run closes). */
    static Running start(ScenarioSettings settings, Scenario scenario, EventSink sink, Listener listener, Clock wallClock) {
        listener.note(String.format(Locale.ROOT, "simulating '%s' from %s%s at %sx (seed %d)%s", scenario.name(),
                settings.start(), settings.end().map(end -> " to " + end).orElse(" until stopped"), number(settings.speed()),
                settings.seed(), settings.speed() >= 60 ? ": one simulated minute every " + number(60 / settings.speed()) + " s" : ""));
        Running running = new Running(settings, scenario, sink, listener, wallClock);
        running.begin();
        return running;
    }

    /** A run in progress, on its own thread. {@link #close()} stops it and flushes what was sent. */
    public static final class Running implements AutoCloseable {
        private final ScenarioSettings settings;
        private final EventSchedule schedule;
        private final EventSink sink;
        private final Listener listener;
        private final Clock wallClock;
        private final Thread loop;
        private final ScheduledExecutorService reporter;
        private final CountDownLatch stopSignal = new CountDownLatch(1);
        private final CountDownLatch finished = new CountDownLatch(1);
        private final AtomicLong tokenUsageSent = new AtomicLong();
        private final AtomicLong gpuSamplesSent = new AtomicLong();
        private volatile long startedNanos;
        private volatile Instant simulatedTime;
        private volatile String failure;
        private volatile boolean completed;
        private boolean warnedAhead;
        private boolean closed;
        private volatile long reportedCount;
        private volatile long reportedNanos;

        private Running(ScenarioSettings settings, Scenario scenario, EventSink sink, Listener listener, Clock wallClock) {
            this.settings = settings;
            this.schedule = new EventSchedule(scenario, settings.start(), settings.end().orElse(null));
            this.sink = sink;
            this.listener = listener;
            this.wallClock = wallClock;
            this.simulatedTime = settings.start();
            this.loop = new Thread(this::run, "spend-simulator-" + scenario.name());
            this.reporter = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "spend-simulator-progress");
                t.setDaemon(true);
                return t;
            });
        }

        private void begin() {
            startedNanos = System.nanoTime();
            reportedNanos = startedNanos;
            loop.start();
            reporter.scheduleAtFixedRate(() -> listener.progress(report()), PROGRESS_SECONDS, PROGRESS_SECONDS, TimeUnit.SECONDS);
        }

        private void run() {
            try {
                while (stopSignal.getCount() > 0) {
                    Instant target = scheduledAt(System.nanoTime());
                    boolean going = schedule.advanceTo(target, this::send);
                    simulatedTime = schedule.cursor();
                    Optional<String> deliveryFailure = sink.firstFailure();
                    if (deliveryFailure.isPresent()) {
                        throw new SimulatorException(deliveryFailure.get());
                    }
                    warnIfFarAhead();
                    if (schedule.finished()) {
                        completed = true;
                        break;
                    }
                    if (!going) {
                        break;
                    }
                    stopSignal.await(TICK.toMillis(), TimeUnit.MILLISECONDS);
                }
                sink.flush();
                sink.firstFailure().ifPresent(f -> failure = f);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted before every event was acknowledged";
            } catch (RuntimeException e) {
                failure = KafkaEventSink.messageOf(e);
            } finally {
                finished.countDown();
            }
        }

        /** Where event time should be now: start + real time elapsed * speed. */
        private Instant scheduledAt(long nowNanos) {
            // simulated nanoseconds = real nanoseconds * speed (a double: speeds like 0.5 or 3600 alike)
            return settings.start().plusNanos((long) Math.min(Long.MAX_VALUE / 2.0, (nowNanos - startedNanos) * settings.speed()));
        }

        private boolean send(SimulatedEvent event) {
            if (stopSignal.getCount() == 0) {
                return false;
            }
            sink.send(event);
            (event.isTokenUsage() ? tokenUsageSent : gpuSamplesSent).incrementAndGet();
            simulatedTime = event.timestamp(); // progress during a long catch-up, too
            return true;
        }

        private void warnIfFarAhead() {
            if (!warnedAhead && simulatedTime.isAfter(wallClock.instant().plus(AHEAD_WARNING))) {
                warnedAhead = true;
                listener.note("warning: simulated time " + simulatedTime + " is now ahead of the clock; the app dead-letters "
                        + "events more than spend.timestamp.max-ahead (default 1 minute) ahead as future-timestamp: run the app "
                        + "with -X spend.timestamp.max-ahead=P7D for a faster-than-real-time simulation (demo does), or use --speed 1");
            }
        }

        /** The run's settings. */
        public ScenarioSettings settings() {
            return settings;
        }

        /** Where the run stands now; the rate is the average since the start. */
        public Progress progress() {
            long now = System.nanoTime();
            long sent = tokenUsageSent.get() + gpuSamplesSent.get();
            return snapshot(now, sent / Math.max(1e-9, (now - startedNanos) / 1e9));
        }

        /** Only the reporter thread calls this. */
        private Progress report() {
            long now = System.nanoTime();
            long sent = tokenUsageSent.get() + gpuSamplesSent.get();
            double rate = (sent - reportedCount) / Math.max(1e-9, (now - reportedNanos) / 1e9);
            reportedCount = sent;
            reportedNanos = now;
            return snapshot(now, rate);
        }

        private Progress snapshot(long nowNanos, double rate) {
            Instant at = simulatedTime;
            Instant target = scheduledAt(nowNanos);
            if (settings.end().isPresent() && target.isAfter(settings.end().get())) {
                target = settings.end().get();
            }
            // measured from the clock, not from the loop, which may be the one stuck (Kafka not taking events)
            Duration behind = target.isAfter(at) && !isFinished() ? Duration.between(at, target) : Duration.ZERO;
            return new Progress(at, Duration.between(settings.start(), at), settings.duration(), settings.speed(),
                    tokenUsageSent.get(), gpuSamplesSent.get(), sink.acknowledged(), sink.failed(), rate, behind,
                    Duration.ofNanos(nowNanos - startedNanos));
        }

        /** Waits until the run ends by itself (its duration simulated, or a failure) or is closed. */
        public boolean awaitTermination(Duration timeout) throws InterruptedException {
            return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Waits until the run ends by itself or is closed. */
        public void awaitTermination() throws InterruptedException {
            finished.await();
        }

        /** True once the run has stopped sending (finished, failed or closed). */
        public boolean isFinished() {
            return finished.getCount() == 0;
        }

        /** True when the whole duration was simulated and flushed. */
        public boolean completed() {
            return completed && failure == null;
        }

        /** Why the run failed (events not acknowledged, Kafka or the registry unreachable), if it did. */
        public Optional<String> failure() {
            return Optional.ofNullable(failure);
        }

        /**
         * Stops sending, waits until Kafka has acknowledged what was sent (at most
         * {@value TrafficSimulator#STOP_SECONDS} s), closes the producer and notes a summary. Idempotent.
         */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            stopSignal.countDown();
            try {
                if (!finished.await(STOP_SECONDS, TimeUnit.SECONDS)) {
                    loop.interrupt();
                    finished.await(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                reporter.shutdownNow();
                try {
                    reporter.awaitTermination(2, TimeUnit.SECONDS); // no progress line after the summary
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                try {
                    sink.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = "closing the producer failed: " + KafkaEventSink.messageOf(e);
                    }
                }
            }
            listener.note(summary());
        }

        /** One line: what was sent, what Kafka acknowledged, and how the run ended. */
        public String summary() {
            Progress p = progress();
            String how = failure != null ? "failed" : completed ? "finished" : "stopped";
            StringBuilder s = new StringBuilder(how).append(": sent ").append(p.sent()).append(" events (token_usage ")
                    .append(p.tokenUsageSent()).append(", gpu_utilization ").append(p.gpuSamplesSent()).append("), ")
                    .append(p.acknowledged()).append(" acknowledged");
            if (p.failed() > 0) {
                s.append(", ").append(p.failed()).append(" failed");
            }
            s.append(String.format(Locale.ROOT, "; simulated %s to %s (%s) in %.1f s", settings.start(),
                    p.simulatedTime().truncatedTo(ChronoUnit.SECONDS), span(p.simulated()), p.elapsed().toMillis() / 1000.0));
            if (failure != null) {
                s.append("; ").append(failure);
            }
            return s.toString();
        }
    }

    /** {@code 1h41m}, {@code 41m}, {@code 12s}. */
    static String span(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < 60) {
            return seconds + "s";
        }
        long hours = seconds / 3600;
        long minutes = seconds % 3600 / 60;
        if (hours == 0) {
            return minutes + "m";
        }
        return hours + "h" + (minutes == 0 ? "" : String.format(Locale.ROOT, "%02dm", minutes));
    }

    /** {@code 60}, {@code 0.5}, {@code 0.1}: as short as the number is. */
    static String number(double d) {
        return BigDecimal.valueOf(d).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
