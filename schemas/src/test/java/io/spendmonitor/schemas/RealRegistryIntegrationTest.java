package io.spendmonitor.schemas;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.registry.IncompatibleSchemaException;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.UnknownSchemaIdException;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.schemas.serde.SubjectNameStrategy;
import io.spendmonitor.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The serdes and the registry client against a real broker and a real registry. */
@ExtendWith(KafkaClusterExtension.class)
class RealRegistryIntegrationTest {
    private final KafkaCluster cluster;
    private final RestSchemaRegistryClient registry;

    RealRegistryIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
        this.registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
    }

    @Test
    void avroRecordsGoThroughTheBrokerWithSerdesConfiguredLikeAnyKafkaClient() {
        String topic = "it-token-usage-" + UUID.randomUUID();
        cluster.createTopics(3, topic);
        List<TokenUsage> sent = List.of(Fixtures.tokenUsage("a"), Fixtures.tokenUsage("b"), Fixtures.tokenUsage("c"));

        try (KafkaProducer<String, TokenUsage> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            for (TokenUsage usage : sent) {
                producer.send(new ProducerRecord<>(topic, usage.getTeam(), usage));
            }
        }

        List<TokenUsage> received = new ArrayList<>();
        try (KafkaConsumer<String, TokenUsage> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, TokenUsage.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, TokenUsage> r : consumer.poll(Duration.ofMillis(200))) {
                    received.add(r.value());
                }
                return received.size() >= sent.size();
            });
        }

        // all three share a key, so one partition holds them in order
        assertThat(received).containsExactlyElementsOf(sent);
        assertThat(registry.latest(topic + "-value").schema()).isEqualTo(TokenUsage.getClassSchema());
    }

    @Test
    void dataWrittenWithV1IsReadByCodeOnV2AndAnIncompatibleChangeIsRefused() {
        String topic = "it-evolution-" + UUID.randomUUID();
        String subject = topic + "-value";
        registry.setCompatibility(subject, "BACKWARD");
        // v1: TokenUsage as it might have been before reported_cost_usd and attributes existed
        Schema v1 = withoutFields(TokenUsage.getClassSchema(), "reported_cost_usd", "attributes");
        GenericRecord written = new GenericData.Record(v1);
        TokenUsage template = Fixtures.tokenUsage("evolve-1");
        for (Schema.Field field : v1.getFields()) {
            written.put(field.name(), genericValue(template, field.name()));
        }
        AvroSerializer<GenericRecord> v1Writer = new AvroSerializer<>(registry, AvroSerdeConfig.defaults(), false);
        byte[] v1Bytes = v1Writer.serialize(topic, written);

        // v2 (the generated class) registers: its new fields have defaults, so BACKWARD accepts it
        int v2Id = registry.register(subject, TokenUsage.getClassSchema());
        assertThat(v2Id).isNotEqualTo(WireFormat.schemaId(v1Bytes));

        TokenUsage read = new AvroDeserializer<>(registry, TokenUsage.class).deserialize(topic, v1Bytes);
        assertThat(read.getEventId()).isEqualTo("evolve-1");
        assertThat(read.getCachedInputTokens()).isEqualTo(1024);
        assertThat(read.getReportedCostUsd()).isNull();      // default of the new field
        assertThat(read.getAttributes()).isEmpty();          // default of the new field

        // v3 adds a field without a default: old data could not be read with it
        Schema v3 = withExtraRequiredField(TokenUsage.getClassSchema(), "region");
        assertThatThrownBy(() -> registry.register(subject, v3))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("subject '" + subject + "' is incompatible");
        GenericRecord v3Record = new GenericData.Record(v3);
        assertThatThrownBy(() -> v1Writer.serialize(topic, v3Record))
                .isInstanceOf(AvroSerdeException.class)
                .extracting(e -> ((AvroSerdeException) e).reason()).isEqualTo("incompatible-schema");
    }

    @Test
    void lookupFindsTheRegisteredIdAndAnUnknownIdIsNamed() {
        Schema schema = SchemaBuilder.record("Probe" + UUID.randomUUID().toString().replace("-", ""))
                .namespace("it").fields().requiredLong("n").endRecord();
        int id = registry.register("it-lookup-value", schema);

        RestSchemaRegistryClient fresh = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        assertThat(fresh.lookup("it-lookup-value", schema)).isEqualTo(id);
        assertThat(fresh.getById(id)).isEqualTo(schema);
        assertThatThrownBy(() -> fresh.getById(987_654))
                .isInstanceOf(UnknownSchemaIdException.class)
                .hasMessageContaining("schema id 987654 is unknown");
        assertThat(fresh.compatibility(null)).isEqualTo("BACKWARD");
    }

    @Test
    void recordNameStrategyRegistersUnderTheRecordName() {
        var config = new AvroSerdeConfig(true, SubjectNameStrategy.TOPIC, SubjectNameStrategy.RECORD);
        Schema schema = SchemaBuilder.record("ByName" + UUID.randomUUID().toString().replace("-", ""))
                .namespace("it").fields().requiredString("s").endRecord();
        GenericRecord record = new GenericData.Record(schema);
        record.put("s", "x");

        byte[] bytes = new AvroSerializer<GenericRecord>(registry, config, false).serialize("any-topic", record);

        assertThat(registry.latest(schema.getFullName()).id()).isEqualTo(WireFormat.schemaId(bytes));
    }

    private static Object genericValue(TokenUsage usage, String field) {
        Object value = usage.get(field);
        return value instanceof java.time.Instant instant ? instant.toEpochMilli() : value;
    }

    private static Schema withoutFields(Schema schema, String... dropped) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            if (!List.of(dropped).contains(f.name())) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static Schema withExtraRequiredField(Schema schema, String name) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field(name, Schema.create(Schema.Type.STRING), null, (Object) null));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
