package io.spendmonitor.producers.jsonl;

import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The outcome of publishing one input.
 *
 * @param dryRun           validated only, nothing sent
 * @param linesRead        lines read, blank and comment lines included
 * @param valid            lines that parsed into an event
 * @param published        events Kafka acknowledged (0 in a dry run)
 * @param rejectedByReason rejected lines per {@link LineError} reason code
 * @param publishedByType  acknowledged events per type (valid events per type in a dry run)
 * @param notAcknowledged  events handed to the producer that Kafka did not acknowledge
 * @param failure          why publishing stopped, or null; when set, input after {@code linesRead} was not read
 */
public record PublishResult(boolean dryRun, long linesRead, long valid, long published,
                            SortedMap<String, Long> rejectedByReason, SortedMap<String, Long> publishedByType,
                            long notAcknowledged, String failure, Duration elapsed) {
    public PublishResult {
        rejectedByReason = new TreeMap<>(rejectedByReason);
        publishedByType = new TreeMap<>(publishedByType);
    }

    public long rejected() {
        return rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** 0: every event line published (or valid, in a dry run); 2: some lines rejected; 1: publishing failed. */
    public int exitCode() {
        if (failure != null || notAcknowledged > 0) {
            return 1;
        }
        return rejected() > 0 ? 2 : 0;
    }

    /** One line, e.g. {@code published 9998 (token_usage 9998), rejected 2 (unknown-field 2) in 1.4 s}. */
    public String summary() {
        StringBuilder s = new StringBuilder();
        s.append(dryRun ? "valid " + valid : "published " + published);
        if (!publishedByType.isEmpty()) {
            s.append(" (").append(counts(publishedByType)).append(')');
        }
        s.append(", rejected ").append(rejected());
        if (!rejectedByReason.isEmpty()) {
            s.append(" (").append(counts(rejectedByReason)).append(')');
        }
        if (notAcknowledged > 0) {
            s.append(", not acknowledged ").append(notAcknowledged);
        }
        s.append(String.format(" in %.1f s", elapsed.toMillis() / 1000.0));
        if (dryRun) {
            s.append("; dry run: nothing published");
        }
        return s.toString();
    }

    private static String counts(Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}
