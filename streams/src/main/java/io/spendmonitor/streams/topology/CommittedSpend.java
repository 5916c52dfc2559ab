package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.LiveSpend;
import org.apache.kafka.clients.producer.Producer;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live spend of this instance's teams as of the last <em>committed</em> transaction: what the
 * spend counters export. The evaluate node stages a team's {@link LiveSpend} when Kafka Streams
 * flushes the task for a commit; it is published only once the stream thread's transaction has
 * committed (the thread's producer tells, see {@link #transactional}). So a counter never shows an
 * amount that a crash could take back: after a SIGKILL, the stores are restored to the last commit,
 * which is at least what was shown; a takeover by another instance restores the same commit.
 *
 * <p>Without a transactional producer (at-least-once, or a TopologyTestDriver) a staged value is
 * published at once: there is no commit to wait for.
 */
public final class CommittedSpend {
    /** Published by team. */
    private final ConcurrentHashMap<String, LiveSpend> published = new ConcurrentHashMap<>();
    /** Staged by the stream thread since its last commit; an empty value withdraws the team. */
    private final ThreadLocal<Map<String, Optional<LiveSpend>>> staged = ThreadLocal.withInitial(HashMap::new);
    /** The cacheable cost of repeated prompts by team, femto-USD, summed over final windows: published like the spend. */
    private final ConcurrentHashMap<String, java.math.BigInteger> publishedCacheable = new ConcurrentHashMap<>();
    private final ThreadLocal<Map<String, java.math.BigInteger>> stagedCacheable = ThreadLocal.withInitial(HashMap::new);
    private volatile boolean awaitCommit;

    /** The published spend by team (a live view: read it, do not keep it). */
    public Map<String, LiveSpend> view() {
        return java.util.Collections.unmodifiableMap(published);
    }

    /** The published cacheable cost of repeated prompts by team, femto-USD (a live view). */
    public Map<String, java.math.BigInteger> cacheableView() {
        return java.util.Collections.unmodifiableMap(publishedCacheable);
    }

    /** Stages a team's cacheable total (the repeat-totals store's value) for the commit under way on this thread. */
    void stageCacheable(String team, java.math.BigInteger femto) {
        if (awaitCommit) {
            stagedCacheable.get().put(team, femto);
        } else {
            publishedCacheable.put(team, femto);
        }
    }

    /** A task's uncommitted work is thrown away: the cacheable totals it staged for these teams never happened. */
    void unstageCacheable(Collection<String> teams) {
        teams.forEach(stagedCacheable.get()::remove);
    }

    /** The task that owns these teams closed: their cacheable totals are no longer exported from here. */
    void withdrawCacheable(Collection<String> teams) {
        Map<String, java.math.BigInteger> mine = stagedCacheable.get();
        for (String team : teams) {
            publishedCacheable.remove(team);
            mine.remove(team);
        }
    }

    /** Publishes a cacheable total restored from the changelog: it is committed already. */
    void publishRestoredCacheable(String team, java.math.BigInteger femto) {
        publishedCacheable.put(team, femto);
    }

    /** Stages a team's spend for the commit under way on this thread. */
    void stage(String team, LiveSpend spend) {
        if (awaitCommit) {
            staged.get().put(team, Optional.of(spend));
        } else {
            published.put(team, spend);
        }
    }

    /** Stages the removal of an evicted team. */
    void stageWithdrawal(String team) {
        if (awaitCommit) {
            staged.get().put(team, Optional.empty());
        } else {
            published.remove(team);
        }
    }

    /** Publishes what the stores hold after a restore: it is committed already. */
    void publishRestored(String team, LiveSpend spend) {
        published.put(team, spend);
    }

    /** The task that owns these teams is closed or its work thrown away: no longer exported from here. */
    void withdraw(Collection<String> teams) {
        Map<String, Optional<LiveSpend>> mine = staged.get();
        Map<String, java.math.BigInteger> cacheable = stagedCacheable.get();
        for (String team : teams) {
            published.remove(team);
            mine.remove(team);
            publishedCacheable.remove(team);
            cacheable.remove(team);
        }
    }

    /** A task's uncommitted work is thrown away: what it staged for these teams never happened. */
    void unstage(Collection<String> teams) {
        Map<String, Optional<LiveSpend>> mine = staged.get();
        teams.forEach(mine::remove);
        teams.forEach(stagedCacheable.get()::remove);
    }

    /** The thread's transaction committed: what it staged is now what a restore would give. */
    void committed() {
        Map<String, Optional<LiveSpend>> mine = staged.get();
        mine.forEach((team, spend) -> {
            if (spend.isPresent()) {
                published.put(team, spend.get());
            } else {
                published.remove(team);
            }
        });
        mine.clear();
        publishedCacheable.putAll(stagedCacheable.get());
        stagedCacheable.get().clear();
    }

    /** The thread's transaction was aborted (or its commit failed): what it staged never happened. */
    void aborted() {
        staged.get().clear();
        stagedCacheable.get().clear();
    }

    /**
     * Wraps a stream thread's producer: when it is transactional, staged values wait for its
     * {@code commitTransaction} to return. Kafka Streams (exactly-once v2) commits on the stream
     * thread that flushed the tasks, which is how the thread-local staging finds its commit.
     */
    public Producer<byte[], byte[]> transactional(Producer<byte[], byte[]> producer, boolean hasTransactionalId) {
        if (!hasTransactionalId) {
            return producer;
        }
        awaitCommit = true;
        return new CommitAwareProducer(producer);
    }

    /**
     * The stream thread's producer, telling this class when a transaction committed or aborted. A plain
     * delegate: it was a reflective proxy, and every record the thread sends (changelogs, sinks) paid
     * for a reflective call (2.4% of the stream thread).
     */
    private final class CommitAwareProducer implements Producer<byte[], byte[]> {
        private final Producer<byte[], byte[]> producer;

        CommitAwareProducer(Producer<byte[], byte[]> producer) {
            this.producer = producer;
        }

        @Override
        public void commitTransaction() {
            // a failed commit's outcome is decided later: a retry that commits publishes what was
            // staged; an abort, or the tasks closed dirty or their work discarded, drops it
            producer.commitTransaction();
            committed();
        }

        @Override
        public void abortTransaction() {
            try {
                producer.abortTransaction();
            } finally {
                aborted(); // also when the abort itself fails: nothing staged was committed
            }
        }

        @Override
        public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record) {
            return producer.send(record);
        }

        @Override
        public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record, org.apache.kafka.clients.producer.Callback callback) {
            return producer.send(record, callback);
        }

        @Override
        public void initTransactions() {
            producer.initTransactions();
        }

        @Override
        public void beginTransaction() {
            producer.beginTransaction();
        }

        @Override
        public void sendOffsetsToTransaction(Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
                                             org.apache.kafka.clients.consumer.ConsumerGroupMetadata groupMetadata) {
            producer.sendOffsetsToTransaction(offsets, groupMetadata);
        }

        @Override
        public void registerMetricForSubscription(org.apache.kafka.common.metrics.KafkaMetric metric) {
            producer.registerMetricForSubscription(metric);
        }

        @Override
        public void unregisterMetricFromSubscription(org.apache.kafka.common.metrics.KafkaMetric metric) {
            producer.unregisterMetricFromSubscription(metric);
        }

        @Override
        public void flush() {
            producer.flush();
        }

        @Override
        public java.util.List<org.apache.kafka.common.PartitionInfo> partitionsFor(String topic) {
            return producer.partitionsFor(topic);
        }

        @Override
        public Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> metrics() {
            return producer.metrics();
        }

        @Override
        public org.apache.kafka.common.Uuid clientInstanceId(java.time.Duration timeout) {
            return producer.clientInstanceId(timeout);
        }

        @Override
        public void close() {
            producer.close();
        }

        @Override
        public void close(java.time.Duration timeout) {
            producer.close(timeout);
        }
    }
}
