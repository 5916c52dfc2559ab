package io.spendmonitor.streams.metrics;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Bounds the values of the labels that come from data (provider, model, deployment, gpu_model,
 * alert subject) within one team: the first {@code max} distinct values of each label keep their
 * name, the rest fold into {@code other}. A client that sends a million model names then adds one
 * series, not a million. Money folded into {@code other} still counts: sums stay exact.
 */
final class LabelFold {
    static final String OTHER = "other";
    /** A label value longer than this is cut: label values are for reading on a dashboard. */
    static final int MAX_VALUE_LENGTH = 200;

    private final int max;
    private final Map<String, Set<String>> seen = new HashMap<>();
    private boolean folded;

    LabelFold(int max) {
        this.max = max;
    }

    /** The value to export for {@code label}: itself, or {@code other} past the cap. */
    String of(String label, String value) {
        if (value == null) {
            return "unknown";
        }
        Set<String> values = seen.computeIfAbsent(label, l -> new LinkedHashSet<>());
        if (values.contains(value)) {
            return value;
        }
        if (values.size() < max && value.length() <= MAX_VALUE_LENGTH) {
            values.add(value);
            return value;
        }
        folded = true;
        return OTHER;
    }

    boolean folded() {
        return folded;
    }
}
