package io.spendmonitor.producers.jsonl;

/** Thrown while reading a line's fields; the parser turns it into a {@link LineError}. */
final class LineRejectedException extends RuntimeException {
    private final String reason;

    LineRejectedException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
