package io.spendmonitor.schemas.serde;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The strings of one record field that come again and again (team, provider and model names),
 * decoded once and then handed out again: one thread's, fixed in size. Besides the decoding and the
 * allocation it saves, the same name is then the same {@code String} instance on every record, so
 * the maps that look names up downstream compare by identity and reuse the cached hash.
 *
 * <p>Direct-mapped: a slot holds the last string whose bytes hashed to it, with those bytes (and
 * their hash) to compare against. A field whose values seldom repeat (event ids) would only churn the slots, so
 * each field is tried: after {@link #TRIAL} values, if under a quarter were found, the field is
 * decoded plainly for the next {@link #REST} values and then tried again. Memory is bounded by
 * {@link #SLOTS} strings of at most {@link #MAX_BYTES} bytes; longer strings are never kept.
 */
final class RepeatedStrings {
    static final int MAX_BYTES = 64;
    static final int SLOTS = 1024;
    static final int TRIAL = 4096;
    static final int REST = 65_536;

    /**
     * The bytes each slot's string came from, at {@code slot * MAX_BYTES}: one array, so comparing
     * against them reads memory close together (separate small arrays scattered over the heap made
     * the comparison a cache miss per name, more than decoding the name again).
     */
    private byte[] keys;
    /** Each slot's key length plus one (0: empty), its hash, and its string. */
    private byte[] lengths;
    private int[] hashes;
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
            keys = new byte[SLOTS * MAX_BYTES];
            lengths = new byte[SLOTS];
            hashes = new int[SLOTS];
            values = new String[SLOTS];
        }
        int h = 0;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + bytes[i];
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        int at = slot * MAX_BYTES;
        String value;
        if (hashes[slot] == h && lengths[slot] == length + 1
                && Arrays.equals(keys, at, at + length, bytes, offset, offset + length)) {
            value = values[slot];
            hits++;
        } else {
            value = new String(bytes, offset, length, StandardCharsets.UTF_8);
            System.arraycopy(bytes, offset, keys, at, length);
            lengths[slot] = (byte) (length + 1);
            hashes[slot] = h;
            values[slot] = value;
        }
        if (++lookups == TRIAL) {
            if (hits * 4 < lookups) {
                resting = REST;
                keys = null; // what it held is of no use: let it go
                lengths = null;
                hashes = null;
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
