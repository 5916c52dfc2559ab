package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.streams.cost.EventValidator;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads both input topics with our Avro deserializer through the registry and applies the same
 * event rules as the topology's {@code admit} node ({@link EventValidator}): an event that fails
 * them (or cannot be read) is dropped and counted ({@link #REJECTED}), where the topology writes it
 * to the dead-letter topic.
 */
final class EventDeserialization implements KafkaRecordDeserializationSchema<PeerEvent> {
    private static final long serialVersionUID = 1L;
    /** Events refused at the source (in this JVM). */
    static final LongAdder REJECTED = new LongAdder();

    private final String registryUrl;
    private final String tokenUsageTopic;
    private final Instant timestampMin;
    private final Duration maxAhead;
    private transient RestSchemaRegistryClient registry;
    private transient AvroDeserializer<TokenUsage> calls;
    private transient AvroDeserializer<GpuUtilization> samples;
    private transient EventValidator validator;

    EventDeserialization(String registryUrl, String tokenUsageTopic, Instant timestampMin, Duration maxAhead) {
        this.registryUrl = registryUrl;
        this.tokenUsageTopic = tokenUsageTopic;
        this.timestampMin = timestampMin;
        this.maxAhead = maxAhead;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        registry = RestSchemaRegistryClient.forUrl(registryUrl);
        calls = new AvroDeserializer<>(registry, TokenUsage.class);
        samples = new AvroDeserializer<>(registry, GpuUtilization.class);
        validator = new EventValidator(timestampMin, maxAhead);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<PeerEvent> out) {
        long now = System.currentTimeMillis();
        try {
            if (record.topic().equals(tokenUsageTopic)) {
                TokenUsage u = calls.deserialize(record.topic(), record.value());
                if (u != null && validator.check(u, now).isEmpty()) {
                    out.collect(PeerEvent.of(u));
                    return;
                }
            } else {
                GpuUtilization g = samples.deserialize(record.topic(), record.value());
                if (g != null && validator.check(g, now).isEmpty()) {
                    out.collect(PeerEvent.of(g));
                    return;
                }
            }
        } catch (RuntimeException e) {
            // unreadable bytes: the topology's dead letter; here dropped and counted
        }
        REJECTED.increment();
    }

    @Override
    public TypeInformation<PeerEvent> getProducedType() {
        return TypeInformation.of(PeerEvent.class);
    }
}
