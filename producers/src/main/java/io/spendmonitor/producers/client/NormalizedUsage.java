package io.spendmonitor.producers.client;

import io.spendmonitor.avro.TokenUsage;

import java.util.HashMap;
import java.util.Map;

/**
 * One call's token counts in our schema's convention, whatever the provider reported:
 * {@code inputTokens} counts ALL input tokens, cache reads ({@code cachedInputTokens}) and cache
 * writes ({@code cacheWriteInputTokens}) included; {@code outputTokens} counts every token billed as
 * output, reasoning / thinking tokens included.
 *
 * @param serviceTier the provider's non-standard service tier ({@code priority}, {@code flex},
 *                    {@code batch}, ...) or null for the standard one
 * @param attributes  details worth keeping that the four numbers do not carry (e.g. Anthropic's
 *                    1-hour cache writes), as TokenUsage attributes
 */
public record NormalizedUsage(UsageFormat format, long inputTokens, long cachedInputTokens,
                              long cacheWriteInputTokens, long outputTokens, String serviceTier,
                              Map<String, String> attributes) {

    public NormalizedUsage {
        if (inputTokens < 0 || cachedInputTokens < 0 || cacheWriteInputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: " + describe(inputTokens,
                    cachedInputTokens, cacheWriteInputTokens, outputTokens));
        }
        if (cachedInputTokens > inputTokens - cacheWriteInputTokens) {
            throw new IllegalArgumentException("cache reads + cache writes exceed all input tokens: "
                    + describe(inputTokens, cachedInputTokens, cacheWriteInputTokens, outputTokens));
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** Input tokens billed at the full input price: neither read from nor written to a cache. */
    public long uncachedInputTokens() {
        return inputTokens - cachedInputTokens - cacheWriteInputTokens;
    }

    /** Sets the token fields, the service tier (when known) and adds the attributes. */
    public TokenUsage.Builder applyTo(TokenUsage.Builder builder) {
        builder.setInputTokens(inputTokens)
                .setCachedInputTokens(cachedInputTokens)
                .setCacheWriteInputTokens(cacheWriteInputTokens)
                .setOutputTokens(outputTokens);
        if (serviceTier != null) {
            builder.setServiceTier(serviceTier);
        }
        if (!attributes.isEmpty()) {
            Map<String, String> merged = new HashMap<>(builder.hasAttributes() ? builder.getAttributes() : Map.of());
            merged.putAll(attributes);
            builder.setAttributes(merged);
        }
        return builder;
    }

    private static String describe(long input, long cached, long cacheWrite, long output) {
        return "input_tokens=" + input + ", cached_input_tokens=" + cached + ", cache_write_input_tokens="
                + cacheWrite + ", output_tokens=" + output;
    }
}
