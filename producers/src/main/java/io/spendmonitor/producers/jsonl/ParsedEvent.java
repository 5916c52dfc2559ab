package io.spendmonitor.producers.jsonl;

import org.apache.avro.specific.SpecificRecord;

/**
 * A valid line: the Avro record to publish and its Kafka key. {@code value} is a TokenUsage,
 * GpuUtilization, TeamBudget, or a PriceEntry wrapping the price type; {@code key} is the team, or
 * for price entries {@link io.spendmonitor.schemas.PriceKeys#key}.
 */
public record ParsedEvent(int lineNumber, EventType type, String key, SpecificRecord value) implements LineResult {
    public Destination destination() {
        return type.destination();
    }
}
