package io.spendmonitor.schemas.serde;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The strings of one record field that come again and again (team, provider and model names),
 * decoded once and then handed out again: one thread's, fixed in size. Besides the decoding and the
 * allocation it saves, the same name is then the same {@code String} instance on every record, so
 * the maps that look names up downstream compare by identity and reuse the cached hash.
 *
 * <p>Direct-mapped: a slot holds the last string whose bytes hashed to it, with those bytes to
 * compare against. A field whose values seldom repeat (event ids) would only churn the slots, so
 * each field is tried: after {@link #TRIAL} values, if under a quarter were found, the field is
 * decoded plainly for the next {@link #REST} values and then tried again. Memory is bounded by
 * {@link #SLOTS} strings of at most {@link #MAX_BYTES} bytes; longer strings are never kept.
 */
final class RepeatedStrings {
    static final int MAX_BYTES = 64;
    static final int SLOTS = 1024;
    static final int TRIAL = 4096;
    static final int REST = 65_536;

    private byte[][] keys;
    private String[] values;
    private int lookups;
    private int hits;
    /** Values still to decode plainly before the next trial; 0 while trying or caching. */
    private int resting;

    /** The string of UTF-8 {@code bytes[offset, offset + length)}: a kept instance when there is one. */
    String get(byte[] bytes, int offset, int length) {
        if (length > MAX_BYTES || resting > 0) {
            if (resting > 0) {
                resting--;
            }
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
        if (keys == null) {
            keys = new byte[SLOTS][];
            values = new String[SLOTS];
        }
        int h = 0;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + bytes[i];
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        byte[] key = keys[slot];
        String value;
        if (key != null && Arrays.equals(key, 0, key.length, bytes, offset, offset + length)) {
            value = values[slot];
            hits++;
        } else {
            value = new String(bytes, offset, length, StandardCharsets.UTF_8);
            keys[slot] = Arrays.copyOfRange(bytes, offset, offset + length);
            values[slot] = value;
        }
        if (++lookups == TRIAL) {
            if (hits * 4 < lookups) {
                resting = REST;
                keys = null; // what it held is of no use: let it go
                values = null;
            }
            lookups = 0;
            hits = 0;
        }
        return value;
    }

    /** Whether the field is decoded plainly for now (for tests). */
    boolean resting() {
        return resting > 0;
    }
}
