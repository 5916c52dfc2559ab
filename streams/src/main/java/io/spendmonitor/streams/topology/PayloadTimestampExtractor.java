package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.EventValidator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time from the payload, never the wall clock. An absurd payload time (before the minimum or
 * far in the future) must not drag stream time along: such a record gets the partition's time
 * (or its produce time at the start) and the processor sends it to the dead-letter topic.
 */
public final class PayloadTimestampExtractor implements TimestampExtractor {
    private final EventValidator validator;

    public PayloadTimestampExtractor(EventValidator validator) {
        this.validator = validator;
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        Object value = record.value();
        Long payloadTime = null;
        if (value instanceof TokenUsage usage && usage.getTimestamp() != null) {
            payloadTime = usage.getTimestamp().toEpochMilli();
        } else if (value instanceof GpuUtilization sample && sample.getTimestamp() != null) {
            payloadTime = sample.getTimestamp().toEpochMilli();
        }
        if (payloadTime != null && !validator.absurd(payloadTime, System.currentTimeMillis())) {
            return payloadTime;
        }
        // a negative time would make Streams drop the record silently: keep it countable
        return partitionTime >= 0 ? partitionTime : Math.max(0, record.timestamp());
    }
}
