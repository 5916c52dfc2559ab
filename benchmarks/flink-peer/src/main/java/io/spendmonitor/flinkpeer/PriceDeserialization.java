package io.spendmonitor.flinkpeer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/** The catalog topic's records as {@link PriceUpdate}s (decoded where they are applied). */
final class PriceDeserialization implements KafkaRecordDeserializationSchema<PriceUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<PriceUpdate> out) {
        if (record.key() != null) {
            out.collect(new PriceUpdate(new String(record.key(), StandardCharsets.UTF_8), record.value()));
        }
    }

    @Override
    public TypeInformation<PriceUpdate> getProducedType() {
        return TypeInformation.of(PriceUpdate.class);
    }
}
