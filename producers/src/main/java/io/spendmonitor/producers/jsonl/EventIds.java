package io.spendmonitor.producers.jsonl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.TokenUsage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Event ids for token_usage lines that have none. The id is a name-based UUID (version 5, SHA-1)
 * of the event's content after parsing, so the same call published twice gets the same id and
 * the topology counts it once; key order, whitespace, {@code "0.15"} vs {@code 0.15} and ISO vs
 * epoch-millis timestamps do not change it.
 * <p>
 * Two identical lines in one input are two calls (same team, model, tokens and millisecond), not a
 * duplicate: the n-th repeat (n &ge; 1) of a content gets the id of that content plus {@code #n}.
 * Repeats are remembered for the last {@value #REMEMBERED} distinct contents, which bounds memory;
 * the ids stay a pure function of the input, so republishing the same input gives the same ids.
 */
final class EventIds {
    static final int REMEMBERED = 100_000;
    /** Namespace of spend-monitor's derived event ids (a fixed random UUID). */
    private static final UUID NAMESPACE = UUID.fromString("b3f1c0de-7a54-4c1e-9d2a-51e0c6a8f4d7");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<UUID, Integer> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Integer> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** The id of {@code usage} (whose own event_id is ignored), counting repeats within this input. */
    String derive(TokenUsage usage) {
        byte[] content = canonicalContent(usage);
        UUID id = nameBased(content);
        int repeat = seen.merge(id, 1, Integer::sum) - 1;
        if (repeat == 0) {
            return id.toString();
        }
        byte[] suffix = ("#" + repeat).getBytes(StandardCharsets.UTF_8);
        byte[] repeated = ByteBuffer.allocate(content.length + suffix.length).put(content).put(suffix).array();
        return nameBased(repeated).toString();
    }

    /** The fields of a call in a fixed order and form: a JSON array, attributes sorted by key. */
    static byte[] canonicalContent(TokenUsage u) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ArrayNode a = f.arrayNode();
        a.add("token_usage/v1");
        a.add(u.getTimestamp().toEpochMilli());
        a.add(u.getTeam());
        a.add(u.getApplication());
        a.add(u.getProvider());
        a.add(u.getModel());
        a.add(u.getDeployment());
        a.add(u.getInputTokens());
        a.add(u.getCachedInputTokens());
        a.add(u.getCacheWriteInputTokens());
        a.add(u.getOutputTokens());
        a.add(u.getServiceTier());
        a.add(u.getLatencyMs());
        a.add(u.getReportedCostUsd() == null ? null : u.getReportedCostUsd().toPlainString());
        ObjectNode attributes = f.objectNode();
        new java.util.TreeMap<>(u.getAttributes()).forEach(attributes::put);
        a.add(attributes);
        // labels came with schema v2: only a labelled call adds them, so an unlabelled call keeps the id it always had
        if (u.getLabels() != null && !u.getLabels().isEmpty()) {
            ObjectNode labels = f.objectNode();
            new java.util.TreeMap<>(u.getLabels()).forEach(labels::put);
            a.add(labels);
        }
        // prompt_hash came with schema v3: likewise only a call that carries one adds it
        if (u.getPromptHash() != null) {
            a.add("prompt_hash:" + u.getPromptHash());
        }
        try {
            return JSON.writeValueAsBytes(a);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write canonical content", e);
        }
    }

    /** RFC 4122 version 5 UUID of {@code name} in {@link #NAMESPACE}. */
    static UUID nameBased(byte[] name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
        sha1.update(ByteBuffer.allocate(16)
                .putLong(NAMESPACE.getMostSignificantBits()).putLong(NAMESPACE.getLeastSignificantBits()).array());
        byte[] hash = sha1.digest(name);
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
        ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bytes.getLong(), bytes.getLong());
    }
}
