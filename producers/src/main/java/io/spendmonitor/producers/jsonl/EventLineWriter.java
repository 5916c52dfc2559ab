package io.spendmonitor.producers.jsonl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.PriceEntry;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes records as JSON lines in the format {@link EventLineParser} reads, so that what
 * {@code prices list --json} prints, {@code prices load} takes back unchanged. Fields follow the
 * schema's order after {@code "type"}; absent (null) fields are left out; money is a decimal string
 * (exact, e.g. {@code "0.075"}); times are ISO-8601 UTC.
 */
public final class EventLineWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventLineWriter() {
    }

    /** One line (without a line break) for a TokenUsage, GpuUtilization, TeamBudget or PriceEntry. */
    public static String toLine(IndexedRecord record) {
        IndexedRecord inner = record instanceof PriceEntry entry ? (IndexedRecord) entry.getEntry() : record;
        ObjectNode node = JSON.createObjectNode();
        node.put("type", EventType.of(record).jsonName());
        for (Schema.Field field : inner.getSchema().getFields()) {
            Object value = inner.get(field.pos());
            String name = field.name();
            if (value == null) {
                continue;
            }
            if (value instanceof BigDecimal money) {
                node.put(name, decimalText(money));
            } else if (value instanceof Instant time) {
                node.put(name, time.toString());
            } else if (value instanceof Map<?, ?> map) {
                if (!map.isEmpty()) {
                    ObjectNode object = node.putObject(name);
                    new TreeMap<>(map).forEach((k, v) -> object.put(k.toString(), v.toString()));
                }
            } else if (value instanceof Long n) {
                node.put(name, n);
            } else if (value instanceof Integer n) {
                node.put(name, n);
            } else if (value instanceof Double d) {
                node.put(name, d);
            } else if (value instanceof Boolean b) {
                node.put(name, b);
            } else {
                node.put(name, value.toString());
            }
        }
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + inner.getSchema().getName() + " as JSON", e);
        }
    }

    /** A decimal for people and for JSON: exact, no exponent, at least 2 decimal places ({@code 2.50}, {@code 0.075}). */
    public static String decimalText(BigDecimal amount) {
        BigDecimal stripped = amount.stripTrailingZeros();
        if (stripped.scale() < 2) {
            stripped = stripped.setScale(2);
        }
        return stripped.toPlainString();
    }
}
