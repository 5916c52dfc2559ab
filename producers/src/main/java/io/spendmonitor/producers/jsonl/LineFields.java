package io.spendmonitor.producers.jsonl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.schemas.rules.Decimals;
import io.spendmonitor.schemas.rules.EventRules;
import io.spendmonitor.schemas.rules.RejectReason;
import io.spendmonitor.schemas.rules.Violation;

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
import java.util.regex.Pattern;

import static io.spendmonitor.producers.jsonl.LineError.INVALID_VALUE;
import static io.spendmonitor.producers.jsonl.LineError.MISSING_FIELD;
import static io.spendmonitor.producers.jsonl.LineError.WRONG_TYPE;

/**
 * Typed access to the fields of one JSON line. Every getter either returns a value that fits its
 * Avro field or throws {@link LineRejectedException} naming the field. A JSON {@code null} is the
 * same as an absent field.
 * <p>
 * Numbers: every numeric field takes a JSON number or a decimal string ({@code 0.6}, {@code "0.6"}),
 * read exactly from its digits; a whole-number field refuses a fraction. Every value goes through
 * {@link Decimals#bounded} before any arithmetic, so a number bomb ({@code 1e999999999}, a million
 * zeros) is a line error at once, whatever the field.
 * <p>
 * Names follow {@link EventRules#nameProblem}, the rule the topology applies.
 */
final class LineFields {
    /** Avro decimal(18, 9): 9 decimal places, so at most 999999999.999999999. */
    static final int MONEY_SCALE = EventRules.MONEY_SCALE;
    static final BigDecimal MONEY_LIMIT = EventRules.MONEY_LIMIT;
    static final int MAX_NAME_LENGTH = EventRules.MAX_NAME_LENGTH;
    static final int MAX_TEXT_LENGTH = 2000;
    /** A decimal string longer than this is no sensible number (the longest long has 20 characters). */
    private static final int MAX_NUMBER_TEXT = 64;
    /** A decimal the way JSON writes one, with an optional sign and exponent. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern EPOCH_MILLIS = Pattern.compile("[+-]?\\d+");
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private final ObjectNode node;
    private final String typeName;

    LineFields(ObjectNode node, String typeName) {
        this.node = node;
        this.typeName = typeName;
    }

    boolean has(String field) {
        return value(field) != null;
    }

    /** A required name (team, model, ...): a non-blank string that passes {@link EventRules#nameProblem}. */
    String name(String field) {
        return checkedName(field, required(field));
    }

    /** An optional name: null when absent; when present, the same rules as {@link #name}. */
    String optionalName(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedName(field, v);
    }

    /** An optional string left to the event rules to judge (prompt_hash: they answer bad-prompt-hash). */
    String optionalRawText(String field) {
        JsonNode v = value(field);
        return v == null || v.isNull() ? null : text(field, v);
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

    /** A required count: a whole number, not negative. */
    long count(String field) {
        return checkedCount(field, required(field));
    }

    Long optionalCount(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedCount(field, v);
    }

    /** A whole number that fits a long, of either sign: the range is {@link EventRules}' to judge. */
    long whole(String field) {
        return checkedWhole(field, required(field));
    }

    long optionalWhole(String field, long absent) {
        JsonNode v = value(field);
        return v == null ? absent : checkedWhole(field, v);
    }

    Long optionalWhole(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedWhole(field, v);
    }

    /** A whole number that fits an int and is at least {@code min}. */
    int integer(String field, int min) {
        return checkedInt(field, required(field), min);
    }

    int optionalInteger(String field, int absent, int min) {
        JsonNode v = value(field);
        return v == null ? absent : checkedInt(field, v, min);
    }

    /** A number for a double field (utilization, seconds, tokens/s): the nearest double to its exact value. */
    double number(String field) {
        return checkedNumber(field, required(field));
    }

    Double optionalNumber(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedNumber(field, v);
    }

    /**
     * USD, exact: at most 9 decimal places, not negative, below a billion; returned at scale 9 as
     * the Avro decimal needs.
     */
    BigDecimal money(String field) {
        return checkedMoney(field, required(field));
    }

    BigDecimal optionalMoney(String field) {
        JsonNode v = value(field);
        return v == null ? null : checkedMoney(field, v);
    }

    /** ISO-8601 with a zone ({@code 2026-11-27T10:00:00Z}, {@code ...+01:00}), a UTC date, or epoch millis (number or string). */
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
            if (!e.getValue().isTextual()) {
                throw wrongType(key, "a string", e.getValue());
            }
            map.put(e.getKey(), e.getValue().textValue());
        }
        return map;
    }

    static LineRejectedException invalid(String message) {
        return new LineRejectedException(INVALID_VALUE, message);
    }

    /** A broken event rule, reported with its reason: the same string the topology's dead-letter header carries. */
    static LineRejectedException rejected(Violation v) {
        return new LineRejectedException(v.reason().wire(), v.message());
    }

    private JsonNode value(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private JsonNode required(String field) {
        JsonNode v = value(field);
        if (v == null) {
            throw new LineRejectedException(missingReason(field), "missing required field '" + field + "' in " + typeName);
        }
        return v;
    }

    private static String missingReason(String field) {
        return field.equals("team") ? RejectReason.MISSING_TEAM.wire() : MISSING_FIELD;
    }

    private String checkedName(String field, JsonNode v) {
        String text = text(field, v);
        if (text.isBlank()) {
            throw new LineRejectedException(missingReason(field), field + " is empty");
        }
        EventRules.nameProblem(field, text).ifPresent(problem -> {
            throw rejected(problem);
        });
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

    /**
     * The exact value of a JSON number or a decimal string, bounded ({@link Decimals#bounded}) before
     * anything else is done with it.
     */
    private BigDecimal decimal(String field, JsonNode v) {
        BigDecimal raw;
        if (v.isBigDecimal()) {
            // with USE_BIG_DECIMAL_FOR_FLOATS every JSON fraction is a BigDecimal made from its digits
            raw = v.decimalValue();
        } else if (v.isIntegralNumber()) {
            raw = v.canConvertToLong() ? BigDecimal.valueOf(v.longValue()) : new BigDecimal(v.bigIntegerValue());
        } else if (v.isNumber()) {
            double d = v.doubleValue();
            if (!Double.isFinite(d)) {
                throw invalid(field + " is out of range");
            }
            raw = BigDecimal.valueOf(d);
        } else if (v.isTextual()) {
            String text = v.textValue();
            if (text.length() > MAX_NUMBER_TEXT) {
                throw invalid(field + " is not a decimal number of sensible length: " + preview(v));
            }
            text = text.strip();
            if (!DECIMAL.matcher(text).matches()) {
                throw invalid(field + " is not a decimal number: " + preview(v));
            }
            try {
                raw = new BigDecimal(text);
            } catch (NumberFormatException exponentBeyondInt) {
                throw invalid(field + " is out of range: " + preview(v));
            }
        } else {
            throw wrongType(field, "a number or a decimal string", v);
        }
        return Decimals.bounded(raw).orElseThrow(() -> invalid(field + " is out of range: " + preview(v)));
    }

    private long checkedWhole(String field, JsonNode v) {
        BigDecimal d = decimal(field, v);
        if (d.scale() > 0) {
            throw wrongType(field, "a whole number", v);
        }
        if (d.compareTo(LONG_MIN) < 0 || d.compareTo(LONG_MAX) > 0) {
            throw invalid(field + " is too large: " + preview(v));
        }
        return d.longValueExact(); // at most 19 digits here
    }

    private long checkedCount(String field, JsonNode v) {
        long n = checkedWhole(field, v);
        if (n < 0) {
            throw invalid(field + " must not be negative, got " + n);
        }
        return n;
    }

    private int checkedInt(String field, JsonNode v, int min) {
        long n = checkedWhole(field, v);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw invalid(field + " is too large");
        }
        if (n < min) {
            throw invalid(field + " must be at least " + min + ", got " + n);
        }
        return (int) n;
    }

    private double checkedNumber(String field, JsonNode v) {
        // bounded: at most 40 digits and |exponent| <= 40, so always a finite double
        return decimal(field, v).doubleValue();
    }

    private BigDecimal checkedMoney(String field, JsonNode v) {
        BigDecimal amount = decimal(field, v);
        if (amount.signum() < 0) {
            throw invalid(field + " must not be negative, got " + amount.toPlainString()); // bounded: short
        }
        if (amount.scale() > MONEY_SCALE) {
            throw invalid(field + " has more than " + MONEY_SCALE + " decimal places (USD is kept to the nano-dollar): "
                    + preview(v));
        }
        if (amount.compareTo(MONEY_LIMIT) >= 0) {
            throw invalid(field + " is too large (at most 999999999.999999999): " + preview(v));
        }
        return amount.setScale(MONEY_SCALE);
    }

    private Instant checkedTime(String field, JsonNode v) {
        if (v.isNumber() || (v.isTextual() && EPOCH_MILLIS.matcher(v.textValue().strip()).matches())) {
            return Instant.ofEpochMilli(checkedWhole(field, v)); // any long is an Instant
        }
        if (!v.isTextual()) {
            throw wrongType(field, "an ISO-8601 time such as 2026-11-27T10:00:00Z or epoch milliseconds", v);
        }
        String text = v.textValue().strip();
        if (text.length() > MAX_NUMBER_TEXT) {
            throw invalid(field + " is not an ISO-8601 time such as 2026-11-27T10:00:00Z: " + preview(v));
        }
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

    /** At most 40 characters of a value for a message; a number is never written out in plain digits. */
    private static String preview(JsonNode v) {
        if (v.isTextual()) {
            return "\"" + Decimals.preview(v.textValue()) + "\"";
        }
        if (v.isBigDecimal()) {
            return Decimals.preview(v.decimalValue());
        }
        if (v.isBigInteger()) {
            return Decimals.preview(new BigDecimal(v.bigIntegerValue()));
        }
        return Decimals.preview(v.toString());
    }
}
