package io.spendmonitor.streams.topology;

import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Exception handlers that send the offending record's original bytes to the dead-letter topic
 * with the reason in a header, count it, and let processing go on. A schema registry outage is
 * not the data's fault: it stops the task (to be retried) instead of dead-lettering good events.
 */
public final class DeadLetterHandlers {
    /** Config key holding the {@link SpendListener} instance that counts rejections. */
    public static final String LISTENER_CONFIG = "spend.listener";
    /** Header with the exception message (truncated) on dead-letter records. */
    public static final String ERROR_HEADER = "spend.error";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    static String deadLetterTopic(Map<String, ?> configs) {
        Object prefix = configs.get(Topics.PREFIX_CONFIG);
        return (prefix == null ? "" : prefix.toString().trim()) + "spend.dead-letter";
    }

    static SpendListener listener(Map<String, ?> configs) {
        return configs.get(LISTENER_CONFIG) instanceof SpendListener l ? l : SpendListener.NONE;
    }

    static ProducerRecord<byte[], byte[]> deadLetter(String topic, byte[] key, byte[] value, Headers original,
                                                     String reason, String sourceTopic, Exception error) {
        RecordHeaders headers = new RecordHeaders(original == null ? new org.apache.kafka.common.header.Header[0] : original.toArray());
        headers.add(Topics.DEAD_LETTER_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(Topics.DEAD_LETTER_TOPIC_HEADER, (sourceTopic == null ? "" : sourceTopic).getBytes(StandardCharsets.UTF_8));
        String message = String.valueOf(error.getMessage());
        headers.add(ERROR_HEADER, (message.length() > 500 ? message.substring(0, 500) : message).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, null, key, value, headers);
    }

    static AvroSerdeException serdeCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AvroSerdeException serde) {
                return serde;
            }
        }
        return null;
    }

    /** Bytes that do not decode: not Avro, wrong magic byte, unknown schema id, another schema. */
    public static final class Deserialization implements DeserializationExceptionHandler {
        private String topic;
        private SpendListener listener = SpendListener.NONE;

        @Override
        public void configure(Map<String, ?> configs) {
            topic = deadLetterTopic(configs);
            listener = listener(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
            AvroSerdeException serde = serdeCause(exception);
            if (serde != null && serde.isTransient()) {
                log.error("schema registry failed ({}) while reading {}-{}@{}; stopping rather than dead-lettering good data: {}",
                        serde.reason(), record.topic(), record.partition(), record.offset(), serde.getMessage());
                return Response.fail();
            }
            String reason = serde != null ? serde.reason() : "undecodable";
            listener.rejected(reason, record.topic());
            log.debug("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason);
            return Response.resume(List.of(deadLetter(topic, record.key(), record.value(), record.headers(), reason,
                    record.topic(), exception)));
        }
    }

    /** An unexpected failure while processing one record: keep the record, go on with the next. */
    public static final class Processing implements ProcessingExceptionHandler {
        private String topic;
        private SpendListener listener = SpendListener.NONE;

        @Override
        public void configure(Map<String, ?> configs) {
            topic = deadLetterTopic(configs);
            listener = listener(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            log.warn("processing failed for {}-{}@{} in {}; dead-lettering the record", context.topic(), context.partition(),
                    context.offset(), context.processorNodeId(), exception);
            listener.rejected("processing-error", context.topic());
            byte[] key = context.sourceRawKey();
            byte[] value = context.sourceRawValue();
            if (value == null) {
                return Response.resume();
            }
            return Response.resume(List.of(deadLetter(topic, key, value, context.headers(), "processing-error",
                    context.topic(), exception)));
        }
    }
}
