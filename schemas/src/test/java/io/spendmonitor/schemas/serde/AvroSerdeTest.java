package io.spendmonitor.schemas.serde;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Fixtures;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroSerdeTest {
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerde<TokenUsage> serde = AvroSerde.specificValue(TokenUsage.class, registry);

    @Test
    void specificRecordRoundTripsThroughTheWireFormat() {
        TokenUsage usage = Fixtures.tokenUsage("evt-1");

        byte[] bytes = serde.serializer().serialize("llm.token-usage", usage);

        // magic byte 0, then the id the registry gave the subject's first schema (1) as 4 bytes big-endian
        assertThat(Arrays.copyOfRange(bytes, 0, 5)).containsExactly(0, 0, 0, 0, 1);
        assertThat(registry.latest("llm.token-usage-value").schema()).isEqualTo(TokenUsage.getClassSchema());
        TokenUsage back = serde.deserializer().deserialize("llm.token-usage", bytes);
        assertThat(back).isEqualTo(usage);
        assertThat(back.getReportedCostUsd()).isEqualByComparingTo("0.0001461");
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    @Test
    void genericRecordsAreWrittenWithTheirOwnSchema() {
        Schema schema = SchemaBuilder.record("Ping").namespace("test").fields().requiredString("who").endRecord();
        GenericRecord ping = new GenericData.Record(schema);
        ping.put("who", "me");
        AvroSerde<GenericRecord> generic = AvroSerde.generic(registry, AvroSerdeConfig.defaults(), false);

        byte[] bytes = generic.serializer().serialize("pings", ping);
        GenericRecord back = generic.deserializer().deserialize("pings", bytes);

        assertThat(back.get("who").toString()).isEqualTo("me");
        assertThat(registry.latest("pings-value").id()).isEqualTo(WireFormat.schemaId(bytes));
    }

    @Test
    void recordNameStrategyNamesTheSubjectAfterTheRecord() {
        var config = new AvroSerdeConfig(true, SubjectNameStrategy.TOPIC, SubjectNameStrategy.parse(
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"));
        AvroSerde<TokenUsage> byRecord = AvroSerde.specific(TokenUsage.class, registry, config, false);

        byRecord.serializer().serialize("any-topic", Fixtures.tokenUsage("e"));

        assertThat(registry.latest("io.spendmonitor.avro.TokenUsage").schema()).isEqualTo(TokenUsage.getClassSchema());
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaIsAClearError() {
        var config = new AvroSerdeConfig(false, SubjectNameStrategy.TOPIC, SubjectNameStrategy.TOPIC);
        AvroSerializer<TokenUsage> serializer = new AvroSerializer<>(registry, config, false);

        assertThatThrownBy(() -> serializer.serialize("llm.token-usage", Fixtures.tokenUsage("e")))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("subject 'llm.token-usage-value'");
    }

    @Test
    void bytesThatAreNotFramedAvroAreUndecodable() {
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "hello world".getBytes()))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("magic byte 0x68")
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("undecodable");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[]{0, 0}))
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("undecodable");
    }

    @Test
    void anUnknownSchemaIdIsNamed() {
        byte[] bytes = {0, 0, 0, 0x30, 0x39, 2, 'a'}; // id 0x3039 = 12345

        assertThatThrownBy(() -> serde.deserializer().deserialize("t", bytes))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("schema id 12345")
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("unknown-schema-id");
    }

    @Test
    void aValidRecordOfAnotherSchemaIsWrongSchema() {
        AvroSerde<GpuUtilization> gpu = AvroSerde.specificValue(GpuUtilization.class, registry);
        GpuUtilization sample = GpuUtilization.newBuilder()
                .setTimestamp(java.time.Instant.EPOCH).setNode("n1").setGpuId("0").setGpuModel("H100-80GB")
                .setTeam("search").setUtilization(0.5).setIntervalSeconds(15).build();
        byte[] bytes = gpu.serializer().serialize("gpu.utilization", sample);

        assertThatThrownBy(() -> serde.deserializer().deserialize("llm.token-usage", bytes))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("written as io.spendmonitor.avro.GpuUtilization")
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("wrong-schema");
    }

    @Test
    void truncatedAvroIsUndecodable() {
        byte[] bytes = serde.serializer().serialize("llm.token-usage", Fixtures.tokenUsage("evt"));
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 20);

        assertThatThrownBy(() -> serde.deserializer().deserialize("llm.token-usage", truncated))
                .isInstanceOf(AvroSerdeException.class)
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("undecodable");
    }

    /** Each thread reuses its decoder: a record that failed half-way leaves nothing behind for the next. */
    @Test
    void aDecoderReusedAfterAFailureAndAcrossThreadsReadsEachRecordWhole() throws Exception {
        var deserializer = serde.deserializer();
        java.util.List<TokenUsage> sent = new java.util.ArrayList<>();
        java.util.List<byte[]> wire = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            TokenUsage u = Fixtures.tokenUsage("evt-" + i);
            u.setTeam("team-" + "x".repeat(i % 17)); // lengths differ, so a stale buffer would show
            u.setInputTokens(i * 1_000L);
            sent.add(u);
            wire.add(serde.serializer().serialize("llm.token-usage", u));
        }
        byte[] truncated = Arrays.copyOf(wire.get(5), wire.get(5).length - 20);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                results.add(pool.submit(() -> {
                    int checked = 0;
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < sent.size(); i++) {
                            if (i % 50 == 0) {
                                assertThatThrownBy(() -> deserializer.deserialize("llm.token-usage", truncated))
                                        .isInstanceOf(AvroSerdeException.class);
                            }
                            assertThat(deserializer.deserialize("llm.token-usage", wire.get(i))).isEqualTo(sent.get(i));
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            for (var r : results) {
                assertThat(r.get()).isEqualTo(20 * 200);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decimalsKeepEveryNanoDollar() {
        TokenUsage usage = Fixtures.tokenUsage("evt");
        usage.setReportedCostUsd(new java.math.BigDecimal("123456789.123456789"));

        TokenUsage back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", usage));

        assertThat(back.getReportedCostUsd()).isEqualTo(new java.math.BigDecimal("123456789.123456789"));
    }

    @Test
    void subjectNameStrategyRejectsUnknownNames() {
        assertThatThrownBy(() -> SubjectNameStrategy.parse("ByMoonPhase"))
                .hasMessageContaining("TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy");
        assertThat(AvroSerdeConfig.fromConfig(Map.of("auto.register.schemas", "false")).autoRegisterSchemas()).isFalse();
        assertThat(ByteBuffer.wrap(new byte[]{0, 0, 0, 1}).getInt()).isEqualTo(1);
    }
}
