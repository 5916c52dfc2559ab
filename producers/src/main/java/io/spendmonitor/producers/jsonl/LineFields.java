package io.spendmonitor.producers.jsonl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

import static io.spendmonitor.producers.jsonl.LineError.INVALID_VALUE;
import static io.spendmonitor.producers.jsonl.LineError.MISSING_FIELD;
import static io.spendmonitor.producers.jsonl.LineError.WRONG_TYPE;

/**
 * Typed, validating access to the fields of one JSON line. Every getter either returns a value
 * that fits its Avro field or throws {@link LineRejectedException} naming the field. A JSON
 * {@code null} is the same as an absent field.
 */
final class LineFields {
    /** Avro decimal(18, 9): 9 decimal places, so at most 999999999.999999999. */
    static final int MONEY_SCALE = 9;
    static final BigDecimal MONEY_LIMIT = new BigDecimal("1000000000");
    static final int MAX_NAME_LENGTH = 256;
    static final int MAX_TEXT_LENGTH = 2000;

    private final ObjectNode node;
    private final String typeName;

    LineFields(ObjectNode node, String typeName) {
        this.node = node;
        this.typeName = typeName;
    }

    boolean has(String field) {
        return value(field) != null;
    }

    /** A required name (team, model, ...): a non-blank string without control characters. */
    String name(String field) {
        return checkedName(field, required(field));
    }

    /** An optional name: null when absent; when present, the same rules as {@link #name}. */
    String optionalName(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedName(field, v);
    }

    /** Optional free text (e.g. a catalog entry's source); no control characters. */
    String optionalText(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        String text = text(field, v);
        if (text.length() > MAX_TEXT_LENGTH) {
            throw invalid(field + " is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        checkNoControlCharacters(field, text);
        return text;
    }

    /** A required count (tokens, bytes): a whole JSON number, not negative. */
    long count(String field) {
        return checkedCount(field, required(field));
    }

    long optionalCount(String field, long absent) {
        JsonNode v = value(field);
        return v == null ? absent : checkedCount(field, v);
    }

    Long optionalCount(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedCount(field, v);
    }

    /** A whole number that fits an int and is at least {@code min}. */
    int integer(String field, int min) {
        return checkedInt(field, required(field), min);
    }

    int optionalInteger(String field, int absent, int min) {
        JsonNode v = value(field);
        return v == null ? absent : checkedInt(field, v, min);
    }

    /** A finite JSON number (utilization, seconds, tokens/s): not a string. */
    double number(String field) {
        return checkedNumber(field, required(field));
    }

    Double optionalNumber(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedNumber(field, v);
    }

    /**
     * USD, exact: a JSON number or a decimal string, read as BigDecimal from its text (never through
     * a double), at most 9 decimal places, not negative; returned at scale 9 as the Avro decimal needs.
     */
    BigDecimal money(String field) {
        return checkedMoney(field, required(field));
    }

    BigDecimal optionalMoney(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedMoney(field, v);
    }

    /** ISO-8601 with a zone ({@code 2026-11-27T10:00:00Z}, {@code ...+01:00}), a UTC date, or epoch millis. */
    Instant time(String field) {
        return checkedTime(field, required(field));
    }

    /** An object of string values; absent: empty. Returned sorted by key. */
    Map<String, String> stringMap(String field) {
        JsonNode v = value(field);
        Map<String, String> map = new TreeMap<>();
        if (v == null) {
            return map;
        }
        if (!v.isObject()) {
            throw wrongType(field, "an object of strings", v);
        }
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            String key = field + "." + e.getKey();
            if (e.getKey().isEmpty()) {
                throw invalid(field + " has an empty key");
            }
            checkNoControlCharacters(field + " key", e.getKey());
            if (!e.getValue().isTextual()) {
                throw wrongType(key, "a string", e.getValue());
            }
            checkNoControlCharacters(key, e.getValue().textValue());
            map.put(e.getKey(), e.getValue().textValue());
        }
        return map;
    }

    static LineRejectedException invalid(String message) {
        return new LineRejectedException(INVALID_VALUE, message);
    }

    private JsonNode value(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private JsonNode required(String field) {
        JsonNode v = value(field);
        if (v == null) {
            throw new LineRejectedException(MISSING_FIELD, "missing required field '" + field + "' in " + typeName);
        }
        return v;
    }

    private String checkedName(String field, JsonNode v) {
        String text = text(field, v);
        if (text.isBlank()) {
            throw invalid(field + " is empty");
        }
        if (text.length() > MAX_NAME_LENGTH) {
            throw invalid(field + " is longer than " + MAX_NAME_LENGTH + " characters");
        }
        checkNoControlCharacters(field, text);
        return text;
    }

    private String text(String field, JsonNode v) {
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        return v.textValue();
    }

    private static void checkNoControlCharacters(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                throw invalid(field + " contains a control character (U+" + String.format("%04X", (int) c) + ")");
            }
        }
    }

    private long checkedCount(String field, JsonNode v) {
        if (!v.isIntegralNumber()) {
            throw wrongType(field, "a whole number", v);
        }
        if (!v.canConvertToLong()) {
            throw invalid(field + " is too large");
        }
        long n = v.longValue();
        if (n < 0) {
            throw invalid(field + " must not be negative, got " + n);
        }
        return n;
    }

    private int checkedInt(String field, JsonNode v, int min) {
        if (!v.isIntegralNumber()) {
            throw wrongType(field, "a whole number", v);
        }
        if (!v.canConvertToInt()) {
            throw invalid(field + " is too large");
        }
        int n = v.intValue();
        if (n < min) {
            throw invalid(field + " must be at least " + min + ", got " + n);
        }
        return n;
    }

    private double checkedNumber(String field, JsonNode v) {
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw invalid(field + " is out of range");
        }
        return d;
    }

    private BigDecimal checkedMoney(String field, JsonNode v) {
        BigDecimal amount;
        if (v.isNumber()) {
            // with USE_BIG_DECIMAL_FOR_FLOATS every JSON fraction is a BigDecimal made from its digits
            amount = v.decimalValue();
        } else if (v.isTextual()) {
            try {
                amount = new BigDecimal(v.textValue().trim());
            } catch (NumberFormatException e) {
                throw invalid(field + " is not a decimal number: " + preview(v));
            }
        } else {
            throw wrongType(field, "a number or a decimal string", v);
        }
        if (amount.signum() < 0) {
            throw invalid(field + " must not be negative, got " + amount.toPlainString());
        }
        if (amount.stripTrailingZeros().scale() > MONEY_SCALE) {
            throw invalid(field + " has more than " + MONEY_SCALE + " decimal places (USD is kept to the nano-dollar): "
                    + preview(v));
        }
        if (amount.compareTo(MONEY_LIMIT) >= 0) {
            throw invalid(field + " is too large (at most 999999999.999999999): " + preview(v));
        }
        return amount.setScale(MONEY_SCALE);
    }

    private Instant checkedTime(String field, JsonNode v) {
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong()) {
                throw invalid(field + " is out of range");
            }
            try {
                return Instant.ofEpochMilli(v.longValue());
            } catch (RuntimeException e) {
                throw invalid(field + " is out of range");
            }
        }
        if (!v.isTextual()) {
            throw wrongType(field, "an ISO-8601 time such as 2026-11-27T10:00:00Z or epoch milliseconds", v);
        }
        String text = v.textValue().trim();
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException notWithOffset) {
            try {
                return LocalDate.parse(text, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notADate) {
                if (isLocalDateTime(text)) {
                    throw invalid(field + " has no zone: add Z (UTC) or an offset such as +01:00: " + preview(v));
                }
                throw invalid(field + " is not an ISO-8601 time such as 2026-11-27T10:00:00Z: " + preview(v));
            }
        }
    }

    private static boolean isLocalDateTime(String text) {
        try {
            LocalDateTime.parse(text, DateTimeFormatter.ISO_LOCAL_DATE_TIME);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static LineRejectedException wrongType(String field, String expected, JsonNode actual) {
        return new LineRejectedException(WRONG_TYPE, field + " must be " + expected + ", got " + describe(actual));
    }

    /** {@code string "12"}, {@code number 1.5}, {@code object}, ... */
    static String describe(JsonNode v) {
        String kind = switch (v.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case OBJECT -> "object";
            case ARRAY -> "array";
            default -> v.getNodeType().name().toLowerCase();
        };
        return v.isValueNode() ? kind + " " + preview(v) : kind;
    }

    private static String preview(JsonNode v) {
        String s = v.isTextual() ? "\"" + v.textValue() + "\""
                : v.isBigDecimal() ? v.decimalValue().toPlainString() : v.toString();
        StringBuilder printable = new StringBuilder();
        s.codePoints().limit(60).forEach(cp -> printable.append(Character.isISOControl(cp)
                ? String.format("\\u%04X", cp) : new String(Character.toChars(cp))));
        return s.codePointCount(0, s.length()) > 60 ? printable + "..." : printable.toString();
    }
}
