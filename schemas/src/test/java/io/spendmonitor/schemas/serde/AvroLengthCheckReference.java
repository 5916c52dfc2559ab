package io.spendmonitor.schemas.serde;

import org.apache.avro.Schema;

/**
 * The test's oracle: {@link AvroLengthCheck} as it was before it was compiled per schema, a walk
 * of the Schema tree per record (kept verbatim but for its name). The compiled check must give
 * the same answer, message and byte position included, on every input.
 *
 * <p>A walk over Avro binary data with its writer schema that reads no value and allocates nothing:
 * it proves that every length prefix and block count fits in the bytes that are there, before the
 * real decoder (which allocates a string's buffer from its length prefix before reading it) runs.
 * Without it, five bytes claiming a one-gigabyte string cost a gigabyte. The walk takes time in
 * proportion to the input: every step either consumes a byte or is counted against a budget of a
 * few steps per byte (items of zero size, such as nulls in an array).
 */
final class AvroLengthCheckReference {
    private static final int MAX_DEPTH = 64;

    private final byte[] bytes;
    private final int end;
    private int pos;
    private long budget;

    private AvroLengthCheckReference(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.end = bytes.length;
        this.pos = offset;
        this.budget = 8L * (bytes.length - offset) + 1024;
    }

    /** Null when {@code bytes} from {@code offset} can be data of {@code writer}; otherwise why not. */
    static String problem(Schema writer, byte[] bytes, int offset) {
        AvroLengthCheckReference check = new AvroLengthCheckReference(bytes, offset);
        try {
            check.walk(writer, 0);
            return null;
        } catch (Malformed e) {
            return e.getMessage() + " at byte " + check.pos;
        }
    }

    private void walk(Schema s, int depth) {
        if (depth > MAX_DEPTH) {
            throw new Malformed("nested deeper than " + MAX_DEPTH);
        }
        if (--budget < 0) {
            throw new Malformed("more items than the bytes can hold");
        }
        switch (s.getType()) {
            case NULL -> {
            }
            case BOOLEAN -> take(1);
            case INT, LONG, ENUM -> {
                long v = varLong();
                if (s.getType() == Schema.Type.ENUM && (v < 0 || v >= s.getEnumSymbols().size())) {
                    throw new Malformed("enum index " + v + " out of range");
                }
            }
            case FLOAT -> take(4);
            case DOUBLE -> take(8);
            case STRING, BYTES -> take(length());
            case FIXED -> take(s.getFixedSize());
            case UNION -> {
                long index = varLong();
                if (index < 0 || index >= s.getTypes().size()) {
                    throw new Malformed("union index " + index + " out of range");
                }
                walk(s.getTypes().get((int) index), depth + 1);
            }
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    walk(f.schema(), depth + 1);
                }
            }
            case ARRAY, MAP -> blocks(s, depth);
        }
    }

    /** Arrays and maps: blocks of {@code count} items, a negative count followed by the block's size in bytes. */
    private void blocks(Schema s, int depth) {
        while (true) {
            long count = varLong();
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new Malformed("block count out of range");
                }
                count = -count;
                long size = varLong();
                if (size < 0 || size > end - pos) {
                    throw new Malformed("block size " + size + " beyond the data");
                }
            }
            if (count > budget) {
                throw new Malformed("block of " + count + " items beyond the data");
            }
            for (long i = 0; i < count; i++) {
                if (s.getType() == Schema.Type.MAP) {
                    take(length()); // the key
                }
                walk(s.getType() == Schema.Type.MAP ? s.getValueType() : s.getElementType(), depth + 1);
            }
        }
    }

    private int length() {
        long n = varLong();
        if (n < 0 || n > end - pos) {
            throw new Malformed("length " + n + " beyond the " + (end - pos) + " bytes left");
        }
        return (int) n;
    }

    private void take(int n) {
        if (n > end - pos) {
            throw new Malformed("data ends early");
        }
        pos += n;
    }

    /** A zig-zag varint of at most 10 bytes. */
    private long varLong() {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) {
                throw new Malformed("data ends inside a number");
            }
            int b = bytes[pos++] & 0xff;
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new Malformed("a number longer than 10 bytes");
    }

    /** Thrown inside the walk only; no stack trace (it is an answer, not a bug). */
    private static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
