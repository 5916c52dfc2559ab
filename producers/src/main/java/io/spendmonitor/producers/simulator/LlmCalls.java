package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.TokenUsage;

import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * A team's calls to one model: an API model ({@code provider/model}) or, with a deployment, the
 * team's own self-hosted deployment (provider {@code self-hosted}).
 *
 * <p>The number of calls in a minute is the rate, with the fractions carried over to the next minute
 * (not a Poisson draw): the break-even sizes self-hosting by the busiest minute of the horizon, and a
 * random count per minute would make that peak, and so the alerts, depend on luck. The calls of a
 * minute are spread over it, each at a random point of its own slot, so timestamps rise within a team.
 */
final class LlmCalls implements TeamTraffic {
    /** Who calls what. {@code deployment} only for self-hosted calls. */
    record Stream(String team, String application, String provider, String model, String deployment,
                  double firstTokenMs, double msPerOutputToken) {
        static Stream api(String team, String application, String provider, String model, double msPerOutputToken) {
            return new Stream(team, application, provider, model, null, 350, msPerOutputToken);
        }

        static Stream selfHosted(String team, String application, String model, String deployment, double msPerOutputToken) {
            return new Stream(team, application, io.spendmonitor.schemas.Providers.SELF_HOSTED, model, deployment, 200, msPerOutputToken);
        }

        String name() {
            return team + "/" + application + "/" + provider + "/" + model;
        }
    }

    private final Stream stream;
    private final CallRate rate;
    private final CallSizes sizes;
    private final Random random;
    private final ScenarioContext.EventIds ids;
    private final ScenarioContext context;
    private double carry;

    LlmCalls(Stream stream, CallRate rate, CallSizes sizes, ScenarioContext context) {
        this.stream = stream;
        this.rate = rate;
        this.sizes = sizes;
        this.context = context;
        this.random = context.random(stream.name());
        this.ids = context.ids(stream.name());
    }

    @Override
    public void minute(long index, Instant minuteStart, List<SimulatedEvent> out) {
        double expected = Math.max(0, rate.callsPerMinute(index, minuteStart)) + carry;
        int calls = (int) Math.floor(expected);
        carry = expected - calls;
        long startMs = minuteStart.toEpochMilli();
        for (int i = 0; i < calls; i++) {
            // slot i of the minute, at a random point within it: never outside the minute
            long offsetMs = (long) ((i + random.nextDouble()) * 60_000 / calls);
            CallTokens tokens = sizes.draw(random);
            long latencyMs = Math.round((stream.firstTokenMs() + stream.msPerOutputToken() * tokens.output())
                    * (0.8 + 0.4 * random.nextDouble()));
            TokenUsage usage = TokenUsage.newBuilder()
                    .setEventId(ids.next())
                    .setTimestamp(Instant.ofEpochMilli(startMs + Math.min(59_999, offsetMs)))
                    .setTeam(stream.team())
                    .setApplication(stream.application())
                    .setProvider(stream.provider())
                    .setModel(stream.model())
                    .setDeployment(stream.deployment())
                    .setInputTokens(tokens.input())
                    .setCachedInputTokens(tokens.cached())
                    .setCacheWriteInputTokens(tokens.cacheWrite())
                    .setOutputTokens(tokens.output())
                    .setLatencyMs(latencyMs)
                    .setAttributes(context.attributes())
                    .build();
            out.add(SimulatedEvent.of(usage));
        }
    }
}
