package io.spendmonitor.schemas.serde;

import io.spendmonitor.avro.CallCost;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.RandomData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The length check compiled per schema gives the schema walk's answer ({@link AvroLengthCheckReference}),
 * message and byte position included, on valid data of every schema of the project and of a schema
 * with every Avro type (a recursive record among them), on mutations of that data and on arbitrary bytes.
 */
class AvroLengthCheckProperties {
    private static final Schema EVERY_TYPE = new Schema.Parser().parse("""
            {"type": "record", "name": "Node", "namespace": "test", "fields": [
              {"name": "flag", "type": "boolean"},
              {"name": "i", "type": "int"},
              {"name": "l", "type": "long"},
              {"name": "f", "type": "float"},
              {"name": "d", "type": "double"},
              {"name": "s", "type": "string"},
              {"name": "b", "type": "bytes"},
              {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
              {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}},
              {"name": "nulls", "type": {"type": "array", "items": "null"}},
              {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": ["null", "long", "Color"]}}},
              {"name": "u", "type": ["null", "string", "Four", {"type": "map", "values": "double"}]},
              {"name": "next", "type": ["null", "Node"]}
            ]}""");
    private static final List<Schema> SCHEMAS = List.of(TokenUsage.getClassSchema(), GpuUtilization.getClassSchema(),
            CallCost.getClassSchema(), PriceEntry.getClassSchema(), SpendAlert.getClassSchema(), TeamBudget.getClassSchema(),
            TeamCostWindow.getClassSchema(), EVERY_TYPE);
    private static final List<AvroLengthCheck.Compiled> COMPILED = SCHEMAS.stream().map(AvroLengthCheck::compile).toList();

    /** How a valid record is changed: 0 kept, 1 overwritten, 2 a byte inserted, 3 one deleted, 4 cut short. */
    record Change(int kind, int position, byte value) {
        byte[] apply(byte[] original) {
            if (kind == 0 || original.length == 0) {
                return original;
            }
            int at = position % original.length;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (kind) {
                case 1 -> {
                    byte[] copy = original.clone();
                    copy[at] = value;
                    return copy;
                }
                case 2 -> {
                    out.write(original, 0, at);
                    out.write(value);
                    out.write(original, at, original.length - at);
                }
                case 3 -> {
                    out.write(original, 0, at);
                    out.write(original, at + 1, original.length - at - 1);
                }
                default -> out.write(original, 0, at);
            }
            return out.toByteArray();
        }
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        Arbitrary<Change> change = Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 10_000),
                Arbitraries.oneOf(Arbitraries.bytes(), Arbitraries.of((byte) 0x80, (byte) 0xFF, (byte) 0x7F, (byte) 0x01, (byte) 0x00)))
                .as(Change::new);
        return change.list().ofMaxSize(3);
    }

    @Property(tries = 600)
    void validAndChangedRecordsGetTheSchemaWalksAnswer(@ForAll @IntRange(min = 0, max = 7) int schema, @ForAll long seed,
                                                       @ForAll("changes") List<Change> changes, @ForAll boolean header) {
        byte[] bytes = valid(SCHEMAS.get(schema), seed);
        for (Change c : changes) {
            bytes = c.apply(bytes);
        }
        int offset = header ? WireFormat.HEADER_SIZE : 0;
        if (header) {
            byte[] framed = new byte[offset + bytes.length];
            System.arraycopy(bytes, 0, framed, offset, bytes.length);
            bytes = framed;
        }
        String expected = AvroLengthCheckReference.problem(SCHEMAS.get(schema), bytes, offset);
        assertThat(COMPILED.get(schema).problem(bytes, offset)).isEqualTo(expected);
        if (changes.isEmpty()) {
            assertThat(expected).as("valid data passes").isNull();
        }
    }

    @Property(tries = 600)
    void arbitraryBytesGetTheSchemaWalksAnswer(@ForAll @IntRange(min = 0, max = 7) int schema, @ForAll("bodies") byte[] bytes) {
        assertThat(COMPILED.get(schema).problem(bytes, 0)).isEqualTo(AvroLengthCheckReference.problem(SCHEMAS.get(schema), bytes, 0));
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> varints = Arbitraries.of((byte) 0x80, (byte) 0xFF, (byte) 0xFE, (byte) 0x7F, (byte) 0x01,
                (byte) 0x00, (byte) 0x02, (byte) 0x07, (byte) 0x0F).array(byte[].class).ofMaxSize(120);
        return Arbitraries.oneOf(random, varints);
    }

    @Example
    void answersWorkedOutByHand() {
        // 1,000,000,000 zig-zags to 2,000,000,000 = varint 80 A8 D6 B9 07 (5 bytes), then 1 byte left
        assertThat(AvroLengthCheck.compile(Schema.create(Schema.Type.STRING))
                .problem(new byte[]{(byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07, 'x'}, 0))
                .isEqualTo("length 1000000000 beyond the 1 bytes left at byte 5");
        // "ab": length 2 = zig-zag 4
        assertThat(AvroLengthCheck.compile(Schema.create(Schema.Type.STRING)).problem(new byte[]{4, 'a', 'b'}, 0)).isNull();
        // enum of 3 symbols, index 3 = zig-zag 6, read from byte 0 to 1
        Schema color = EVERY_TYPE.getField("e").schema();
        assertThat(AvroLengthCheck.compile(color).problem(new byte[]{6}, 0)).isEqualTo("enum index 3 out of range at byte 1");
        // union index -2 = zig-zag 3
        Schema next = EVERY_TYPE.getField("next").schema();
        assertThat(AvroLengthCheck.compile(next).problem(new byte[]{3}, 0)).isEqualTo("union index -2 out of range at byte 1");
        // a chain of records through "next" (branch 1 = zig-zag 2)
        Schema chain = new Schema.Parser().parse("""
                {"type": "record", "name": "Chain", "fields": [{"name": "next", "type": ["null", "Chain"]}]}""");
        byte[] ones = new byte[100];
        Arrays.fill(ones, (byte) 2);
        // Chain at depth 2k, its union at 2k+1 reads byte k; the union at depth 63 reads the 32nd byte (pos 32),
        // the Chain at 64 is still allowed, its union at 65 is not
        assertThat(AvroLengthCheck.compile(chain).problem(ones, 0)).isEqualTo("nested deeper than 64 at byte 32");
        assertThat(AvroLengthCheckReference.problem(chain, ones, 0)).isEqualTo("nested deeper than 64 at byte 32");
        // a chain of 3 ending in null (branch 0): 02 02 02 00
        assertThat(AvroLengthCheck.compile(chain).problem(new byte[]{2, 2, 2, 0}, 0)).isNull();
    }

    private static byte[] valid(Schema schema, long seed) {
        Object datum = new RandomData(GenericData.get(), schema, 1, seed).iterator().next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<>(schema, GenericData.get()).write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
