package io.spendmonitor.producers.ingest;

import java.util.Locale;

/**
 * The Content-Types HTTP ingest takes: {@code application/json} and {@code application/x-ndjson},
 * optionally with {@code charset=utf-8}. Anything else is a 415. Besides telling a client early that
 * it sends the wrong thing, this closes the door on cross-site form posts: a browser sends
 * {@code text/plain}, {@code multipart/form-data} or {@code application/x-www-form-urlencoded}
 * from another site without asking, but a JSON type only after a CORS preflight this server never
 * grants.
 */
public final class IngestMediaType {
    public static final String ACCEPTED = "application/json or application/x-ndjson (charset=utf-8 optional)";

    private IngestMediaType() {
    }

    /** Whether a Content-Type header value is one ingest takes. */
    public static boolean accepted(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";", -1);
        String type = parts[0].strip().toLowerCase(Locale.ROOT);
        if (!type.equals("application/json") && !type.equals("application/x-ndjson")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip();
            if (parameter.isEmpty()) {
                continue;
            }
            int eq = parameter.indexOf('=');
            if (eq < 0 || !parameter.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                return false;
            }
            String charset = parameter.substring(eq + 1).strip().replace("\"", "");
            if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                return false; // the body is read as UTF-8; another charset would be misread
            }
        }
        return true;
    }
}
