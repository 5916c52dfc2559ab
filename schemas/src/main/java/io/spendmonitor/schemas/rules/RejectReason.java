package io.spendmonitor.schemas.rules;

/**
 * Why an event breaks {@link EventRules}: one list for the client library, JSON lines, HTTP ingest
 * and the topology. {@link #wire()} is the string users see: the {@code spend.reason} dead-letter
 * header, the {@code reason} label of {@code spend_events_rejected_total} and the {@code reason}
 * of a rejected JSON line or HTTP event. Never rename a wire string: dashboards and alerts match on it.
 */
public enum RejectReason {
    /** No team, or a blank one. */
    MISSING_TEAM("missing-team"),
    /** A required field other than the team is absent or blank (event_id, provider, a self-hosted call's deployment, ...). */
    MISSING_FIELD("missing-field"),
    /** A name longer than {@link EventRules#MAX_NAME_LENGTH}, or with control, replacement or markup characters. */
    BAD_NAME("bad-name"),
    NEGATIVE_TOKENS("negative-tokens"),
    /** A token count above {@link EventRules#MAX_TOKENS_PER_CALL}. */
    ABSURD_TOKENS("absurd-tokens"),
    /** Cache reads plus cache writes above input_tokens, which counts them both. */
    INCONSISTENT_TOKENS("inconsistent-tokens"),
    /** An event time before the configured minimum ({@code spend.timestamp.min}). */
    ABSURD_TIMESTAMP("absurd-timestamp"),
    /** An event time further ahead of the wall clock than allowed ({@code spend.timestamp.max-ahead}). */
    FUTURE_TIMESTAMP("future-timestamp"),
    /** A GPU utilization outside 0..1 (or not a number). */
    BAD_UTILIZATION("bad-utilization"),
    /** interval_seconds not above 0, not finite, or longer than a day. */
    BAD_INTERVAL("bad-interval"),
    NEGATIVE_PRICE("negative-price"),
    /**
     * usd_per_hour above {@link EventRules#MAX_GPU_USD_PER_HOUR}, finer than the nano-dollar, or so
     * high for the sample's interval that its cost leaves the topology's exact arithmetic.
     */
    ABSURD_PRICE("absurd-price"),
    /** A negative latency_ms. */
    BAD_LATENCY("bad-latency"),
    /** Negative memory, or more used than the total. */
    BAD_MEMORY("bad-memory"),
    /** A negative or non-finite power_watts. */
    BAD_POWER("bad-power"),
    /** reported_cost_usd negative, finer than the nano-dollar, or not below one billion (Avro decimal(18, 9)). */
    BAD_REPORTED_COST("bad-reported-cost"),
    /** An attribute with a null or empty key, a null value, or control characters. */
    BAD_ATTRIBUTES("bad-attributes"),
    /**
     * Attribution labels: more than {@link EventRules#MAX_LABELS}, a key that is empty, longer than
     * {@link EventRules#MAX_LABEL_KEY_LENGTH} or not of letters, digits, '_', '.', '-', or a value that
     * is empty or not a good name (at most {@link EventRules#MAX_LABEL_VALUE_LENGTH} printable characters).
     */
    BAD_LABELS("bad-labels"),
    /**
     * A {@code prompt_hash} that is not {@link EventRules#MIN_PROMPT_HASH_LENGTH} to
     * {@link EventRules#MAX_PROMPT_HASH_LENGTH} hex characters (a hash of the request, never the prompt).
     */
    BAD_PROMPT_HASH("bad-prompt-hash");

    private final String wire;

    RejectReason(String wire) {
        this.wire = wire;
    }

    /** The dead-letter header value and metric label, e.g. {@code missing-team}. */
    public String wire() {
        return wire;
    }

    @Override
    public String toString() {
        return wire;
    }
}
