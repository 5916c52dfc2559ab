package io.spendmonitor.schemas;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.registry.IncompatibleSchemaException;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GpuUtilization v2 adds the measured {@code prompt_tokens}, {@code generation_tokens},
 * {@code prefix_cache_queries}, {@code prefix_cache_hits} (optional longs, default null). Through
 * the real registry under BACKWARD: a collector still on v1 registers and writes first, v2 is
 * accepted, a v2 reader reads the v1 record with the new fields null, and a v2 record keeps its counts.
 */
@ExtendWith(KafkaClusterExtension.class)
class MeasuredTokensEvolutionIntegrationTest {
    private static final List<String> NEW_FIELDS = List.of("prompt_tokens", "generation_tokens", "prefix_cache_queries", "prefix_cache_hits");
    private final RestSchemaRegistryClient registry;

    MeasuredTokensEvolutionIntegrationTest(KafkaCluster cluster) {
        this.registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
    }

    @Test
    void aV1CollectorsSamplesAreReadByV2AndV2IsAcceptedUnderBackward() {
        String topic = "it-gpu-tokens-" + UUID.randomUUID();
        String subject = topic + "-value";
        registry.setCompatibility(subject, "BACKWARD");
        Schema v1 = withoutFields(GpuUtilization.getClassSchema());
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(GpuUtilization.getClassSchema(), v1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);

        GpuUtilization template = sample(null);
        GenericRecord old = new GenericData.Record(v1);
        for (Schema.Field field : v1.getFields()) {
            Object value = template.get(field.name());
            old.put(field.name(), value instanceof Instant instant ? instant.toEpochMilli() : value);
        }
        byte[] v1Bytes = new AvroSerializer<GenericRecord>(registry, AvroSerdeConfig.defaults(), false).serialize(topic, old);

        AvroSerializer<GpuUtilization> v2Writer = new AvroSerializer<>(registry, AvroSerdeConfig.defaults(), false);
        GpuUtilization measured = sample(3000L);
        byte[] v2Bytes = v2Writer.serialize(topic, measured);
        assertThat(WireFormat.schemaId(v2Bytes)).isNotEqualTo(WireFormat.schemaId(v1Bytes));

        AvroDeserializer<GpuUtilization> reader = new AvroDeserializer<>(registry, GpuUtilization.class);
        GpuUtilization fromV1 = reader.deserialize(topic, v1Bytes);
        assertThat(fromV1.getUtilization()).isEqualTo(0.8);
        assertThat(fromV1.getPromptTokens()).isNull();
        assertThat(fromV1.getGenerationTokens()).isNull();
        assertThat(fromV1.getPrefixCacheHits()).isNull();
        assertThat(reader.deserialize(topic, v2Bytes)).isEqualTo(measured);

        // control: the same fields without defaults would not be accepted
        assertThatThrownBy(() -> registry.register(subject, withRequiredTokens(GpuUtilization.getClassSchema())))
                .isInstanceOf(IncompatibleSchemaException.class);
    }

    private static GpuUtilization sample(Long promptTokens) {
        return GpuUtilization.newBuilder().setTimestamp(Instant.parse("2026-11-27T10:15:30Z")).setNode("node-1")
                .setGpuId("GPU-0000").setGpuModel("H100-80GB").setTeam("search").setDeployment("vllm-llama-8b")
                .setModel("llama-3.1-8b").setUtilization(0.8).setIntervalSeconds(15.0)
                .setPromptTokens(promptTokens).setGenerationTokens(promptTokens == null ? null : 1600L)
                .build();
    }

    private static Schema withoutFields(Schema schema) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            if (!NEW_FIELDS.contains(f.name())) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static Schema withRequiredTokens(Schema schema) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            fields.add(NEW_FIELDS.contains(f.name()) ? new Schema.Field(f.name(), Schema.create(Schema.Type.LONG), null, (Object) null)
                    : new Schema.Field(f, f.schema()));
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
