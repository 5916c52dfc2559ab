package io.spendmonitor.producers.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The usage objects of the providers' APIs, and how each maps onto our four token counts.
 * Providers disagree on what "input tokens" means; our schema counts ALL input tokens, cache reads
 * and cache writes included, and every token billed as output, reasoning / thinking included:
 *
 * <pre>
 * format                    our input_tokens                              cached_input_tokens                 cache_write_input_tokens        output_tokens
 * OpenAI Chat Completions   prompt_tokens (already has cached)            prompt_tokens_details.cached_tokens 0                               completion_tokens (already has reasoning)
 * OpenAI Responses          input_tokens (already has cached)             input_tokens_details.cached_tokens  0                               output_tokens (already has reasoning)
 * Anthropic Messages        input_tokens + cache_read + cache_creation    cache_read_input_tokens             cache_creation_input_tokens     output_tokens (already has thinking)
 * Gemini                    promptTokenCount (already has cached)         cachedContentTokenCount             0                               candidatesTokenCount + thoughtsTokenCount
 *                             + toolUsePromptTokenCount
 * </pre>
 */
public enum UsageFormat {
    /** OpenAI Chat Completions, and the OpenAI-compatible APIs (Azure OpenAI, vLLM, Mistral, DeepSeek, ...). */
    OPENAI_CHAT_COMPLETIONS("OpenAI Chat Completions", List.of("prompt_tokens", "completion_tokens"),
            Set.of("cache_read_input_tokens", "cache_creation_input_tokens", "promptTokenCount")) {
        @Override
        NormalizedUsage read(Usage usage) {
            long prompt = usage.count("prompt_tokens");                               // cached tokens included
            long cached = usage.count("prompt_tokens_details", "cached_tokens");
            long completion = usage.count("completion_tokens");                       // reasoning tokens included
            return new NormalizedUsage(this, prompt, cached, 0, completion, usage.serviceTier(), Map.of());
        }
    },
    /** OpenAI Responses API. */
    OPENAI_RESPONSES("OpenAI Responses", List.of("input_tokens", "output_tokens"),
            Set.of("cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation", "prompt_tokens", "promptTokenCount")) {
        @Override
        NormalizedUsage read(Usage usage) {
            long input = usage.count("input_tokens");                                 // cached tokens included
            long cached = usage.count("input_tokens_details", "cached_tokens");
            long output = usage.count("output_tokens");                               // reasoning tokens included
            return new NormalizedUsage(this, input, cached, 0, output, usage.serviceTier(), Map.of());
        }
    },
    /** Anthropic Messages API (also Claude through Bedrock InvokeModel and Vertex AI, which return the same object). */
    ANTHROPIC_MESSAGES("Anthropic Messages", List.of("input_tokens", "output_tokens"),
            Set.of("prompt_tokens", "input_tokens_details", "output_tokens_details", "promptTokenCount")) {
        @Override
        NormalizedUsage read(Usage usage) {
            long uncached = usage.count("input_tokens");                              // EXCLUDES cache reads and writes
            long cacheRead = usage.count("cache_read_input_tokens");
            long fiveMinutes = usage.count("cache_creation", "ephemeral_5m_input_tokens");
            long oneHour = usage.count("cache_creation", "ephemeral_1h_input_tokens");
            // the total is authoritative; the per-TTL breakdown stands in only where the total is absent
            long cacheWrite = usage.has("cache_creation_input_tokens")
                    ? usage.count("cache_creation_input_tokens") : Math.addExact(fiveMinutes, oneHour);
            long output = usage.count("output_tokens");                               // thinking tokens included
            Map<String, String> attributes = oneHour > 0
                    // 1-hour cache writes cost more than 5-minute ones; keep the split for reconciliation
                    ? Map.of("cache_write_1h_input_tokens", Long.toString(oneHour)) : Map.of();
            return new NormalizedUsage(this, Math.addExact(Math.addExact(uncached, cacheRead), cacheWrite),
                    cacheRead, cacheWrite, output, usage.serviceTier(), attributes);
        }
    },
    /** Google Gemini API and Vertex AI {@code usageMetadata} (camelCase REST names, or the Python SDK's snake_case). */
    GEMINI("Gemini", List.of("promptTokenCount"),
            Set.of("prompt_tokens", "input_tokens", "completion_tokens", "output_tokens")) {
        @Override
        NormalizedUsage read(Usage usage) {
            long prompt = usage.count("promptTokenCount");                            // cached content included
            long toolUsePrompt = usage.count("toolUsePromptTokenCount");              // reported apart from the prompt
            long cached = usage.count("cachedContentTokenCount");
            long candidates = usage.count("candidatesTokenCount");
            long thoughts = usage.count("thoughtsTokenCount");                        // billed as output
            return new NormalizedUsage(this, Math.addExact(prompt, toolUsePrompt), cached, 0,
                    Math.addExact(candidates, thoughts), null, Map.of());
        }
    };

    private final String displayName;
    private final List<String> requiredFields;
    private final Set<String> foreignFields;

    UsageFormat(String displayName, List<String> requiredFields, Set<String> foreignFields) {
        this.displayName = displayName;
        this.requiredFields = requiredFields;
        this.foreignFields = foreignFields;
    }

    public String displayName() {
        return displayName;
    }

    /** Fields every usage object of this format has. */
    public List<String> requiredFields() {
        return requiredFields;
    }

    abstract NormalizedUsage read(Usage usage);

    /**
     * Reads {@code usage} (the usage object itself) of a response whose top level is {@code response}
     * (the same node when only the usage object was given).
     *
     * @throws IllegalArgumentException naming the missing or foreign fields when {@code usage} is not of this format
     */
    NormalizedUsage normalize(JsonNode usage, JsonNode response) {
        if (usage == null || !usage.isObject()) {
            throw new IllegalArgumentException(displayName + " usage must be a JSON object, got "
                    + (usage == null ? "nothing" : usage.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        Usage fields = new Usage(this, usage, response);
        List<String> missing = requiredFields.stream().filter(f -> !fields.has(f)).toList();
        List<String> foreign = foreignFields.stream().filter(fields::has).sorted().toList();
        if (!missing.isEmpty() || !foreign.isEmpty()) {
            List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) {
                problems.add("missing " + String.join(", ", missing));
            }
            if (!foreign.isEmpty()) {
                problems.add("has " + String.join(", ", foreign) + ", which belong to another provider's format");
            }
            throw new IllegalArgumentException("usage is not a " + displayName + " usage object: "
                    + String.join("; ", problems) + " (fields: " + fields.names() + ")");
        }
        return read(fields);
    }

    /** Typed access to one usage object's counts: absent or null optional fields read as 0. */
    static final class Usage {
        private static final Set<String> STANDARD_TIERS = Set.of("default", "standard", "auto", "on_demand");
        private final UsageFormat format;
        private final JsonNode usage;
        private final JsonNode response;

        Usage(UsageFormat format, JsonNode usage, JsonNode response) {
            this.format = format;
            this.usage = usage;
            this.response = response;
        }

        boolean has(String field) {
            JsonNode node = field(usage, field);
            return node != null && !node.isNull();
        }

        long count(String field) {
            return whole(field, field(usage, field));
        }

        long count(String parent, String field) {
            JsonNode details = field(usage, parent);
            if (details == null || details.isNull()) {
                return 0;
            }
            if (!details.isObject()) {
                throw new IllegalArgumentException(format.displayName + " usage field " + parent + " must be an object, got " + details);
            }
            return whole(parent + "." + field, field(details, field));
        }

        /** The provider's service tier when it is not the standard one; OpenAI reports it on the response, Anthropic in usage. */
        String serviceTier() {
            JsonNode tier = field(usage, "service_tier");
            if ((tier == null || tier.isNull()) && response != usage && response != null) {
                tier = field(response, "service_tier");
            }
            if (tier == null || !tier.isTextual() || tier.asText().isBlank()) {
                return null;
            }
            String value = tier.asText().trim().toLowerCase(Locale.ROOT);
            return STANDARD_TIERS.contains(value) ? null : value;
        }

        String names() {
            List<String> names = new ArrayList<>();
            Iterator<String> it = usage.fieldNames();
            it.forEachRemaining(names::add);
            return String.join(", ", names);
        }

        private long whole(String name, JsonNode node) {
            if (node == null || node.isNull()) {
                return 0;
            }
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                throw new IllegalArgumentException(format.displayName + " usage field " + name + " must be a whole number, got " + node);
            }
            long value = node.asLong();
            if (value < 0) {
                throw new IllegalArgumentException(format.displayName + " usage field " + name + " is negative: " + value);
            }
            return value;
        }

        /** The field by its documented name or, for Gemini, the Python SDK's snake_case spelling of it. */
        private JsonNode field(JsonNode object, String name) {
            JsonNode node = object.get(name);
            if (node == null && format == GEMINI) {
                node = object.get(snakeCase(name));
            }
            return node;
        }

        private static String snakeCase(String camel) {
            StringBuilder out = new StringBuilder(camel.length() + 8);
            for (char c : camel.toCharArray()) {
                if (Character.isUpperCase(c)) {
                    out.append('_').append(Character.toLowerCase(c));
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
