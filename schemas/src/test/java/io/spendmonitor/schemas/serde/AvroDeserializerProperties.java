package io.spendmonitor.schemas.serde;

import com.sun.management.ThreadMXBean;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Fixtures;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Combinators;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Arbitrary bytes after a valid or invalid Confluent header: the deserializer returns a record or
 * throws its typed {@link AvroSerdeException}, and never allocates more than a fixed amount per
 * byte of input (a five-byte length prefix must not buy a two-gigabyte buffer).
 */
class AvroDeserializerProperties {
    /** Per input byte: a map entry of two one-byte strings allocates a node, two Strings and their arrays. */
    static final long BYTES_PER_INPUT_BYTE = 1_000;
    static final long CONSTANT_BYTES = 1_000_000;
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerde<TokenUsage> tokens = AvroSerde.specificValue(TokenUsage.class, registry);
    private final AvroSerde<GpuUtilization> gpus = AvroSerde.specificValue(GpuUtilization.class, registry);
    private final byte[] validToken = tokens.serializer().serialize("llm.token-usage", Fixtures.tokenUsage("evt-1"));
    private final byte[] validGpu = gpus.serializer().serialize("gpu.utilization", GpuUtilization.newBuilder()
            .setTimestamp(Instant.parse("2026-11-27T10:00:00Z")).setNode("n1").setGpuId("0").setGpuModel("H100-80GB")
            .setTeam("search").setUtilization(0.5).setIntervalSeconds(15).setUsdPerHour(new BigDecimal("2.500000000")).build());

    AvroDeserializerProperties() {
        // the first read of a schema id builds its reader (a one-off cost, not the record's): warm both up
        tokens.deserializer().deserialize("llm.token-usage", validToken);
        gpus.deserializer().deserialize("gpu.utilization", validGpu);
        // and the failure path once (its classes load on first use)
        for (int cut = WireFormat.HEADER_SIZE; cut < validToken.length; cut += 7) {
            try {
                tokens.deserializer().deserialize("llm.token-usage", Arrays.copyOf(validToken, cut));
            } catch (AvroSerdeException expected) {
                // warmed up
            }
        }
    }

    @Property(tries = 400, seed = "20261127")
    void arbitraryBodiesAfterAValidHeader(@ForAll("bodies") byte[] body, @ForAll boolean gpu) {
        byte[] header = Arrays.copyOf(gpu ? validGpu : validToken, WireFormat.HEADER_SIZE);
        decodeWithinBounds(concat(header, body), gpu);
    }

    @Property(tries = 400, seed = "20261127")
    void mutationsOfValidRecords(@ForAll("mutations") Mutation mutation, @ForAll boolean gpu) {
        decodeWithinBounds(mutation.apply(gpu ? validGpu : validToken), gpu);
    }

    @Property(tries = 200, seed = "20261127")
    void arbitraryBytesWithAnyHeader(@ForAll("anyBytes") byte[] bytes, @ForAll boolean gpu) {
        decodeWithinBounds(bytes, gpu);
    }

    @Example
    void aLengthPrefixOfAGigabyteIsRefusedWithoutAllocatingIt() {
        // event_id is the record's first field: a string whose length is a zig-zag varint.
        // 1,000,000,000 zig-zags to 2,000,000,000 = varint 80 A8 D6 B9 07
        byte[] bytes = concat(Arrays.copyOf(validToken, WireFormat.HEADER_SIZE),
                new byte[]{(byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07, 'x'});
        long before = THREADS.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> tokens.deserializer().deserialize("llm.token-usage", bytes))
                .isInstanceOf(AvroSerdeException.class)
                .satisfies(e -> assertThat(((AvroSerdeException) e).reason()).isEqualTo("undecodable"));
        assertThat(THREADS.getCurrentThreadAllocatedBytes() - before).isLessThan(CONSTANT_BYTES);
    }

    /**
     * Decodes twice and bounds the smaller allocation: the first call on a new path may load classes
     * and link call sites (once per JVM, megabytes); a bomb allocates on every call.
     */
    private void decodeWithinBounds(byte[] bytes, boolean gpu) {
        long allocated = Math.min(decodeOnce(bytes, gpu), decodeOnce(bytes, gpu));
        assertThat(allocated).as("bytes allocated to decode %d bytes", bytes.length)
                .isLessThanOrEqualTo(CONSTANT_BYTES + BYTES_PER_INPUT_BYTE * bytes.length);
    }

    private long decodeOnce(byte[] bytes, boolean gpu) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            Object record = gpu ? gpus.deserializer().deserialize("gpu.utilization", bytes)
                    : tokens.deserializer().deserialize("llm.token-usage", bytes);
            assertThat(record).isNotNull();
        } catch (AvroSerdeException expected) {
            assertThat(expected.reason()).isIn("undecodable", "unknown-schema-id", "wrong-schema");
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        // varint-heavy bytes: high bits set make long length prefixes and counts
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> varints = Arbitraries.of((byte) 0x80, (byte) 0xFF, (byte) 0xFE, (byte) 0x7F, (byte) 0x01,
                (byte) 0x00, (byte) 0x07, (byte) 0x0F).array(byte[].class).ofMaxSize(60);
        return Arbitraries.oneOf(random, varints);
    }

    @Provide
    Arbitrary<byte[]> anyBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 400), Arbitraries.bytes(),
                Arbitraries.integers().between(0, 3)).as(Mutation::new);
    }

    /** Overwrite, insert, delete or cut at a position (taken modulo the record's length). */
    record Mutation(int position, byte value, int kind) {
        byte[] apply(byte[] original) {
            int at = position % original.length;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (kind) {
                case 0 -> {
                    byte[] copy = original.clone();
                    copy[at] = value;
                    return copy;
                }
                case 1 -> {
                    out.write(original, 0, at);
                    out.write(value);
                    out.write(original, at, original.length - at);
                }
                case 2 -> {
                    out.write(original, 0, at);
                    out.write(original, at + 1, original.length - at - 1);
                }
                default -> out.write(original, 0, at);
            }
            return out.toByteArray();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
