package io.spendmonitor.producers.simulator;

import java.util.List;

/**
 * The seed's story (docs/WHATIF.md): a startup tests Llama 2 70B in August 2023 on rented GPUs and
 * pays about $1,200; the same tests on GPT-3.5 Turbo would have cost about $5. Stated assumptions:
 * team {@code startup} rents 2x A100-80GB around the clock (the catalog's $1.79 per GPU-hour: two
 * weeks are 336 h * 2 * $1.79 = $1,202.88) for a {@code llama-2-70b} deployment that its test
 * harness calls about 0.13 times a minute (900 input and 300 output tokens a call, about 2,600 calls
 * in two weeks), so the GPUs are 2-6 % busy. At GPT-3.5 Turbo's August 2023 price ($1.50 / $2.00 per
 * 1M) a call costs (900 * 1.50 + 300 * 2.00) / 1e6 = $0.00195: about $5 in all. Run it with
 * {@code --start 2023-08-01 --duration 336h}.
 */
public final class Seed2023Scenario extends ComposedScenario {
    public static final String NAME = "seed-2023";
    public static final String DESCRIPTION = "the seed's 2023 test: 'startup' runs llama-2-70b on 2x A100-80GB around the clock "
            + "at 2-6 % utilization for ~0.13 test calls a minute (use --start 2023-08-01 --duration 336h: ~$1,200 of GPUs, "
            + "~$5 at GPT-3.5 Turbo prices)";
    static final String TEAM = "startup";
    static final String MODEL = "llama-2-70b";
    static final String DEPLOYMENT = "llama2-70b-eval";
    static final double CALLS_PER_MINUTE = 0.13;

    public Seed2023Scenario(ScenarioSettings settings) {
        this(new ScenarioContext(NAME, settings));
    }

    private Seed2023Scenario(ScenarioContext context) {
        super(NAME, List.of(
                new LlmCalls(LlmCalls.Stream.selfHosted(TEAM, "llama-eval", MODEL, DEPLOYMENT, 40),
                        CallRate.constant(CALLS_PER_MINUTE), CallSizes.uncached(900, 300, 0.3), context),
                // FP16 weights split over two GPUs (~138 GB) and vLLM's preallocated KV cache: ~95 % of memory, busy or not
                new GpuSamples(new GpuSamples.Deployment(TEAM, DEPLOYMENT, MODEL, "gpu-startup-01", "A100-80GB", 2, 0.02, 0.06,
                        80 * GpuSamples.GIB, 0.95, 60, 400), context)), List.of());
    }
}
