package io.spendmonitor.producers.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;
import java.util.Set;

/**
 * Turns a provider's usage object into our token counts ({@link NormalizedUsage}); see
 * {@link UsageFormat} for the field-by-field table. Accepts the whole response
 * ({@code {"id":..., "usage":{...}}}, Gemini's {@code {"candidates":..., "usageMetadata":{...}}})
 * or just its usage object.
 *
 * <p>Which format applies follows from the provider: {@code anthropic} reads Anthropic Messages,
 * {@code google} / {@code gemini} / {@code vertex-ai} read Gemini, {@code openai} / {@code azure-openai}
 * read Chat Completions or Responses (told apart by {@code prompt_tokens} vs {@code input_tokens}).
 * Other providers (OpenAI-compatible servers, {@code self-hosted}, Bedrock's InvokeModel of Claude)
 * are recognised by their fields. A usage object of another provider's shape than the one declared
 * is rejected, naming the fields: silently reading Anthropic's {@code input_tokens} as OpenAI's
 * would drop every cached token from the bill.
 */
public final class UsageNormalizer {
    private static final Set<String> ANTHROPIC = Set.of("anthropic", "claude");
    private static final Set<String> GOOGLE = Set.of("google", "gemini", "google-ai", "vertex", "vertex-ai", "vertexai", "google-vertex");
    private static final Set<String> OPENAI = Set.of("openai", "azure", "azure-openai");

    private UsageNormalizer() {
    }

    /** Normalises the usage a call to {@code provider} reported. */
    public static NormalizedUsage normalize(String provider, JsonNode responseOrUsage) {
        JsonNode usage = usageObject(responseOrUsage);
        return formatFor(provider, usage).normalize(usage, responseOrUsage);
    }

    /** Normalises a usage object (or whole response) known to be of {@code format}. */
    public static NormalizedUsage normalize(UsageFormat format, JsonNode responseOrUsage) {
        return format.normalize(usageObject(responseOrUsage), responseOrUsage);
    }

    /** The format {@code provider}'s usage object is read as. */
    public static UsageFormat formatFor(String provider, JsonNode responseOrUsage) {
        if (provider == null || provider.isBlank()) {
            throw new IllegalArgumentException("provider is empty");
        }
        JsonNode usage = usageObject(responseOrUsage);
        String name = provider.trim().toLowerCase(Locale.ROOT);
        if (ANTHROPIC.contains(name)) {
            return UsageFormat.ANTHROPIC_MESSAGES;
        }
        if (GOOGLE.contains(name)) {
            return UsageFormat.GEMINI;
        }
        if (OPENAI.contains(name)) {
            // Responses' usage has input_tokens; anything else is read (and, if need be, rejected) as Chat Completions
            return has(usage, "input_tokens") && !has(usage, "prompt_tokens")
                    ? UsageFormat.OPENAI_RESPONSES : UsageFormat.OPENAI_CHAT_COMPLETIONS;
        }
        if (has(usage, "promptTokenCount") || has(usage, "prompt_token_count")) {
            return UsageFormat.GEMINI;
        }
        if (has(usage, "prompt_tokens")) {
            return UsageFormat.OPENAI_CHAT_COMPLETIONS;
        }
        if (has(usage, "cache_read_input_tokens") || has(usage, "cache_creation_input_tokens") || has(usage, "cache_creation")) {
            return UsageFormat.ANTHROPIC_MESSAGES;
        }
        if (has(usage, "input_tokens")) {
            // without cache fields, Responses and Anthropic usage read the same: input and output as given
            return UsageFormat.OPENAI_RESPONSES;
        }
        throw new IllegalArgumentException("usage reported for provider '" + provider + "' is of no known format: expected "
                + "prompt_tokens + completion_tokens (OpenAI Chat Completions and compatible), input_tokens + output_tokens "
                + "(OpenAI Responses, Anthropic Messages) or promptTokenCount (Gemini)"
                + (usage != null && usage.isObject() ? "; fields: " + String.join(", ", iterable(usage)) : ""));
    }

    /** The usage object of a whole response, or the node itself when it is one already. */
    static JsonNode usageObject(JsonNode responseOrUsage) {
        if (responseOrUsage == null || responseOrUsage.isNull() || responseOrUsage.isMissingNode()) {
            throw new IllegalArgumentException("no usage given");
        }
        for (String container : new String[]{"usage", "usageMetadata", "usage_metadata"}) {
            JsonNode inner = responseOrUsage.get(container);
            if (inner != null && inner.isObject()) {
                return inner;
            }
        }
        return responseOrUsage;
    }

    private static boolean has(JsonNode usage, String field) {
        return usage != null && usage.isObject() && usage.hasNonNull(field);
    }

    private static Iterable<String> iterable(JsonNode node) {
        return node::fieldNames;
    }
}
