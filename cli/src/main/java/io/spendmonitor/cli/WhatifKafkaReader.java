package io.spendmonitor.cli;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the history {@code whatif} replays from Kafka, one live task at a time: partition p of
 * llm.token-usage together with partition p of gpu.utilization (the two topics are co-partitioned,
 * and the live app reads them in one task). Each partition is read from the first record produced at
 * or after {@code from - margin} (offsets for times: the margin covers out-of-order events and lets
 * the replay learn the open windows' ids and the task's clock before {@code from}) up to its end
 * offset as of the start (read_committed is the caller's consumer setting). The two partitions are
 * merged as Kafka Streams does: the head with the smaller event time first. Records are handed over
 * with their produce time, the wall clock the live app saw them at. At most {@link #MAX_BUFFERED}
 * records of a partition wait in memory: a partition that gets ahead is paused.
 */
final class WhatifKafkaReader {
    static final int MAX_BUFFERED = 20_000;

    /** Receives the records of a task in order, then the end of the task. */
    interface Sink {
        void record(int task, SpecificRecord value, long wallMs);

        void endTask(int task);
    }

    private final Consumer<String, SpecificRecord> consumer;
    private final String tokenTopic;
    private final String gpuTopic;
    private final Duration timeout;
    private long undecodable;
    private long read;

    WhatifKafkaReader(Consumer<String, SpecificRecord> consumer, String tokenTopic, String gpuTopic, Duration timeout) {
        this.consumer = consumer;
        this.tokenTopic = tokenTopic;
        this.gpuTopic = gpuTopic;
        this.timeout = timeout;
    }

    /** Partitions of the token-usage topic (the task count); fails when the topic is missing. */
    int tasks() {
        List<PartitionInfo> infos = consumer.partitionsFor(tokenTopic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new CliException("topic '" + tokenTopic + "' does not exist");
        }
        return infos.size();
    }

    long undecodable() {
        return undecodable;
    }

    long read() {
        return read;
    }

    void readTask(int task, Instant startAt, Sink sink) {
        List<TopicPartition> partitions = new ArrayList<>();
        TopicPartition token = new TopicPartition(tokenTopic, task);
        partitions.add(token);
        List<PartitionInfo> gpuInfos = consumer.partitionsFor(gpuTopic, timeout);
        TopicPartition gpu = gpuInfos != null && gpuInfos.stream().anyMatch(p -> p.partition() == task)
                ? new TopicPartition(gpuTopic, task) : null;
        if (gpu != null) {
            partitions.add(gpu);
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        Map<TopicPartition, Long> query = new java.util.HashMap<>();
        partitions.forEach(tp -> query.put(tp, startAt.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query, timeout);
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = start.get(tp);
            consumer.seek(tp, o == null ? end.get(tp) : o.offset());
        }
        ArrayDeque<ConsumerRecord<String, SpecificRecord>> tokens = new ArrayDeque<>();
        ArrayDeque<ConsumerRecord<String, SpecificRecord>> samples = new ArrayDeque<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean tokenFetched = consumer.position(token) >= end.get(token);
            boolean gpuFetched = gpu == null || consumer.position(gpu) >= end.get(gpu);
            // hand over what can be ordered: while both have a head, or the other partition has no more
            while ((!tokens.isEmpty() && (!samples.isEmpty() || gpuFetched)) || (!samples.isEmpty() && tokenFetched)) {
                ArrayDeque<ConsumerRecord<String, SpecificRecord>> next;
                if (tokens.isEmpty()) {
                    next = samples;
                } else if (samples.isEmpty()) {
                    next = tokens;
                } else {
                    next = eventTime(samples.peekFirst()) < eventTime(tokens.peekFirst()) ? samples : tokens;
                }
                ConsumerRecord<String, SpecificRecord> r = next.pollFirst();
                sink.record(task, r.value(), r.timestamp());
                deadline = System.nanoTime() + timeout.toNanos();
            }
            if (tokenFetched && gpuFetched && tokens.isEmpty() && samples.isEmpty()) {
                break;
            }
            pauseFull(token, tokens);
            if (gpu != null) {
                pauseFull(gpu, samples);
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("no progress reading partition " + task + " of " + tokenTopic + " / " + gpuTopic
                        + " within " + timeout.toSeconds() + " s");
            }
            poll(end, tokens, samples);
        }
        sink.endTask(task);
        consumer.assign(List.of());
    }

    private void pauseFull(TopicPartition tp, ArrayDeque<?> buffered) {
        if (buffered.size() >= MAX_BUFFERED) {
            consumer.pause(List.of(tp));
        } else if (consumer.paused().contains(tp)) {
            consumer.resume(List.of(tp));
        }
    }

    private void poll(Map<TopicPartition, Long> end, ArrayDeque<ConsumerRecord<String, SpecificRecord>> tokens,
                      ArrayDeque<ConsumerRecord<String, SpecificRecord>> samples) {
        try {
            for (ConsumerRecord<String, SpecificRecord> r : consumer.poll(Duration.ofMillis(200))) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() >= end.get(tp)) {
                    continue; // produced after the replay started
                }
                read++;
                if (r.value() == null) {
                    continue;
                }
                (r.topic().equals(tokenTopic) ? tokens : samples).addLast(r);
            }
        } catch (RecordDeserializationException e) {
            if (e.getCause() instanceof AvroSerdeException serde && serde.isTransient()) {
                throw new CliException("schema registry: " + serde.getMessage());
            }
            // the live app dead-letters such a record: it counts nowhere
            undecodable++;
            consumer.seek(e.topicPartition(), e.offset() + 1);
        }
    }

    /** The payload time the live app orders by; a record without one goes first (it moves nothing). */
    private static long eventTime(ConsumerRecord<String, SpecificRecord> r) {
        if (r.value() instanceof TokenUsage u && u.getTimestamp() != null) {
            return u.getTimestamp().toEpochMilli();
        }
        if (r.value() instanceof GpuUtilization g && g.getTimestamp() != null) {
            return g.getTimestamp().toEpochMilli();
        }
        return Long.MIN_VALUE;
    }
}
