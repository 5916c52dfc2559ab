package io.spendmonitor.producers.gpu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which team, deployment and model each GPU works for. The first rule whose every condition holds
 * decides; a field a rule leaves out comes from the defaults (the command's {@code --team},
 * {@code --deployment}, ... options, then the file's own {@code defaults}). A GPU left without a
 * team is not published. The file (JSON):
 *
 * <pre>{@code
 * {
 *   "defaults": {"team": "platform"},
 *   "rules": [
 *     {"match": {"uuid": "GPU-5c8a..."}, "team": "search", "deployment": "vllm-llama-8b", "model": "llama-3.1-8b"},
 *     {"match": {"node": "gpu-node-2", "index": "1"}, "team": "research"},
 *     {"match": {"namespace": "search", "pod_prefix": "vllm-llama-"}, "team": "search",
 *      "deployment": "vllm-llama-8b", "model": "llama-3.1-8b", "gpu_model": "H100-80GB", "usd_per_hour": "2.49"}
 *   ]
 * }
 * }</pre>
 * Conditions: {@code node}, {@code index}, {@code uuid}, {@code namespace}, {@code pod}, {@code pod_prefix}
 * (the last three from a DCGM exporter with Kubernetes pod mapping).
 */
public final class GpuMapping {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> ASSIGNMENT_FIELDS = Set.of("team", "deployment", "model", "gpu_model", "usd_per_hour");
    private static final Set<String> CONDITIONS = Set.of("node", "index", "uuid", "namespace", "pod", "pod_prefix");

    private final Assignment defaults;
    private final List<Rule> rules;

    /**
     * What a GPU is published under; null fields are unset.
     *
     * @param gpuModel   the catalog's GPU model, overriding the name the source reports
     * @param usdPerHour the GPU's price, overriding the catalog (exact, at most 9 decimals)
     */
    public record Assignment(String team, String deployment, String model, String gpuModel, BigDecimal usdPerHour) {
        public static final Assignment NONE = new Assignment(null, null, null, null, null);

        public Assignment {
            team = blankToNull(team);
            deployment = blankToNull(deployment);
            model = blankToNull(model);
            gpuModel = blankToNull(gpuModel);
            if (usdPerHour != null && usdPerHour.signum() < 0) {
                throw new IllegalArgumentException("usd_per_hour must not be negative, got " + usdPerHour.toPlainString());
            }
        }

        /** This assignment, with {@code fallback}'s fields where this one has none. */
        public Assignment orElse(Assignment fallback) {
            return new Assignment(team != null ? team : fallback.team, deployment != null ? deployment : fallback.deployment,
                    model != null ? model : fallback.model, gpuModel != null ? gpuModel : fallback.gpuModel,
                    usdPerHour != null ? usdPerHour : fallback.usdPerHour);
        }
    }

    /** A rule: conditions (null = any) and what a matching GPU gets. */
    public record Rule(String node, String index, String uuid, String namespace, String pod, String podPrefix,
                       Assignment assignment) {
        boolean matches(String gpuNode, GpuReading gpu) {
            return (node == null || node.equals(gpuNode))
                    && (index == null || index.equals(gpu.index()))
                    && (uuid == null || uuid.equalsIgnoreCase(gpu.uuid() == null ? "" : gpu.uuid()))
                    && (namespace == null || namespace.equals(gpu.namespace()))
                    && (pod == null || pod.equals(gpu.pod()))
                    && (podPrefix == null || (gpu.pod() != null && gpu.pod().startsWith(podPrefix)));
        }
    }

    public GpuMapping(Assignment defaults, List<Rule> rules) {
        this.defaults = defaults == null ? Assignment.NONE : defaults;
        this.rules = List.copyOf(rules);
    }

    /** Every GPU gets {@code defaults}. */
    public static GpuMapping of(Assignment defaults) {
        return new GpuMapping(defaults, List.of());
    }

    /** The mapping in {@code file}, under the given defaults (which win over the file's own). */
    public static GpuMapping load(Path file, Assignment defaults) throws IOException {
        return parse(Files.readString(file), defaults, file.toString());
    }

    static GpuMapping parse(String json, Assignment defaults, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " must hold a JSON object with \"rules\" (and optional \"defaults\")");
        }
        unknownFields(root, Set.of("defaults", "rules"), source);
        Assignment fileDefaults = root.has("defaults") ? assignment(root.get("defaults"), source + " defaults") : Assignment.NONE;
        List<Rule> rules = new ArrayList<>();
        JsonNode list = root.path("rules");
        if (!list.isMissingNode() && !list.isArray()) {
            throw new IllegalArgumentException(source + ": \"rules\" must be a list");
        }
        for (int i = 0; i < list.size(); i++) {
            String where = source + " rule " + (i + 1);
            JsonNode rule = list.get(i);
            if (!rule.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            JsonNode match = rule.path("match");
            if (!match.isObject() || match.isEmpty()) {
                throw new IllegalArgumentException(where + " needs a non-empty \"match\" with any of " + CONDITIONS
                        + " (use \"defaults\" for what every GPU gets)");
            }
            unknownFields(match, CONDITIONS, where + " match");
            rules.add(new Rule(text(match, "node", where), text(match, "index", where), text(match, "uuid", where),
                    text(match, "namespace", where), text(match, "pod", where), text(match, "pod_prefix", where),
                    assignment(rule, where)));
        }
        return new GpuMapping((defaults == null ? Assignment.NONE : defaults).orElse(fileDefaults), rules);
    }

    /** What {@code gpu} on {@code node} is published under; empty when no team applies. */
    public Optional<Assignment> assign(String node, GpuReading gpu) {
        Assignment assignment = defaults;
        for (Rule rule : rules) {
            if (rule.matches(node, gpu)) {
                assignment = rule.assignment().orElse(defaults);
                break;
            }
        }
        return assignment.team() == null ? Optional.empty() : Optional.of(assignment);
    }

    /** True when some GPU could get a team: from the defaults or a rule. */
    public boolean assignsAnyTeam() {
        return defaults.team() != null || rules.stream().anyMatch(r -> r.assignment().team() != null);
    }

    private static Assignment assignment(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        Set<String> allowed = new HashSet<>(ASSIGNMENT_FIELDS);
        allowed.add("match");
        unknownFields(node, allowed, where);
        return new Assignment(text(node, "team", where), text(node, "deployment", where), text(node, "model", where),
                text(node, "gpu_model", where), money(node.get("usd_per_hour"), where));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() && !value.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string, got " + value);
        }
        return value.asText().trim();
    }

    private static BigDecimal money(JsonNode value, String where) {
        if (value == null || value.isNull()) {
            return null;
        }
        BigDecimal amount;
        try {
            amount = value.isNumber() ? value.decimalValue() : new BigDecimal(value.asText().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": \"usd_per_hour\" must be a number or a decimal string, got " + value);
        }
        try {
            return amount.setScale(9); // nano-dollars, as the schema holds them; never rounded
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(where + ": \"usd_per_hour\" has more than 9 decimals: " + value);
        }
    }

    private static void unknownFields(JsonNode node, Set<String> allowed, String where) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(where + ": unknown field(s) " + unknown + "; allowed: " + allowed.stream().sorted().toList());
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    @Override
    public String toString() {
        return "GpuMapping{defaults=" + defaults + ", rules=" + rules.size() + "}";
    }
}
