package io.spendmonitor.producers.simulator;

import java.util.List;

/**
 * Only the {@code research} team of {@link CrossoverScenario}: {@code llama-3.1-70b} self-hosted on
 * 2x H100-80GB at 4-8 % utilization with a trickle of 5 calls a minute. Expected alerts:
 * {@code SELF_HOSTING_DEARER} (llama-3.1-70b on H100-80GB) at minute 5 and {@code IDLE_CAPACITY}
 * (research-llama70b) at minute 15, with about $5.6/h of idle GPUs.
 */
public final class IdleGpusScenario extends ComposedScenario {
    public static final String NAME = "idle-gpus";
    public static final String DESCRIPTION = "only 'research': llama-3.1-70b on 2x H100-80GB at 4-8 % utilization "
            + "with a trickle of calls (SELF_HOSTING_DEARER at minute 5, IDLE_CAPACITY at minute 15)";

    public IdleGpusScenario(ScenarioSettings settings) {
        this(new ScenarioContext(NAME, settings));
    }

    private IdleGpusScenario(ScenarioContext context) {
        super(NAME, List.of(CrossoverScenario.researchCalls(context), CrossoverScenario.researchGpus(context)), List.of());
    }
}
