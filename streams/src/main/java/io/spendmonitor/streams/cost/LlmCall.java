package io.spendmonitor.streams.cost;

/**
 * One LLM call as the cost model sees it, after admission (valid, on time, not a duplicate).
 * No Kafka or Avro types: the topology converts the event, the cost model prices and adds it.
 *
 * @param provider {@link io.spendmonitor.schemas.Providers#SELF_HOSTED} for calls served by the team's own deployments
 * @param labels   the call's attribution labels (customer, feature, ...); empty when it has none
 */
public record LlmCall(String team, long timestampMs, String provider, String model, String serviceTier, String deployment,
                      TokenCounts tokens, java.util.Map<String, String> labels) {
    public LlmCall {
        labels = labels == null ? java.util.Map.of() : labels;
    }

    /** A call without labels. */
    public LlmCall(String team, long timestampMs, String provider, String model, String serviceTier, String deployment,
                   TokenCounts tokens) {
        this(team, timestampMs, provider, model, serviceTier, deployment, tokens, java.util.Map.of());
    }

    public boolean selfHosted() {
        return io.spendmonitor.schemas.Providers.isSelfHosted(provider);
    }
}
