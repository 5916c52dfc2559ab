package io.spendmonitor.producers.simulator;

import io.spendmonitor.producers.jsonl.EventLineParser;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * What to simulate and how fast.
 *
 * @param scenario     a name from {@link Scenarios#names()}
 * @param seed         seed of every random generator: the same seed and start give the same events
 * @param start        event time of the first simulated minute
 * @param duration     simulated time to run for; null: until stopped
 * @param speed        simulated seconds per real second (60: one simulated minute per second)
 * @param teams        {@code steady} only: how many teams
 * @param rate         {@code steady} only: token-usage events per REAL second, over all teams
 * @param loadPrices   publish the bundled default price catalog before the first event
 * @param createTopics create a missing input topic (with its contract settings) instead of failing
 */
public record ScenarioSettings(String scenario, long seed, Instant start, Duration duration, double speed,
                               int teams, double rate, boolean loadPrices, boolean createTopics) {
    public static final long DEFAULT_SEED = 42;
    public static final double DEFAULT_SPEED = 60;
    /**
     * The default start lies this far behind the clock: a 60x run catches up with the wall clock after
     * two minutes, and from then on needs an app that accepts events ahead of it (spend.timestamp.max-ahead).
     */
    public static final Duration DEFAULT_START_BEHIND = Duration.ofHours(2);
    public static final int DEFAULT_TEAMS = 20;
    public static final double DEFAULT_RATE = 200;
    public static final int MAX_TEAMS = 10_000;

    public ScenarioSettings {
        if (scenario == null || scenario.isBlank()) {
            throw new IllegalArgumentException("name a scenario: " + String.join(", ", Scenarios.names()));
        }
        Objects.requireNonNull(start, "start");
        if (start.isBefore(EventLineParser.DEFAULT_EARLIEST_EVENT_TIME)) {
            throw new IllegalArgumentException("start must not be before " + EventLineParser.DEFAULT_EARLIEST_EVENT_TIME
                    + " (the topology rejects older events), got " + start);
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be a positive number (simulated seconds per real second), got " + speed);
        }
        if (teams < 1 || teams > MAX_TEAMS) {
            throw new IllegalArgumentException("teams must be 1.." + MAX_TEAMS + ", got " + teams);
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be a positive number of events per second, got " + rate);
        }
    }

    /** {@code scenario} with every default: seed 42, start two hours ago (whole minute), unbounded, 60x. */
    public static ScenarioSettings of(String scenario) {
        return of(scenario, Clock.systemUTC());
    }

    static ScenarioSettings of(String scenario, Clock clock) {
        return new ScenarioSettings(scenario, DEFAULT_SEED, defaultStart(clock), null, DEFAULT_SPEED, DEFAULT_TEAMS,
                DEFAULT_RATE, false, false);
    }

    /**
     * Now minus {@link #DEFAULT_START_BEHIND}, truncated to the minute, so simulated minutes are the
     * topology's 1-minute windows (a team's first window is then a whole minute of traffic).
     */
    public static Instant defaultStart(Clock clock) {
        return clock.instant().minus(DEFAULT_START_BEHIND).truncatedTo(ChronoUnit.MINUTES);
    }

    /** Event time at which the simulation ends, if bounded. */
    public Optional<Instant> end() {
        return duration == null ? Optional.empty() : Optional.of(start.plus(duration));
    }

    public ScenarioSettings withSeed(long seed) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withStart(Instant start) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withDuration(Duration duration) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withSpeed(double speed) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withTeams(int teams) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withRate(double rate) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withLoadPrices(boolean loadPrices) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }

    public ScenarioSettings withCreateTopics(boolean createTopics) {
        return new ScenarioSettings(scenario, seed, start, duration, speed, teams, rate, loadPrices, createTopics);
    }
}
