package io.spendmonitor.schemas.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A registry in memory, for unit tests (TopologyTestDriver and the like). It assigns ids like a
 * real registry and enforces BACKWARD compatibility by default; integration tests use the real one.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
    private final Map<String, List<Integer>> versions = new HashMap<>();
    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<Schema, Integer> idBySchema = new HashMap<>();
    private final Map<String, String> compatibility = new HashMap<>();
    private String globalCompatibility = "BACKWARD";

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Integer> subjectVersions = versions.computeIfAbsent(subject, s -> new ArrayList<>());
        Integer existing = idBySchema.get(schema);
        if (existing != null && subjectVersions.contains(existing)) {
            return existing;
        }
        String level = compatibility.getOrDefault(subject, globalCompatibility);
        if (level.startsWith("BACKWARD") && !subjectVersions.isEmpty()) {
            Schema previous = byId.get(subjectVersions.get(subjectVersions.size() - 1));
            var result = SchemaCompatibility.checkReaderWriterCompatibility(schema, previous);
            if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new IncompatibleSchemaException(subject, result.getDescription(), 409, 409);
            }
        }
        int id = existing != null ? existing : byId.size() + 1;
        byId.put(id, schema);
        idBySchema.put(schema, id);
        subjectVersions.add(id);
        return id;
    }

    @Override
    public synchronized int lookup(String subject, Schema schema) {
        Integer id = idBySchema.get(schema);
        if (id == null || !versions.getOrDefault(subject, List.of()).contains(id)) {
            throw new SchemaRegistryException("schema not registered under subject '" + subject + "'", 404, 40403);
        }
        return id;
    }

    @Override
    public synchronized Schema getById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new UnknownSchemaIdException(id, 404, 40403);
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<Integer> subjectVersions = versions.get(subject);
        if (subjectVersions == null || subjectVersions.isEmpty()) {
            throw new SchemaRegistryException("subject '" + subject + "' not found", 404, 40401);
        }
        int id = subjectVersions.get(subjectVersions.size() - 1);
        return new RegisteredSchema(subject, id, subjectVersions.size(), byId.get(id));
    }

    @Override
    public synchronized void setCompatibility(String subject, String level) {
        if (subject == null) {
            globalCompatibility = level;
        } else {
            compatibility.put(subject, level);
        }
    }
}
