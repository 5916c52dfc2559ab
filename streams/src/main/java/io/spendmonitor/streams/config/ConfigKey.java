package io.spendmonitor.streams.config;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * One {@code spend.*} setting: its name, the type of its value, its default ({@code null}: none)
 * and one line saying what it does. A name ending in {@code .*} is a family: every key under that
 * prefix (the notifier's Kafka consumer properties); a family has no environment variable, since
 * {@code SPEND_NOTIFY_CONSUMER_MAX_POLL_RECORDS} cannot say where its dots were.
 */
public record ConfigKey(String name, Type type, String defaultValue, boolean secret, String doc) {

    public enum Type {
        DURATION("duration"), INTEGER("integer"), DECIMAL("decimal"), BOOLEAN("boolean"), INSTANT("instant"), STRING("string");

        private final String label;

        Type(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public ConfigKey {
        if (!name.startsWith("spend.") || !name.equals(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("a setting is named spend.lower-case, got '" + name + "'");
        }
        if (secret && defaultValue != null) {
            throw new IllegalArgumentException("a secret has no default: " + name);
        }
    }

    public boolean isFamily() {
        return name.endsWith(".*");
    }

    /** Whether {@code key} is this setting, or one of its family. */
    public boolean matches(String key) {
        return isFamily() ? key.startsWith(name.substring(0, name.length() - 1)) : key.equals(name);
    }

    /** {@code SPEND_WINDOW_GRACE} for {@code spend.window.grace}; null for a family. */
    public String envName() {
        return isFamily() ? null : SpendConfig.envName(name);
    }

    /** The value as it may be printed: a secret never is. */
    public String shown(Object value) {
        return secret ? "(a secret, not shown)" : "'" + value + "'";
    }

    /** Throws IllegalArgumentException, naming this setting, when {@code value} is not of its type; blank counts as unset. */
    public void check(Object value) {
        String v = value == null ? "" : value.toString().trim();
        if (v.isEmpty()) {
            return;
        }
        switch (type) {
            case DURATION -> {
                try {
                    if (!v.matches("\\d+")) {
                        Duration.parse(v);
                    }
                } catch (DateTimeParseException e) {
                    throw bad("a duration like PT5M or P1D (or milliseconds)", value);
                }
            }
            case INTEGER -> {
                try {
                    Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw bad("a whole number", value);
                }
            }
            case DECIMAL -> {
                try {
                    Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw bad("a number", value);
                }
            }
            case BOOLEAN -> {
                if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                    throw bad("true or false", value);
                }
            }
            case INSTANT -> {
                try {
                    Instant.parse(v);
                } catch (DateTimeParseException e) {
                    throw bad("an ISO-8601 instant", value);
                }
            }
            case STRING -> {
                // anything
            }
        }
    }

    private IllegalArgumentException bad(String expected, Object value) {
        return new IllegalArgumentException("'" + name + "' must be " + expected + ", got " + shown(value));
    }
}
