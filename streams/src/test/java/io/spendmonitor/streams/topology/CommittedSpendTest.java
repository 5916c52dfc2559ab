package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.LiveSpend;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the spend counters export: values staged on the stream thread become visible only when its
 * transaction commits; an abort, discarded work or a closed task takes them back (the counters
 * never show an amount a restore could undo). The cacheable total of repeated prompts follows the
 * same rule as the live spend.
 */
class CommittedSpendTest {
    private final CommittedSpend committed = new CommittedSpend();
    private final MockProducer<byte[], byte[]> mock = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private Producer<byte[], byte[]> producer;

    private static LiveSpend spend(long since) {
        return new LiveSpend(since, List.of(), List.of());
    }

    @BeforeEach
    void transactional() {
        producer = committed.transactional(mock, true);
        producer.initTransactions();
    }

    @Test
    void stagedValuesShowOnlyOnceTheTransactionCommits() {
        producer.beginTransaction();
        committed.stage("search", spend(1));
        committed.stageCacheable("search", BigInteger.valueOf(42));
        assertThat(committed.view()).isEmpty();
        assertThat(committed.cacheableView()).isEmpty();

        producer.commitTransaction();
        assertThat(committed.view()).containsEntry("search", spend(1));
        assertThat(committed.cacheableView()).containsEntry("search", BigInteger.valueOf(42));
    }

    @Test
    void anAbortDropsWhatWasStagedAndKeepsWhatWasCommitted() {
        producer.beginTransaction();
        committed.stageCacheable("search", BigInteger.valueOf(10));
        producer.commitTransaction();

        producer.beginTransaction();
        committed.stage("search", spend(2));
        committed.stageCacheable("search", BigInteger.valueOf(25));
        producer.abortTransaction();
        assertThat(committed.view()).isEmpty();
        assertThat(committed.cacheableView()).containsEntry("search", BigInteger.valueOf(10));

        // the next transaction starts clean: nothing of the aborted one comes back with it
        producer.beginTransaction();
        producer.commitTransaction();
        assertThat(committed.cacheableView()).containsEntry("search", BigInteger.valueOf(10));
    }

    @Test
    void aFailedCommitKeepsTheStagedValuesForItsRetry() {
        producer.beginTransaction();
        committed.stageCacheable("search", BigInteger.valueOf(7));
        mock.commitTransactionException = new KafkaException("timed out");
        assertThatThrownBy(producer::commitTransaction).isInstanceOf(KafkaException.class);
        assertThat(committed.cacheableView()).isEmpty();

        mock.commitTransactionException = null;
        producer.commitTransaction();
        assertThat(committed.cacheableView()).containsEntry("search", BigInteger.valueOf(7));
    }

    @Test
    void anAbortThatFailsStillDropsWhatWasStaged() {
        producer.beginTransaction();
        committed.stageCacheable("search", BigInteger.valueOf(9));
        mock.abortTransactionException = new KafkaException("broker gone");
        assertThatThrownBy(producer::abortTransaction).isInstanceOf(KafkaException.class).hasMessage("broker gone");

        // the mock's transaction is still open after the failed abort: a commit now publishes whatever is still staged
        mock.abortTransactionException = null;
        producer.commitTransaction();
        assertThat(committed.cacheableView()).isEmpty();
    }

    @Test
    void everyOtherCallReachesTheProducer() {
        producer.beginTransaction();
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("t", new byte[] {1}, new byte[] {2}));
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("t", new byte[] {3}, new byte[] {4}), (m, e) -> { });
        producer.flush();
        producer.commitTransaction();
        assertThat(mock.history()).extracting(r -> r.key()[0]).containsExactly((byte) 1, (byte) 3);
        assertThat(mock.transactionCommitted()).isTrue();
        producer.close();
        assertThat(mock.closed()).isTrue();
    }

    @Test
    void discardedWorkIsUnstagedAndAClosedTaskWithdrawsItsTeams() {
        producer.beginTransaction();
        committed.stageCacheable("search", BigInteger.valueOf(5));
        committed.stageCacheable("ml", BigInteger.valueOf(6));
        producer.commitTransaction();

        producer.beginTransaction();
        committed.stageCacheable("search", BigInteger.valueOf(9));
        committed.stageCacheable("ml", BigInteger.valueOf(8));
        committed.unstageCacheable(List.of("search")); // search's task threw its work away
        producer.commitTransaction();
        assertThat(committed.cacheableView()).containsEntry("search", BigInteger.valueOf(5)).containsEntry("ml", BigInteger.valueOf(8));

        committed.withdrawCacheable(List.of("ml")); // ml's task moved to another instance
        assertThat(committed.cacheableView()).containsOnlyKeys("search");
    }

    @Test
    void withoutATransactionAStagedValueIsPublishedAtOnce() {
        CommittedSpend atLeastOnce = new CommittedSpend();
        atLeastOnce.transactional(mock, false);
        atLeastOnce.stageCacheable("search", BigInteger.ONE);
        atLeastOnce.stage("search", spend(3));
        assertThat(atLeastOnce.cacheableView()).containsEntry("search", BigInteger.ONE);
        assertThat(atLeastOnce.view()).containsEntry("search", spend(3));
    }
}
