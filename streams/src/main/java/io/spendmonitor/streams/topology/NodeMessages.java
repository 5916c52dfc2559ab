package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.Pricing;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.avro.specific.SpecificRecord;

import java.util.Map;

/**
 * What the spend nodes hand each other inside the task (a method call, never serialized):
 * admit → price → window → evaluate.
 */
final class NodeMessages {
    private NodeMessages() {
    }

    /** An event admitted (valid, on time, not a duplicate); exactly one of call / sample is set. */
    record Admitted(LlmCall call, GpuSample sample, long idHash, SpecificRecord original) {
    }

    /** An admitted event with its price; exactly one of call / sample is set. */
    record Priced(Pricing.PricedCall call, Pricing.PricedSample sample, long idHash) {
    }

    /** A team's first event in a window: the team exists from now on, before any of its windows is final. */
    record TeamOpened(String team, long windowEndMs) {
    }

    /** Every window ending at {@code windowEndMs} is final: the team windows that had data, by team. */
    record WindowsClosed(long windowEndMs, Map<String, TeamWindow> windows) {
    }
}
