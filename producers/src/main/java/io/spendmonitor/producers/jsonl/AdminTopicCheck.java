package io.spendmonitor.producers.jsonl;

import io.spendmonitor.schemas.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@link TopicCheck} with the Kafka admin API. With {@code createMissing}, a missing topic is
 * created with its contract settings (compaction, retention): the price catalog with 1 partition
 * (every instance reads it whole, in order), the others with {@code partitions}; the replication
 * factor is the broker's default.
 */
public final class AdminTopicCheck implements TopicCheck {
    private final Admin admin;
    private final Duration timeout;
    private final boolean createMissing;
    private final int partitions;
    private final Consumer<String> notes;

    public AdminTopicCheck(Admin admin, Duration timeout, boolean createMissing, int partitions, Consumer<String> notes) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1");
        }
        this.admin = admin;
        this.timeout = timeout;
        this.createMissing = createMissing;
        this.partitions = partitions;
        this.notes = notes;
    }

    @Override
    public void ensureExists(Destination destination, TopicSpec<?, ?> topic) {
        if (exists(topic.name())) {
            return;
        }
        if (!createMissing) {
            throw new MissingTopicException(topic.name());
        }
        int count = destination == Destination.PRICE_CATALOG ? 1 : partitions;
        NewTopic newTopic = new NewTopic(topic.name(), Optional.of(count), Optional.empty()).configs(topic.configs());
        try {
            admin.createTopics(List.of(newTopic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            notes.accept("created topic " + topic.name() + " (" + count + (count == 1 ? " partition" : " partitions")
                    + (topic.compacted() ? ", compacted" : "") + ")");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic '" + topic.name() + "': " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within " + timeout.toSeconds() + " s while creating topic '"
                    + topic.name() + "'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic '" + topic.name() + "'", e);
        }
    }

    private IllegalStateException unreachable(Throwable cause) {
        return new IllegalStateException("cannot reach Kafka: no answer within " + timeout.toSeconds()
                + " s (is bootstrap.servers right, and the broker up?)", cause);
    }

    private boolean exists(String topic) {
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            if (e.getCause() instanceof TopicAuthorizationException) {
                // may write but not describe: let the producer find out
                return true;
            }
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(e.getCause());
            }
            throw new IllegalStateException("cannot look up topic '" + topic + "': " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while looking up topic '" + topic + "'", e);
        }
    }
}
