package io.spendmonitor.schemas.serde;

import org.apache.avro.Conversion;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a flat generated record straight from the bytes, for the one case that is nearly all of the
 * traffic: data written with exactly the class's own schema. Fields may be null, boolean, int, long,
 * float, double, string, a nullable one of those, a map of strings, a timestamp-millis long or a
 * decimal in bytes; any other schema gets no reader ({@link #compile} returns null).
 *
 * <p>It answers only when it is sure: every length is checked against the bytes that are there
 * before anything is allocated, and anything unusual (a bad varint, a union branch out of range, a
 * length past the end, trailing bytes, an empty decimal) makes {@link #read} return null. The caller
 * then takes the general path (the length check and Avro's decoder), which gives the same record
 * for good bytes and the precise error for bad ones. So this reader never decides what an error
 * says, and what it returns is what Avro returns (a property test holds it to that, also for
 * mutated and truncated bytes).
 *
 * <p>Why: Avro's generic decoding (a reader per field, each string copied through a {@code Utf8})
 * after the length check's own walk over the bytes was about 14 % of the bench's stream thread;
 * reading once, directly, took about a third off that. Repeated names come from per-thread
 * {@link RepeatedStrings}: fixed in size, so hostile input cannot grow them.
 */
final class DirectRecordReader {
    private static final byte BOOLEAN = 1;
    private static final byte INT = 2;
    private static final byte LONG = 3;
    private static final byte FLOAT = 4;
    private static final byte DOUBLE = 5;
    private static final byte STRING = 6;
    private static final byte STRING_MAP = 7;
    private static final byte TIMESTAMP_MILLIS = 8;
    private static final byte DECIMAL = 9;
    private static final byte NULL = 10;

    /**
     * One field: its kind, whether it is a nullable union (and which branch is null), a decimal's
     * scale, and for a string its number among the record's strings (its {@link RepeatedStrings}).
     */
    private record Field(byte kind, boolean nullable, int nullBranch, int scale, int stringIndex) {
    }

    /** The generated class's no-argument constructor (Avro's own lookup per record was ~2 % of the stream thread). */
    private final java.lang.reflect.Constructor<?> constructor;
    private final Field[] fields;
    /** Each thread's repeated strings, one per string field (Kafka Streams shares a deserializer among its threads). */
    private final ThreadLocal<RepeatedStrings[]> strings;

    private DirectRecordReader(java.lang.reflect.Constructor<?> constructor, Field[] fields, int stringFields) {
        this.constructor = constructor;
        this.fields = fields;
        this.strings = ThreadLocal.withInitial(() -> {
            RepeatedStrings[] perField = new RepeatedStrings[stringFields];
            Arrays.setAll(perField, i -> new RepeatedStrings());
            return perField;
        });
    }

    /** A reader for records written with {@code schema} (the target class's own), or null when it cannot read them. */
    static DirectRecordReader compile(Schema schema, SpecificData model) {
        if (schema.getType() != Schema.Type.RECORD) {
            return null;
        }
        List<Schema.Field> schemaFields = schema.getFields();
        Field[] fields = new Field[schemaFields.size()];
        int stringFields = 0;
        for (int i = 0; i < fields.length; i++) {
            Schema s = schemaFields.get(i).schema();
            boolean nullable = false;
            int nullBranch = -1;
            if (s.getType() == Schema.Type.UNION) {
                List<Schema> branches = s.getTypes();
                if (branches.size() != 2) {
                    return null;
                }
                if (branches.get(0).getType() == Schema.Type.NULL) {
                    nullBranch = 0;
                } else if (branches.get(1).getType() == Schema.Type.NULL) {
                    nullBranch = 1;
                } else {
                    return null;
                }
                nullable = true;
                s = branches.get(1 - nullBranch);
            }
            byte kind = kind(s, model);
            if (kind == 0 || (nullable && kind == NULL)) {
                return null;
            }
            int scale = kind == DECIMAL ? ((LogicalTypes.Decimal) s.getLogicalType()).getScale() : 0;
            fields[i] = new Field(kind, nullable, nullBranch, scale, kind == STRING ? stringFields++ : -1);
        }
        Class<?> type = model.getClass(schema);
        if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
            return null;
        }
        try {
            return new DirectRecordReader(type.getConstructor(), fields, stringFields);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** The kind this reader reads {@code s} as, the class's conversions considered; 0 when it cannot. */
    private static byte kind(Schema s, SpecificData model) {
        LogicalType logical = s.getLogicalType();
        if (logical != null) {
            Conversion<?> conversion = model.getConversionFor(logical);
            if (conversion == null) {
                return 0; // a logical type the class reads raw: Avro's to read
            }
            if (logical instanceof LogicalTypes.TimestampMillis && s.getType() == Schema.Type.LONG
                    && conversion.getConvertedType() == Instant.class) {
                return TIMESTAMP_MILLIS;
            }
            if (logical instanceof LogicalTypes.Decimal && s.getType() == Schema.Type.BYTES
                    && conversion.getConvertedType() == BigDecimal.class) {
                return DECIMAL;
            }
            return 0; // a conversion this reader does not know
        }
        return switch (s.getType()) {
            case NULL -> NULL;
            case BOOLEAN -> BOOLEAN;
            case INT -> INT;
            case LONG -> LONG;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case STRING -> javaString(s) ? STRING : 0;
            // keys and values java.lang.String (the map's own property names the keys' class)
            case MAP -> javaString(s) && javaString(s.getValueType()) && s.getValueType().getLogicalType() == null ? STRING_MAP : 0;
            default -> 0;
        };
    }

    /** Whether strings of {@code s} are {@code java.lang.String} in the generated classes (their stringType). */
    private static boolean javaString(Schema s) {
        return "String".equals(s.getProp(GenericData.STRING_PROP));
    }

    /** The record in {@code bytes} from {@code offset} to the end, or null when the general path must decide. */
    SpecificRecord read(byte[] bytes, int offset) {
        Cursor in = new Cursor(bytes, offset, strings.get());
        SpecificRecord record;
        try {
            record = (SpecificRecord) constructor.newInstance();
        } catch (ReflectiveOperationException e) {
            return null; // Avro's path creates it, or says why it cannot
        }
        for (int i = 0; i < fields.length; i++) {
            Field f = fields[i];
            if (f.nullable) {
                long branch = in.varLong();
                if (in.failed || (branch != 0 && branch != 1)) {
                    return null;
                }
                if (branch == f.nullBranch) {
                    record.put(i, null);
                    continue;
                }
            }
            Object value = value(f, in);
            if (in.failed) {
                return null;
            }
            record.put(i, value);
        }
        return in.pos == bytes.length ? record : null;
    }

    private static Object value(Field f, Cursor in) {
        switch (f.kind) {
            case NULL:
                return null;
            case BOOLEAN: {
                int b = in.next();
                if (b != 0 && b != 1) {
                    in.failed = true;
                }
                return b == 1;
            }
            case INT:
                return in.varInt();
            case LONG:
                return in.varLong();
            case FLOAT:
                return Float.intBitsToFloat(in.fixedInt());
            case DOUBLE:
                return Double.longBitsToDouble(in.fixedLong());
            case STRING:
                return in.repeatedString(f.stringIndex);
            case TIMESTAMP_MILLIS: {
                long millis = in.varLong();
                return in.failed ? null : Instant.ofEpochMilli(millis);
            }
            case DECIMAL: {
                int length = in.length();
                if (in.failed || length == 0) {
                    in.failed = true; // an empty decimal is Avro's error to report
                    return null;
                }
                BigInteger unscaled = new BigInteger(in.bytes, in.pos, length);
                in.pos += length;
                return new BigDecimal(unscaled, f.scale);
            }
            case STRING_MAP:
                return in.stringMap();
            default:
                in.failed = true;
                return null;
        }
    }

    /** A position in the bytes; once {@code failed}, what it returns is meaningless. */
    private static final class Cursor {
        final byte[] bytes;
        final RepeatedStrings[] strings;
        int pos;
        boolean failed;

        Cursor(byte[] bytes, int pos, RepeatedStrings[] strings) {
            this.bytes = bytes;
            this.pos = pos;
            this.strings = strings;
        }

        int next() {
            if (pos >= bytes.length) {
                failed = true;
                return 0;
            }
            return bytes[pos++] & 0xff;
        }

        /** A zig-zag varint long of at most 10 bytes whose bits fit in 64 (else failed). */
        long varLong() {
            long raw = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                int b = next();
                if (failed) {
                    return 0;
                }
                if (shift == 63 && (b & 0x7e) != 0) {
                    failed = true; // bits past the 64th, or an 11th byte: Avro's to judge
                    return 0;
                }
                raw |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return (raw >>> 1) ^ -(raw & 1);
                }
            }
            failed = true;
            return 0;
        }

        /** A zig-zag varint int of at most 5 bytes whose bits fit in 32 (else failed). */
        int varInt() {
            int raw = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = next();
                if (failed) {
                    return 0;
                }
                if (shift == 28 && (b & 0x70) != 0) {
                    failed = true;
                    return 0;
                }
                raw |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return (raw >>> 1) ^ -(raw & 1);
                }
            }
            failed = true;
            return 0;
        }

        int fixedInt() {
            if (bytes.length - pos < 4) {
                failed = true;
                return 0;
            }
            int v = (bytes[pos] & 0xff) | (bytes[pos + 1] & 0xff) << 8 | (bytes[pos + 2] & 0xff) << 16 | (bytes[pos + 3] & 0xff) << 24;
            pos += 4;
            return v;
        }

        long fixedLong() {
            if (bytes.length - pos < 8) {
                failed = true;
                return 0;
            }
            long lo = fixedInt() & 0xffffffffL;
            long hi = fixedInt() & 0xffffffffL;
            return lo | hi << 32;
        }

        /** A length prefix that fits in the bytes left (else failed). */
        int length() {
            long length = varLong();
            if (failed || length < 0 || length > bytes.length - pos) {
                failed = true;
                return 0;
            }
            return (int) length;
        }

        String string() {
            int length = length();
            if (failed) {
                return null;
            }
            String s = new String(bytes, pos, length, StandardCharsets.UTF_8);
            pos += length;
            return s;
        }

        /** A string field's value, through that field's repeated strings. */
        String repeatedString(int field) {
            int length = length();
            if (failed) {
                return null;
            }
            String s = strings[field].get(bytes, pos, length);
            pos += length;
            return s;
        }

        /** Avro's map blocks: a count (negative: followed by the block's size in bytes), entries, until a count of 0. */
        Map<String, String> stringMap() {
            Map<String, String> map = new HashMap<>();
            while (true) {
                long count = varLong();
                if (failed) {
                    return null;
                }
                if (count == 0) {
                    return map;
                }
                if (count < 0) {
                    count = -count;
                    varLong(); // the block's size in bytes
                }
                // each entry takes at least two bytes (two lengths): more than fit is Avro's error to report
                if (failed || count < 0 || count > (bytes.length - pos) / 2) {
                    failed = true;
                    return null;
                }
                for (long i = 0; i < count; i++) {
                    String key = string();
                    String value = string();
                    if (failed) {
                        return null;
                    }
                    map.put(key, value);
                }
            }
        }
    }
}
