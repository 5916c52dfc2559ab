package io.spendmonitor.producers.catalog;

import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.producers.jsonl.MissingTopicException;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the compacted price catalog topic from its beginning up to the end offsets it had when
 * reading started, with an assigned consumer (no group, nothing committed). The last value of a key
 * wins and a tombstone removes the key, as compaction would.
 */
public final class PriceCatalogReader {
    /** One catalog entry and its key ({@code subject|effective_from}, see PriceKeys). */
    public record Entry(String key, PriceEntry entry) {
    }

    /** The entries, in the order their keys were first seen, and what could not be decoded. */
    public record Snapshot(List<Entry> entries, List<String> undecodable) {
        public Snapshot {
            entries = List.copyOf(entries);
            undecodable = List.copyOf(undecodable);
        }
    }

    private PriceCatalogReader() {
    }

    /**
     * Reads {@code topic} with {@code consumer} (which this method assigns and seeks; the caller
     * closes it). Throws {@link MissingTopicException} when the topic does not exist and
     * {@link IllegalStateException} when the end is not reached within {@code timeout}.
     */
    public static Snapshot read(Consumer<String, PriceEntry> consumer, String topic, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new MissingTopicException(topic);
        }
        List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        Map<String, PriceEntry> latest = new LinkedHashMap<>();
        List<String> undecodable = new ArrayList<>();
        while (!reachedEnd(consumer, end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("did not reach the end of '" + topic + "' within " + timeout.toSeconds() + " s");
            }
            try {
                for (ConsumerRecord<String, PriceEntry> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue; // written after we started: not part of this snapshot
                    }
                    if (r.value() == null) {
                        latest.remove(r.key());
                    } else {
                        latest.put(r.key(), r.value());
                    }
                }
            } catch (RecordDeserializationException e) {
                if (e.getCause() instanceof AvroSerdeException serde && serde.isTransient()) {
                    // the registry, not the record: every other record would fail the same way
                    throw new IllegalStateException(serde.getMessage(), serde);
                }
                undecodable.add(e.topicPartition() + " offset " + e.offset() + ": " + e.getMessage());
                consumer.seek(e.topicPartition(), e.offset() + 1);
            }
        }
        List<Entry> entries = new ArrayList<>();
        latest.forEach((key, entry) -> entries.add(new Entry(key, entry)));
        return new Snapshot(entries, undecodable);
    }

    private static boolean reachedEnd(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
