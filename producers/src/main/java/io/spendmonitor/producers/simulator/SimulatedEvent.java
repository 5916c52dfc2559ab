package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import org.apache.avro.specific.SpecificRecord;

import java.time.Instant;
import java.util.Objects;

/**
 * One event a scenario generates: a {@link TokenUsage} or a {@link GpuUtilization}, at its own
 * event time, keyed by its team (the key of both input topics).
 */
public record SimulatedEvent(Instant timestamp, String team, SpecificRecord value) {
    public SimulatedEvent {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(team, "team");
        if (!(value instanceof TokenUsage) && !(value instanceof GpuUtilization)) {
            throw new IllegalArgumentException("a simulated event is a TokenUsage or a GpuUtilization, got " + value);
        }
    }

    public static SimulatedEvent of(TokenUsage usage) {
        return new SimulatedEvent(usage.getTimestamp(), usage.getTeam(), usage);
    }

    public static SimulatedEvent of(GpuUtilization sample) {
        return new SimulatedEvent(sample.getTimestamp(), sample.getTeam(), sample);
    }

    public boolean isTokenUsage() {
        return value instanceof TokenUsage;
    }

    public TokenUsage tokenUsage() {
        return (TokenUsage) value;
    }

    public GpuUtilization gpuUtilization() {
        return (GpuUtilization) value;
    }
}
