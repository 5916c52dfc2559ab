package io.spendmonitor.producers.catalog;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The price catalog that ships with spend-monitor: a readable JSON-lines file
 * ({@value #RESOURCE} on the classpath) of API model prices, GPU prices and self-host profiles,
 * each with its source and date, in the format {@code spend-monitor publish} reads.
 * {@code spend-monitor prices load} (no file) publishes it.
 */
public final class DefaultPriceCatalog {
    public static final String RESOURCE = "/io/spendmonitor/producers/catalog/default-prices.jsonl";

    private DefaultPriceCatalog() {
    }

    /** A reader over the bundled file; the caller closes it. */
    public static BufferedReader open() {
        InputStream in = DefaultPriceCatalog.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new UncheckedIOException(new java.io.FileNotFoundException("classpath resource " + RESOURCE + " is missing"));
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** Where the lines come from, for messages. */
    public static String description() {
        return "the default price catalog (" + RESOURCE.substring(1) + ")";
    }
}
