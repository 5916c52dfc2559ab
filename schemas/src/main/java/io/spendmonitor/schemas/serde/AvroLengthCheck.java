package io.spendmonitor.schemas.serde;

import org.apache.avro.Schema;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A walk over Avro binary data with its writer schema that reads no value and allocates nothing:
 * it proves that every length prefix and block count fits in the bytes that are there, before the
 * real decoder (which allocates a string's buffer from its length prefix before reading it) runs.
 * Without it, five bytes claiming a one-gigabyte string cost a gigabyte. The walk takes time in
 * proportion to the input: every step either consumes a byte or is counted against a budget of a
 * few steps per byte (items of zero size, such as nulls in an array).
 *
 * <p>The writer schema is compiled once ({@link #compile}) into a tree of {@link Node}s (a kind
 * code, a size, the children in an array), which the walk follows instead of the {@link Schema}
 * itself: no list iterators, type look-ups or symbol lists per record. The walk's steps, its
 * checks and their order are those of the schema walk, so every answer (message and byte
 * position included) is the same.
 */
final class AvroLengthCheck {
    private static final int MAX_DEPTH = 64;

    // node kinds; the leaves (up to FIXED) read no nested value
    private static final byte NULL = 0;
    private static final byte BOOLEAN = 1;
    private static final byte NUMBER = 2; // int, long
    private static final byte ENUM = 3;
    private static final byte FLOAT = 4;
    private static final byte DOUBLE = 5;
    private static final byte LENGTH_PREFIXED = 6; // string, bytes
    private static final byte FIXED = 7;
    private static final byte UNION = 8;
    private static final byte RECORD = 9;
    private static final byte ARRAY = 10;
    private static final byte MAP = 11;

    /** One schema, compiled: {@code size} is a fixed's size or an enum's symbol count. */
    private static final class Node {
        byte kind;
        int size;
        /** A record's fields, a union's branches, or an array's items / a map's values (one). */
        Node[] children;
    }

    /** A writer schema compiled for the check; immutable once built, shareable across threads. */
    static final class Compiled {
        private final Node root;

        private Compiled(Node root) {
            this.root = root;
        }

        /** Null when {@code bytes} from {@code offset} can be data of the schema; otherwise why not. */
        String problem(byte[] bytes, int offset) {
            AvroLengthCheck check = new AvroLengthCheck(bytes, offset);
            try {
                check.walk(root, 0);
                return null;
            } catch (Malformed e) {
                return e.getMessage() + " at byte " + check.pos;
            }
        }
    }

    /** Compiles {@code writer} (named types that refer to themselves become cycles of nodes). */
    static Compiled compile(Schema writer) {
        return new Compiled(compile(writer, new IdentityHashMap<>()));
    }

    private static Node compile(Schema s, Map<Schema, Node> done) {
        Node known = done.get(s);
        if (known != null) {
            return known;
        }
        Node n = new Node();
        done.put(s, n); // before the children: a recursive record finds itself
        switch (s.getType()) {
            case NULL -> n.kind = NULL;
            case BOOLEAN -> n.kind = BOOLEAN;
            case INT, LONG -> n.kind = NUMBER;
            case ENUM -> {
                n.kind = ENUM;
                n.size = s.getEnumSymbols().size();
            }
            case FLOAT -> n.kind = FLOAT;
            case DOUBLE -> n.kind = DOUBLE;
            case STRING, BYTES -> n.kind = LENGTH_PREFIXED;
            case FIXED -> {
                n.kind = FIXED;
                n.size = s.getFixedSize();
            }
            case UNION -> {
                n.kind = UNION;
                n.children = compileAll(s.getTypes(), done);
            }
            case RECORD -> {
                n.kind = RECORD;
                n.children = compileAll(s.getFields().stream().map(Schema.Field::schema).toList(), done);
            }
            case ARRAY -> {
                n.kind = ARRAY;
                n.children = new Node[]{compile(s.getElementType(), done)};
            }
            case MAP -> {
                n.kind = MAP;
                n.children = new Node[]{compile(s.getValueType(), done)};
            }
        }
        return n;
    }

    private static Node[] compileAll(List<Schema> schemas, Map<Schema, Node> done) {
        Node[] nodes = new Node[schemas.size()];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = compile(schemas.get(i), done);
        }
        return nodes;
    }

    private final byte[] bytes;
    private final int end;
    private int pos;
    private long budget;

    private AvroLengthCheck(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.end = bytes.length;
        this.pos = offset;
        this.budget = 8L * (bytes.length - offset) + 1024;
    }

    private void walk(Node n, int depth) {
        if (depth > MAX_DEPTH) {
            throw new Malformed("nested deeper than " + MAX_DEPTH);
        }
        if (--budget < 0) {
            throw new Malformed("more items than the bytes can hold");
        }
        switch (n.kind) {
            case NULL -> {
            }
            case BOOLEAN -> take(1);
            case NUMBER -> varLong();
            case ENUM -> {
                long v = varLong();
                if (v < 0 || v >= n.size) {
                    throw new Malformed("enum index " + v + " out of range");
                }
            }
            case FLOAT -> take(4);
            case DOUBLE -> take(8);
            case LENGTH_PREFIXED -> take(length());
            case FIXED -> take(n.size);
            case UNION -> {
                long index = varLong();
                if (index < 0 || index >= n.children.length) {
                    throw new Malformed("union index " + index + " out of range");
                }
                walk(n.children[(int) index], depth + 1);
            }
            case RECORD -> {
                for (Node f : n.children) {
                    walk(f, depth + 1);
                }
            }
            default -> blocks(n, depth); // ARRAY, MAP
        }
    }

    /** Arrays and maps: blocks of {@code count} items, a negative count followed by the block's size in bytes. */
    private void blocks(Node n, int depth) {
        boolean map = n.kind == MAP;
        Node items = n.children[0];
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
                if (map) {
                    take(length()); // the key
                }
                walk(items, depth + 1);
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
        // one-byte numbers (most ints, lengths, union indexes and block counts) first
        if (pos < end) {
            int b = bytes[pos];
            if (b >= 0) {
                pos++;
                return (b >>> 1) ^ -(b & 1);
            }
        }
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
