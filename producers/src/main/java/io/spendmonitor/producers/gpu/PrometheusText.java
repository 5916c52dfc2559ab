package io.spendmonitor.producers.gpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reader of the Prometheus text exposition format (what the DCGM exporter serves): samples with
 * their labels; {@code # HELP} / {@code # TYPE} lines and malformed lines are skipped.
 */
final class PrometheusText {

    /** One sample line: {@code name{label="value",...} value [timestamp]}. */
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String key) {
            return labels.get(key);
        }
    }

    private PrometheusText() {
    }

    static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\\R")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            Sample sample = parseLine(trimmed);
            if (sample != null) {
                samples.add(sample);
            }
        }
        return samples;
    }

    /** The sample on {@code line}, or null when the line is not one. */
    static Sample parseLine(String line) {
        int i = 0;
        int n = line.length();
        while (i < n && isNameChar(line.charAt(i), i == 0)) {
            i++;
        }
        if (i == 0) {
            return null;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < n && line.charAt(i) == '{') {
            i++;
            while (true) {
                i = skipSpaces(line, i);
                if (i < n && line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int keyStart = i;
                while (i < n && isNameChar(line.charAt(i), i == keyStart)) {
                    i++;
                }
                if (i == keyStart) {
                    return null;
                }
                String key = line.substring(keyStart, i);
                i = skipSpaces(line, i);
                if (i >= n || line.charAt(i) != '=') {
                    return null;
                }
                i = skipSpaces(line, i + 1);
                if (i >= n || line.charAt(i) != '"') {
                    return null;
                }
                i++;
                StringBuilder value = new StringBuilder();
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i++);
                    if (c == '\\' && i < n) {
                        char escaped = line.charAt(i++);
                        value.append(escaped == 'n' ? '\n' : escaped);
                    } else if (c == '"') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    return null;
                }
                labels.put(key, value.toString());
                i = skipSpaces(line, i);
                if (i < n && line.charAt(i) == ',') {
                    i++;
                }
            }
        }
        String[] rest = line.substring(i).strip().split("\\s+");
        if (rest.length == 0 || rest[0].isEmpty()) {
            return null;
        }
        Double value = value(rest[0]);
        return value == null ? null : new Sample(name, Collections.unmodifiableMap(labels), value);
    }

    private static Double value(String text) {
        switch (text) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
            case "Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    return null;
                }
        }
    }

    private static boolean isNameChar(char c, boolean first) {
        return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
    }

    private static int skipSpaces(String line, int i) {
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }
}
