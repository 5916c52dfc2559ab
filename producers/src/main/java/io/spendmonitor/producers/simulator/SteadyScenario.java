package io.spendmonitor.producers.simulator;

import java.util.ArrayList;
import java.util.List;

/**
 * Constant traffic from {@code --teams} teams ({@code team-01}, {@code team-02}, ...) for benchmarks
 * and soak tests: {@code --rate} token-usage events per REAL second in all, shared evenly, so the load
 * on Kafka does not depend on {@code --speed} (each team makes rate * 60 / speed / teams calls per
 * simulated minute). Teams take turns at a model: openai/gpt-4o-mini, anthropic/claude-haiku-4-5
 * (with cache reads), google/gemini-2.5-flash, openai/gpt-4.1-mini, and every fifth team self-hosts
 * mistral-7b on one L40S at 45-65 % utilization, whose GPU samples (4 per simulated minute) come on
 * top of the rate.
 */
public final class SteadyScenario extends ComposedScenario {
    public static final String NAME = "steady";
    public static final String DESCRIPTION = "constant traffic from --teams teams (default 20) at --rate token-usage events "
            + "per real second (default 200), every fifth team on a self-hosted GPU: for benchmarks and soak tests";

    public SteadyScenario(ScenarioSettings settings) {
        this(new ScenarioContext(NAME, settings), settings);
    }

    private SteadyScenario(ScenarioContext context, ScenarioSettings settings) {
        super(NAME, streams(context, settings), List.of());
    }

    static String teamName(int index, int teams) {
        int width = Math.max(2, String.valueOf(teams).length());
        return String.format("team-%0" + width + "d", index + 1);
    }

    private static List<TeamTraffic> streams(ScenarioContext context, ScenarioSettings settings) {
        // rate is per real second; a real second is `speed` simulated seconds
        double callsPerMinute = settings.rate() * 60 / settings.speed() / settings.teams();
        List<TeamTraffic> streams = new ArrayList<>();
        for (int i = 0; i < settings.teams(); i++) {
            String team = teamName(i, settings.teams());
            CallRate rate = CallRate.constant(callsPerMinute);
            switch (i % 5) {
                case 0 -> streams.add(new LlmCalls(LlmCalls.Stream.api(team, "chat", "openai", "gpt-4o-mini", 8), rate,
                        CallSizes.uncached(800, 200, 0.5), context));
                case 1 -> streams.add(new LlmCalls(LlmCalls.Stream.api(team, "chat", "anthropic", "claude-haiku-4-5", 6), rate,
                        random -> {
                            long prefix = CallSizes.around(random, 2_000, 0.2);
                            long fresh = CallSizes.around(random, 400, 0.5);
                            return new CallTokens(prefix + fresh, prefix, 0, CallSizes.around(random, 200, 0.5));
                        }, context));
                case 2 -> streams.add(new LlmCalls(LlmCalls.Stream.api(team, "chat", "google", "gemini-2.5-flash", 5), rate,
                        CallSizes.uncached(800, 200, 0.5), context));
                case 3 -> streams.add(new LlmCalls(LlmCalls.Stream.api(team, "chat", "openai", "gpt-4.1-mini", 8), rate,
                        CallSizes.uncached(800, 200, 0.5), context));
                default -> {
                    String deployment = team + "-mistral-7b";
                    streams.add(new LlmCalls(LlmCalls.Stream.selfHosted(team, "chat", "mistral-7b", deployment, 12), rate,
                            CallSizes.uncached(800, 200, 0.5), context));
                    streams.add(new GpuSamples(new GpuSamples.Deployment(team, deployment, "mistral-7b", team + "-gpu-01",
                            "L40S", 1, 0.45, 0.65, 48 * GpuSamples.GIB, 0.9, 80, 350), context));
                }
            }
        }
        return streams;
    }
}
