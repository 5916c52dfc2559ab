package io.spendmonitor.producers.jsonl;

/**
 * A rejected line: its number, a short stable {@code reason} code (for summaries and metrics) and a
 * message for people, e.g. {@code line 7: unknown field 'input_token' in token_usage (did you mean 'input_tokens'?)}.
 * The reason is one of the constants below (what is wrong with the JSON), or, for an event that
 * breaks {@link io.spendmonitor.schemas.rules.EventRules}, the rule's
 * {@link io.spendmonitor.schemas.rules.RejectReason#wire()} string ({@code bad-name},
 * {@code inconsistent-tokens}, {@code future-timestamp}, ...): the same reason the topology's
 * dead-letter header would carry.
 */
public record LineError(int lineNumber, String reason, String message) implements LineResult {
    /** Bytes that are not UTF-8 (decoded as U+FFFD). */
    public static final String NOT_UTF8 = "not-utf8";
    /** Not JSON, or not one JSON object. */
    public static final String INVALID_JSON = "invalid-json";
    /** {@code "type"} names no event type. */
    public static final String UNKNOWN_TYPE = "unknown-type";
    /** A known type that this reader does not take (e.g. token_usage in {@code prices load}). */
    public static final String TYPE_NOT_ACCEPTED = "type-not-accepted";
    public static final String MISSING_FIELD = "missing-field";
    /** A field the type's schema does not have; usually a typo. */
    public static final String UNKNOWN_FIELD = "unknown-field";
    /** A field of the wrong JSON type (a string for a count, an object for a name, ...). */
    public static final String WRONG_TYPE = "wrong-type";
    /** A value out of range or inconsistent with another field. */
    public static final String INVALID_VALUE = "invalid-value";
    /** An event time before the earliest plausible time ({@code RejectReason.ABSURD_TIMESTAMP}). */
    public static final String ABSURD_TIMESTAMP = "absurd-timestamp";
    /** An event time too far ahead of the wall clock ({@code RejectReason.FUTURE_TIMESTAMP}). */
    public static final String FUTURE_TIMESTAMP = "future-timestamp";

    /** {@code line N: message}. */
    public String describe() {
        return "line " + lineNumber + ": " + message;
    }
}
