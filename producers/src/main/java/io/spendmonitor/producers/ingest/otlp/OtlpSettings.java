package io.spendmonitor.producers.ingest.otlp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How GenAI spans become token-usage events: where the team comes from, which span attributes
 * become attribution labels, and which convention the token counts follow.
 *
 * @param teamAttributes    span or resource attributes holding the team, the first one set wins
 * @param labelAttributes   span (or resource) attribute name to label key
 * @param cacheInsideInput  the OpenTelemetry convention: gen_ai.usage.input_tokens already counts cache
 *                          reads and writes (false: the instrumentation copied Anthropic's raw usage,
 *                          where input excludes them, and they are added)
 */
public record OtlpSettings(List<String> teamAttributes, Map<String, String> labelAttributes, boolean cacheInsideInput,
                           String promptHashAttribute) {
    /** The span attribute that holds a call's prompt_hash (see the client library's PromptHash). */
    public static final String PROMPT_HASH_ATTRIBUTE = "spend.otlp.prompt-hash-attribute";
    public static final String PROMPT_HASH_ATTRIBUTE_DEFAULT = "gen_ai.prompt.hash";

    public OtlpSettings(List<String> teamAttributes, Map<String, String> labelAttributes, boolean cacheInsideInput) {
        this(teamAttributes, labelAttributes, cacheInsideInput, PROMPT_HASH_ATTRIBUTE_DEFAULT);
    }

    /** The config keys (listed in ConfigKeys, streams module) and their defaults. */
    public static final String TEAM_ATTRIBUTES = "spend.otlp.team-attributes";
    public static final String TEAM_ATTRIBUTES_DEFAULT = "spend.team,service.namespace";
    public static final String LABEL_ATTRIBUTES = "spend.attribution.otel-attributes";
    public static final String LABEL_ATTRIBUTES_DEFAULT = "customer,feature";
    public static final String CACHE_INSIDE_INPUT = "spend.otlp.cache-tokens-in-input";

    public OtlpSettings {
        teamAttributes = List.copyOf(teamAttributes);
        labelAttributes = Map.copyOf(labelAttributes);
        if (promptHashAttribute == null || promptHashAttribute.isBlank()) {
            throw new IllegalArgumentException(PROMPT_HASH_ATTRIBUTE + " must name an attribute");
        }
        promptHashAttribute = promptHashAttribute.strip();
        if (teamAttributes.isEmpty()) {
            throw new IllegalArgumentException(TEAM_ATTRIBUTES + " must name at least one attribute");
        }
    }

    public static OtlpSettings defaults() {
        return fromConfig(Map.of());
    }

    /**
     * From the app's configuration. {@code spend.attribution.otel-attributes} is a comma list of
     * {@code attribute} (the label key is the attribute's name) or {@code attribute=label}, e.g.
     * {@code app.customer_id=customer,feature}.
     */
    public static OtlpSettings fromConfig(Map<String, ?> config) {
        List<String> teams = new ArrayList<>();
        for (String name : list(config, TEAM_ATTRIBUTES, TEAM_ATTRIBUTES_DEFAULT)) {
            teams.add(name);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (String entry : list(config, LABEL_ATTRIBUTES, LABEL_ATTRIBUTES_DEFAULT)) {
            int eq = entry.indexOf('=');
            String attribute = eq < 0 ? entry : entry.substring(0, eq).strip();
            String label = eq < 0 ? entry : entry.substring(eq + 1).strip();
            if (attribute.isEmpty() || label.isEmpty()) {
                throw new IllegalArgumentException(LABEL_ATTRIBUTES + ": '" + entry + "' is not 'attribute' or 'attribute=label'");
            }
            io.spendmonitor.schemas.rules.EventRules.labelsProblem(Map.of(label, "x")).ifPresent(v -> {
                throw new IllegalArgumentException(LABEL_ATTRIBUTES + ": " + v.message());
            });
            labels.put(attribute, label);
        }
        Object inside = config.get(CACHE_INSIDE_INPUT);
        boolean cacheInside = inside == null || Boolean.parseBoolean(inside.toString().strip().toLowerCase(Locale.ROOT));
        Object hash = config.get(PROMPT_HASH_ATTRIBUTE);
        return new OtlpSettings(teams, labels, cacheInside, hash == null ? PROMPT_HASH_ATTRIBUTE_DEFAULT : hash.toString());
    }

    private static List<String> list(Map<String, ?> config, String key, String fallback) {
        Object value = config.get(key);
        String text = value == null ? fallback : value.toString();
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }
}
