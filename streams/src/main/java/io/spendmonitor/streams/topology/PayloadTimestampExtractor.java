package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.EventValidator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time from the payload, never the wall clock. An absurd payload time (before the minimum, or
 * further ahead of the wall clock than {@code spend.timestamp.max-ahead}) must not drag stream time
 * along: such a record gets the partition's time (or 0 at the start: never its produce time) and
 * {@code admit} sends it to the dead-letter topic. So no client's clock moves stream time past the
 * wall clock plus the allowed skew.
 */
public final class PayloadTimestampExtractor implements TimestampExtractor {
    private final EventValidator validator;
    private final java.util.function.LongSupplier wallClock;

    public PayloadTimestampExtractor(EventValidator validator) {
        this(validator, System::currentTimeMillis);
    }

    /** @param wallClock the wall clock in epoch ms (tests drive it with the test driver's clock) */
    public PayloadTimestampExtractor(EventValidator validator, java.util.function.LongSupplier wallClock) {
        this.validator = validator;
        this.wallClock = wallClock;
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
        if (payloadTime != null && !validator.absurd(payloadTime, wallClock.getAsLong())) {
            return payloadTime;
        }
        // a negative time would make Streams drop the record silently: keep it countable. Not its
        // produce time either: a client with a fast clock stamps that ahead too. 0 moves nothing.
        return Math.max(0, partitionTime);
    }
}
