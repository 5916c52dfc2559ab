package io.spendmonitor.producers.jsonl;

/** What one JSON line turned into: a {@link ParsedEvent} or a {@link LineError}. */
public sealed interface LineResult permits ParsedEvent, LineError {
    /** 1-based line number in the input (blank and comment lines count). */
    int lineNumber();
}
