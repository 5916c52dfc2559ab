package io.spendmonitor.schemas.serde;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Fixtures;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direct reader ({@link DirectRecordReader}) against Avro's own decoding, through the
 * deserializer with it on and off: for any record of the classes' own schemas the same record, and
 * for mutated or cut bytes the same record or the same error, word for word.
 */
class DirectRecordReaderProperties {
    private static final String TOKENS = "llm.token-usage";
    private static final String GPUS = "gpu.utilization";

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(registry, AvroSerdeConfig.defaults(), false);
    private final AvroDeserializer<TokenUsage> directTokens = new AvroDeserializer<>(registry, TokenUsage.class);
    private final AvroDeserializer<TokenUsage> avroTokens = new AvroDeserializer<>(registry, TokenUsage.class);
    private final AvroDeserializer<GpuUtilization> directGpus = new AvroDeserializer<>(registry, GpuUtilization.class);
    private final AvroDeserializer<GpuUtilization> avroGpus = new AvroDeserializer<>(registry, GpuUtilization.class);

    DirectRecordReaderProperties() {
        avroTokens.direct(false);
        avroGpus.direct(false);
    }

    @Property(tries = 500, seed = "20261130")
    void anyTokenUsageReadsAsAvroReadsIt(@ForAll("tokenUsages") TokenUsage usage) {
        byte[] bytes = serializer.serialize(TOKENS, usage);
        String direct = outcome(directTokens, TOKENS, bytes);
        assertThat(directTokens.hasDirectReader(WireFormat.schemaId(bytes))).isTrue(); // the direct path was taken
        // as text (Avro's JSON of every field): equals() says NaN differs from NaN
        assertThat(direct).startsWith("record ").isEqualTo(outcome(avroTokens, TOKENS, bytes));
    }

    @Property(tries = 500, seed = "20261130")
    void anyGpuSampleReadsAsAvroReadsIt(@ForAll("gpuSamples") GpuUtilization sample) {
        byte[] bytes = serializer.serialize(GPUS, sample);
        String direct = outcome(directGpus, GPUS, bytes);
        assertThat(directGpus.hasDirectReader(WireFormat.schemaId(bytes))).isTrue();
        assertThat(direct).startsWith("record ").isEqualTo(outcome(avroGpus, GPUS, bytes));
    }

    @Property(tries = 1000, seed = "20261130")
    void mutatedTokenUsagesGiveAvrosAnswer(@ForAll("tokenUsages") TokenUsage usage,
                                           @ForAll("mutations") AvroDeserializerProperties.Mutation mutation) {
        byte[] bytes = mutation.apply(serializer.serialize(TOKENS, usage));
        assertThat(outcome(directTokens, TOKENS, bytes)).isEqualTo(outcome(avroTokens, TOKENS, bytes));
    }

    @Property(tries = 1000, seed = "20261130")
    void mutatedGpuSamplesGiveAvrosAnswer(@ForAll("gpuSamples") GpuUtilization sample,
                                          @ForAll("mutations") AvroDeserializerProperties.Mutation mutation) {
        byte[] bytes = mutation.apply(serializer.serialize(GPUS, sample));
        assertThat(outcome(directGpus, GPUS, bytes)).isEqualTo(outcome(avroGpus, GPUS, bytes));
    }

    @Example
    void overlongAndOutOfRangeEncodingsAreLeftToAvro() {
        byte[] valid = serializer.serialize(TOKENS, Fixtures.tokenUsage("evt-1"));
        byte[] header = Arrays.copyOf(valid, WireFormat.HEADER_SIZE);
        // event_id's length as an 11-byte varint, a union branch of 2 (deployment is the 7th field), trailing bytes
        byte[][] bodies = {
                concat(header, new byte[]{(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                        (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00}),
                concat(valid, new byte[]{0x00}),
        };
        for (byte[] bytes : bodies) {
            assertThat(outcome(directTokens, TOKENS, bytes)).startsWith("error ").isEqualTo(outcome(avroTokens, TOKENS, bytes));
        }
    }

    @Example
    void tenByteVarintsReadAsAvroReadsThem() {
        // the timestamp (2nd field, after event_id "evt-1": a length byte and 5 bytes) re-encoded in 10
        // bytes: its own 7-bit groups, continuation bits up to the 10th byte, which carries the top bits
        byte[] valid = serializer.serialize(TOKENS, Fixtures.tokenUsage("evt-1"));
        int at = WireFormat.HEADER_SIZE + 6;
        int end = at;
        while ((valid[end] & 0x80) != 0) {
            end++;
        }
        end++;
        for (int top : new int[]{0x00, 0x01, 0x02, 0x7f}) {
            byte[] varint = new byte[10];
            for (int i = 0; i < 9; i++) {
                varint[i] = (byte) ((at + i < end ? valid[at + i] & 0x7f : 0) | 0x80);
            }
            varint[9] = (byte) top;
            byte[] bytes = concat(concat(Arrays.copyOf(valid, at), varint), Arrays.copyOfRange(valid, end, valid.length));
            assertThat(outcome(directTokens, TOKENS, bytes)).as("10th byte %02x", top).isEqualTo(outcome(avroTokens, TOKENS, bytes));
        }
    }

    @Example
    void dataWrittenWithAnotherSchemaIsReadByAvroAlone() {
        // a writer schema with one field fewer than the class's (no prompt_hash): resolved by Avro, defaults filled in
        Schema own = TokenUsage.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : own.getFields()) {
            if (!f.name().equals("prompt_hash")) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        Schema older = Schema.createRecord(own.getName(), null, own.getNamespace(), false, fields);
        TokenUsage usage = Fixtures.tokenUsage("evt-older");
        GenericRecord record = new GenericData.Record(older);
        for (Schema.Field f : older.getFields()) {
            record.put(f.name(), GenericData.get().deepCopy(f.schema(), rawValue(usage, own.getField(f.name()).pos())));
        }
        byte[] bytes = new AvroSerializer<GenericRecord>(registry, AvroSerdeConfig.defaults(), false).serialize(TOKENS, record);
        TokenUsage read = directTokens.deserialize(TOKENS, bytes);
        assertThat(directTokens.hasDirectReader(WireFormat.schemaId(bytes))).isFalse();
        assertThat(read.getPromptHash()).isNull();
        assertThat(read.getEventId()).isEqualTo("evt-older");
        assertThat(read.getReportedCostUsd()).isEqualByComparingTo("0.000146100");
    }

    /** A field's value as the generic record of the older schema holds it (logical types in their raw form). */
    private static Object rawValue(TokenUsage usage, int pos) {
        Object v = usage.get(pos);
        if (v instanceof Instant i) {
            return i.toEpochMilli();
        }
        if (v instanceof BigDecimal d) {
            return java.nio.ByteBuffer.wrap(d.unscaledValue().toByteArray());
        }
        return v;
    }

    /** A record's text, or "error " and the exception's message: what a caller can tell apart. */
    private static String outcome(AvroDeserializer<?> deserializer, String topic, byte[] bytes) {
        try {
            return "record " + deserializer.deserialize(topic, bytes);
        } catch (RuntimeException e) {
            return "error " + e.getClass().getName() + ": " + e.getMessage();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Provide
    Arbitrary<AvroDeserializerProperties.Mutation> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 10_000), Arbitraries.bytes(),
                Arbitraries.integers().between(0, 3)).as(AvroDeserializerProperties.Mutation::new);
    }

    private static Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12),
                Arbitraries.strings().all().ofMaxLength(8));
    }

    private static Arbitrary<Map<String, String>> stringMaps() {
        return Arbitraries.maps(text(), text()).ofMaxSize(5);
    }

    private static Arbitrary<BigDecimal> decimals() {
        // precision 18, scale 9: what the schema allows
        return Arbitraries.longs().between(-999_999_999_999_999_999L, 999_999_999_999_999_999L)
                .map(unscaled -> new BigDecimal(BigInteger.valueOf(unscaled), 9));
    }

    private static Arbitrary<Instant> instants() {
        return Arbitraries.oneOf(Arbitraries.longs().between(-62_135_596_800_000L, 253_402_300_799_999L),
                Arbitraries.longs().between(1_700_000_000_000L, 1_900_000_000_000L)).map(Instant::ofEpochMilli);
    }

    @Provide
    Arbitrary<TokenUsage> tokenUsages() {
        return Builders.withBuilder(TokenUsage::newBuilder)
                .use(text()).in((b, v) -> b.setEventId(v))
                .use(instants()).in((b, v) -> b.setTimestamp(v))
                .use(text()).in((b, v) -> b.setTeam(v))
                .use(text()).in((b, v) -> b.setApplication(v))
                .use(text()).in((b, v) -> b.setProvider(v))
                .use(text()).in((b, v) -> b.setModel(v))
                .use(text().injectNull(0.5)).in((b, v) -> b.setDeployment(v))
                .use(Arbitraries.longs()).in((b, v) -> b.setInputTokens(v))
                .use(Arbitraries.longs()).in((b, v) -> b.setCachedInputTokens(v))
                .use(Arbitraries.longs().between(-300, 300)).in((b, v) -> b.setCacheWriteInputTokens(v))
                .use(Arbitraries.longs()).in((b, v) -> b.setOutputTokens(v))
                .use(text().injectNull(0.5)).in((b, v) -> b.setServiceTier(v))
                .use(Arbitraries.longs().injectNull(0.5)).in((b, v) -> b.setLatencyMs(v))
                .use(decimals().injectNull(0.5)).in((b, v) -> b.setReportedCostUsd(v))
                .use(stringMaps()).in((b, v) -> b.setAttributes(v))
                .use(stringMaps()).in((b, v) -> b.setLabels(v))
                .use(text().injectNull(0.5)).in((b, v) -> b.setPromptHash(v))
                .build(TokenUsage.Builder::build);
    }

    @Provide
    Arbitrary<GpuUtilization> gpuSamples() {
        Arbitrary<Double> doubles = Arbitraries.oneOf(Arbitraries.doubles(), Arbitraries.of(0.0, -0.0, 1.0, Double.NaN,
                Double.POSITIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE));
        return Builders.withBuilder(GpuUtilization::newBuilder)
                .use(instants()).in((b, v) -> b.setTimestamp(v))
                .use(text()).in((b, v) -> b.setNode(v))
                .use(text()).in((b, v) -> b.setGpuId(v))
                .use(text()).in((b, v) -> b.setGpuModel(v))
                .use(text()).in((b, v) -> b.setTeam(v))
                .use(text().injectNull(0.5)).in((b, v) -> b.setDeployment(v))
                .use(text().injectNull(0.5)).in((b, v) -> b.setModel(v))
                .use(doubles).in((b, v) -> b.setUtilization(v))
                .use(Arbitraries.longs()).in((b, v) -> b.setMemoryUsedBytes(v))
                .use(Arbitraries.longs()).in((b, v) -> b.setMemoryTotalBytes(v))
                .use(doubles.injectNull(0.5)).in((b, v) -> b.setPowerWatts(v))
                .use(doubles).in((b, v) -> b.setIntervalSeconds(v))
                .use(decimals().injectNull(0.5)).in((b, v) -> b.setUsdPerHour(v))
                .use(Arbitraries.longs().injectNull(0.5)).in((b, v) -> b.setPromptTokens(v))
                .use(Arbitraries.longs().injectNull(0.5)).in((b, v) -> b.setGenerationTokens(v))
                .use(Arbitraries.longs().injectNull(0.5)).in((b, v) -> b.setPrefixCacheQueries(v))
                .use(Arbitraries.longs().injectNull(0.5)).in((b, v) -> b.setPrefixCacheHits(v))
                .build(GpuUtilization.Builder::build);
    }
}
