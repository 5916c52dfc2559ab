package io.spendmonitor.streams.notify;

import io.micrometer.core.instrument.MeterRegistry;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroSerdeException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers the alert transitions of {@code spend.alerts} to Slack, a webhook, PagerDuty and/or
 * the console, as {@link NotifierConfig} and its {@link AlertRoutes} say.
 *
 * <pre>{@code
 * AlertNotifier notifier = AlertNotifier.create(config.asMap(), meterRegistry); // spend.notify.* + Kafka + registry
 * notifier.start();   // its own thread; returns at once
 * ...
 * notifier.close();   // waits up to spend.notify.close-timeout for deliveries in flight
 * }</pre>
 *
 * <h2>Delivery guarantee: at least once; a repeat only after a crash, and then de-duplicated where the channel can</h2>
 * The notifier reads with its own consumer group ({@code <application.id>-notifier} by default),
 * committed records only ({@code read_committed}), without auto-commit. A partition's offset is
 * committed, synchronously, only up to the first transition that some channel of its route has
 * not finished with; finished means sent (2xx), refused for good (another 4xx: logged, counted as
 * failed, not retried) or given up after its retries (counted as failed). So no transition is lost
 * to a crash, a restart or a rebalance: the next notifier of the group reads it again. With the
 * offset, the commit records per channel how far that channel has finished beyond it (offset
 * metadata such as {@code delivered:slack=41}): when one channel is still retrying a transition
 * that the others already delivered, a restarted notifier, here or on another host, sends it only
 * to the channels that still lack it. That record is the "small record of delivered alert_ids per
 * channel" that survives restarts; it lives in Kafka with the offsets. A clean {@link #close()}
 * therefore notifies nothing twice: it waits (bounded) for deliveries in flight, then commits.
 * A transition can be notified twice only when the process dies (kill -9, power loss) after a
 * channel accepted it and before the next commit recorded that (the loop commits every 100 ms).
 * For that window each HTTP channel sends a key the receiver de-duplicates on: the webhook's
 * {@code Idempotency-Key} header is the alert_id; PagerDuty's {@code dedup_key} folds a repeated
 * trigger into the open incident and makes a repeated resolve a no-op. Slack incoming webhooks
 * take no such key: after such a crash a Slack message can appear twice. Within one process each
 * channel also remembers the alert_ids it delivered ({@code spend.notify.dedupe.size}, LRU) and
 * drops a transition it sees again (a replay), counted as {@code duplicate}, as are the sends a
 * restart skips.
 *
 * <h2>Retries and isolation</h2>
 * Each channel has its own worker thread, queue and retry state: a dead endpoint delays only its own
 * channel, and each of its transitions only until {@link RetryPolicy} gives up (20 attempts or 15
 * minutes by default); the other channels go on. Within a channel, transitions are delivered one
 * at a time in the order read, so a RESOLVED never overtakes its FIRING (one team's transitions
 * share a partition). While a transition is unfinished on some channel, its partition's committed
 * offset waits at it; at most {@code spend.notify.max-pending} transitions are held before reading
 * pauses.
 *
 * <p>Unreadable records (bytes that are not a SpendAlert) are skipped, logged and counted in
 * {@code spend_notifier_rejected_total{reason}}; a record that cannot be read because the schema
 * registry is down is retried, not skipped.
 */
public final class AlertNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertNotifier.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DECODE_RETRY = Duration.ofSeconds(2);
    private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);
    private static final Duration WORKER_STOP = Duration.ofSeconds(2);
    /** Offset metadata: how far each channel has finished beyond the committed offset. */
    static final String PROGRESS_PREFIX = "delivered:";

    /** A transition read from {@code offset} of its partition. */
    private record Consumed(long offset, PendingTransition transition) {
    }

    private final NotifierConfig config;
    private final String topic;
    private final Deserializer<SpendAlert> values;
    private final Consumer<byte[], byte[]> consumer;
    private final AlertDispatcher dispatcher;
    private final SchemaRegistryClient ownedRegistry;
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private volatile boolean stopRequested;

    // the notifier thread's own (rebalance callbacks run on it, inside poll)
    private final Map<TopicPartition, Deque<Consumed>> inFlight = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final Map<TopicPartition, String> committedProgress = new HashMap<>();
    /** Per partition, per channel: the offset up to which a previous notifier finished (from the commit metadata). */
    private final Map<TopicPartition, Map<String, Long>> resumed = new HashMap<>();
    private final Map<TopicPartition, Long> decodeRetryAtNanos = new HashMap<>();
    private boolean backpressure;

    /**
     * A notifier from one config map, as {@code spend-monitor run} has it: {@code spend.notify.*}
     * (see {@link NotifierConfig}), {@code bootstrap.servers} and the client security properties,
     * {@code schema.registry.url} (and its auth settings), {@code spend.topic.prefix},
     * {@code application.id}. Console lines go to {@code System.out}.
     *
     * @throws IllegalArgumentException when a setting is wrong or no channel is configured
     */
    public static AlertNotifier create(Map<String, ?> config, MeterRegistry meters) {
        return create(config, meters, System.out);
    }

    /** As {@link #create(Map, MeterRegistry)}, with the console channel printing to {@code console}. */
    public static AlertNotifier create(Map<String, ?> config, MeterRegistry meters, PrintStream console) {
        NotifierConfig notifierConfig = NotifierConfig.fromConfig(config);
        if (!notifierConfig.hasChannels()) {
            throw new IllegalArgumentException("no alert channel is configured: set " + NotifierConfig.SLACK_URL + ", "
                    + NotifierConfig.WEBHOOK_URL + ", " + NotifierConfig.PAGERDUTY_ROUTING_KEY + " or "
                    + NotifierConfig.CONSOLE + "=true");
        }
        SchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
        try {
            Topics topics = Topics.fromConfig(config, registry);
            return new AlertNotifier(notifierConfig, topics.alerts(), channels(notifierConfig, console), meters, registry);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    /**
     * A notifier reading {@code alerts} and delivering to {@code channels} (normally
     * {@link #channels(NotifierConfig, PrintStream)}); the routes in {@code config} may name only these.
     */
    public AlertNotifier(NotifierConfig config, TopicSpec<String, SpendAlert> alerts, List<AlertChannel> channels,
                         MeterRegistry meters) {
        this(config, alerts, channels, meters, null);
    }

    private AlertNotifier(NotifierConfig config, TopicSpec<String, SpendAlert> alerts, List<AlertChannel> channels,
                          MeterRegistry meters, SchemaRegistryClient ownedRegistry) {
        this.config = config;
        this.topic = alerts.name();
        this.values = alerts.valueSerde().deserializer();
        this.ownedRegistry = ownedRegistry;
        this.dispatcher = new AlertDispatcher(channels, config.routes(), config.retryPolicy(), config.dedupeSize(), meters);
        try {
            this.consumer = new KafkaConsumer<>(config.consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (RuntimeException e) {
            dispatcher.metrics().close();
            throw e;
        }
        this.thread = new Thread(this::run, "spend-notifier");
        this.thread.setDaemon(true);
    }

    /** The channels {@code config} turns on, in the order slack, webhook, pagerduty, console. */
    public static List<AlertChannel> channels(NotifierConfig config, PrintStream console) {
        List<AlertChannel> channels = new ArrayList<>();
        String dashboard = config.dashboardUrl().orElse(null);
        HttpSender http = config.slackUrl().isPresent() || config.webhookUrl().isPresent() || config.pagerDutyRoutingKey() != null
                ? new HttpSender(config.httpConnectTimeout(), config.httpRequestTimeout()) : null;
        config.slackUrl().ifPresent(url -> channels.add(new SlackChannel(url, dashboard, http)));
        config.webhookUrl().ifPresent(url -> channels.add(new WebhookChannel(url, config.webhookSecret(), http)));
        if (config.pagerDutyRoutingKey() != null) {
            channels.add(new PagerDutyChannel(config.pagerDutyUrl(), config.pagerDutyRoutingKey(), dashboard, http));
        }
        if (config.console()) {
            channels.add(new ConsoleChannel(console));
        }
        return channels;
    }

    /** Starts reading and delivering on the notifier's own thread; returns at once. */
    public void start() {
        if (closed.get()) {
            throw new IllegalStateException("the alert notifier is closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("the alert notifier is already started");
        }
        dispatcher.start();
        thread.start();
        log.info("alert notifier started on topic {}: {}", topic, config);
    }

    /** Whether the notifier thread is running (false before start, after close, or after a fatal error). */
    public boolean isRunning() {
        return thread.isAlive() && !stopRequested;
    }

    /** Transitions read but not yet delivered to all their channels (the {@code spend_notifications_pending} gauge). */
    public int pending() {
        return dispatcher.pending();
    }

    public NotifierConfig config() {
        return config;
    }

    /**
     * Stops reading, waits up to {@code spend.notify.close-timeout} for the transitions already read
     * (retries included), commits what was delivered and leaves the group. Transitions still
     * undelivered then stay uncommitted: the next notifier in the group delivers them. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopRequested = true;
        stopSignal.countDown();
        try {
            if (started.get()) {
                thread.join(config.closeTimeout().plus(KAFKA_TIMEOUT).plus(WORKER_STOP).plusSeconds(5).toMillis());
                if (thread.isAlive()) {
                    log.warn("alert notifier did not stop in time; interrupting it");
                    thread.interrupt();
                }
            } else {
                dispatcher.stop(Duration.ZERO);
                consumer.close(CloseOptions.timeout(Duration.ZERO));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            dispatcher.metrics().close();
            if (ownedRegistry != null) {
                ownedRegistry.close();
            }
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new Rebalance());
            while (!stopRequested) {
                try {
                    updatePauses();
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                    for (TopicPartition partition : records.partitions()) {
                        accept(partition, records.records(partition));
                    }
                    commitDelivered(consumer.assignment());
                } catch (InterruptException e) {
                    throw e;
                } catch (KafkaException e) {
                    log.warn("alert notifier: Kafka error on topic {}, retrying in {} ms: {}", topic, ERROR_BACKOFF.toMillis(), e.toString());
                    if (stopSignal.await(ERROR_BACKOFF.toMillis(), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                }
            }
        } catch (InterruptedException | InterruptException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("alert notifier stopped on an unexpected error; undelivered transitions stay uncommitted", e);
        } finally {
            shutDown();
        }
    }

    /** Queues the transitions read from one partition; skips unreadable records; stops at one the registry cannot serve yet. */
    private void accept(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            SpendAlert alert;
            try {
                alert = record.value() == null ? null : values.deserialize(record.topic(), record.headers(), record.value());
            } catch (RuntimeException e) {
                if (e instanceof AvroSerdeException serde && serde.isTransient()) {
                    log.warn("alert notifier: cannot read {} offset {} yet ({}); trying again in {} s", partition,
                            record.offset(), serde.getMessage(), DECODE_RETRY.toSeconds());
                    consumer.seek(partition, record.offset());
                    decodeRetryAtNanos.put(partition, System.nanoTime() + DECODE_RETRY.toNanos());
                    return;
                }
                String reason = e instanceof AvroSerdeException serde ? serde.reason() : "undecodable";
                dispatcher.metrics().rejected(reason);
                log.error("alert notifier: skipping unreadable record at {} offset {} ({}): {}", partition, record.offset(),
                        reason, e.getMessage());
                continue;
            }
            if (alert == null) {
                dispatcher.metrics().rejected("null-value");
                log.error("alert notifier: skipping record without a value at {} offset {}", partition, record.offset());
                continue;
            }
            List<String> targets = new ArrayList<>(dispatcher.route(alert));
            Map<String, Long> finishedBefore = resumed.get(partition);
            if (finishedBefore != null) {
                targets.removeIf(channel -> {
                    Long mark = finishedBefore.get(channel);
                    if (mark != null && mark >= record.offset()) {
                        dispatcher.metrics().count(channel, NotifierMetrics.Result.DUPLICATE);
                        log.info("{}: {} was delivered before the restart, not sending it again", channel, alert.getAlertId());
                        return true;
                    }
                    return false;
                });
            }
            PendingTransition transition = dispatcher.submit(alert, targets);
            if (!transition.isDone()) {
                inFlight.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(new Consumed(record.offset(), transition));
            }
        }
    }

    /**
     * Commits, synchronously, each partition up to its first transition not yet done (or its
     * position when nothing is in flight), with how far each channel got beyond that. Failures are
     * logged and retried on the next loop.
     */
    private void commitDelivered(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Deque<Consumed> queue = inFlight.get(partition);
            while (queue != null && !queue.isEmpty() && queue.peekFirst().transition().isDone()) {
                queue.pollFirst();
            }
            long next;
            if (queue == null || queue.isEmpty()) {
                try {
                    next = consumer.position(partition, KAFKA_TIMEOUT);
                } catch (KafkaException | IllegalStateException e) {
                    log.debug("alert notifier: no position for {} yet: {}", partition, e.toString());
                    continue;
                }
            } else {
                next = queue.peekFirst().offset();
            }
            String progress = progress(partition, queue, next);
            Long last = committed.get(partition);
            if (last == null || next > last || (next == last && !progress.equals(committedProgress.getOrDefault(partition, "")))) {
                offsets.put(partition, new OffsetAndMetadata(next, progress));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, KAFKA_TIMEOUT);
            offsets.forEach((partition, offset) -> {
                committed.put(partition, offset.offset());
                committedProgress.put(partition, offset.metadata());
            });
        } catch (RebalanceInProgressException | CommitFailedException e) {
            log.info("alert notifier: commit deferred by a rebalance: {}", e.getMessage());
        } catch (InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("alert notifier: commit failed, retrying: {}", e.toString());
        }
    }

    /**
     * {@code delivered:slack=41,webhook=39}: per channel, the last offset at or after {@code next} up
     * to which the channel has finished every transition of this partition routed to it. Channels
     * finish in order, so that is a prefix of the queue; "" when no channel is ahead.
     */
    private String progress(TopicPartition partition, Deque<Consumed> queue, long next) {
        Map<String, Long> marks = new TreeMap<>();
        Map<String, Long> before = resumed.get(partition);
        if (before != null) {
            before.forEach((channel, mark) -> {
                if (mark >= next) {
                    marks.put(channel, mark);
                }
            });
        }
        if (queue != null) {
            Set<String> blocked = new HashSet<>();
            for (Consumed consumed : queue) {
                for (String channel : consumed.transition().targets()) {
                    if (blocked.contains(channel)) {
                        continue;
                    }
                    if (consumed.transition().finishedOn(channel)) {
                        marks.merge(channel, consumed.offset(), Math::max);
                    } else {
                        blocked.add(channel);
                    }
                }
            }
        }
        if (marks.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(PROGRESS_PREFIX);
        marks.forEach((channel, mark) -> text.append(text.length() > PROGRESS_PREFIX.length() ? "," : "")
                .append(channel).append('=').append(mark));
        return text.toString();
    }

    /** The marks in offset metadata written by {@link #progress}; empty for anything else. */
    static Map<String, Long> parseProgress(String metadata) {
        Map<String, Long> marks = new TreeMap<>();
        if (metadata == null || !metadata.startsWith(PROGRESS_PREFIX)) {
            return marks;
        }
        for (String part : metadata.substring(PROGRESS_PREFIX.length()).split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                try {
                    marks.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    // not ours: ignore
                }
            }
        }
        return marks;
    }

    /** Pauses every partition while too many transitions are in flight, and those waiting for the registry. */
    private void updatePauses() {
        Set<TopicPartition> assigned = consumer.assignment();
        long now = System.nanoTime();
        decodeRetryAtNanos.entrySet().removeIf(e -> now - e.getValue() >= 0 || !assigned.contains(e.getKey()));
        boolean full = dispatcher.pending() >= config.maxPending();
        if (full != backpressure) {
            backpressure = full;
            if (full) {
                log.warn("alert notifier: {} transitions in flight, pausing reading until channels catch up", dispatcher.pending());
            } else {
                log.info("alert notifier: channels caught up, reading again");
            }
        }
        Set<TopicPartition> wanted = full ? assigned : decodeRetryAtNanos.keySet();
        Set<TopicPartition> paused = consumer.paused();
        Set<TopicPartition> toPause = new HashSet<>(wanted);
        toPause.removeAll(paused);
        Set<TopicPartition> toResume = new HashSet<>(paused);
        toResume.removeAll(wanted);
        toResume.retainAll(assigned);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
    }

    /** Waits until the transitions in flight on {@code partitions} are delivered, or the deadline. */
    private void drain(Collection<TopicPartition> partitions, long deadlineNanos) throws InterruptedException {
        List<PendingTransition> waiting = partitions.stream().map(inFlight::get).filter(Objects::nonNull)
                .flatMap(Deque::stream).map(Consumed::transition).toList();
        if (!waiting.isEmpty() && !dispatcher.awaitSettled(waiting, deadlineNanos)) {
            long left = waiting.stream().filter(t -> !t.isDone()).count();
            log.warn("alert notifier: {} transition(s) not delivered in time; they stay uncommitted and are delivered"
                    + " by the next notifier of group {}", left, config.groupId());
        }
    }

    /** Cancels what is in flight on {@code partitions}, keeping it in place so no commit passes it. */
    private void cancel(Collection<TopicPartition> partitions) {
        partitions.stream().map(inFlight::get).filter(Objects::nonNull).flatMap(Deque::stream)
                .forEach(c -> c.transition().cancel());
    }

    /** Drops every trace of {@code partitions} (no longer ours). */
    private void forget(Collection<TopicPartition> partitions) {
        cancel(partitions);
        partitions.forEach(p -> {
            inFlight.remove(p);
            committed.remove(p);
            committedProgress.remove(p);
            resumed.remove(p);
            decodeRetryAtNanos.remove(p);
        });
    }

    private void shutDown() {
        try {
            drain(new ArrayList<>(inFlight.keySet()), System.nanoTime() + config.closeTimeout().toNanos());
            dispatcher.stop(WORKER_STOP);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            cancel(new ArrayList<>(inFlight.keySet()));
            commitDelivered(consumer.assignment());
        } catch (RuntimeException e) {
            log.warn("alert notifier: final commit failed: {}", e.toString());
        }
        try {
            consumer.close(CloseOptions.timeout(KAFKA_TIMEOUT));
        } catch (RuntimeException e) {
            log.warn("alert notifier: closing the consumer failed: {}", e.toString());
        }
        log.info("alert notifier stopped (group {})", config.groupId());
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            if (!stopRequested) {
                try {
                    // let the next owner start where delivery ended, not redeliver
                    drain(partitions, System.nanoTime() + config.closeTimeout().toNanos());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Set<TopicPartition> owned = new HashSet<>(partitions);
            owned.retainAll(consumer.assignment());
            // transitions cancelled or undelivered stay in the queues, so this commits up to them only
            cancel(owned);
            commitDelivered(owned);
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            forget(partitions);
            Map<TopicPartition, OffsetAndMetadata> existing;
            try {
                existing = consumer.committed(new HashSet<>(partitions), KAFKA_TIMEOUT);
            } catch (KafkaException e) {
                // unknown: the first commit pins the position; sends finished beyond it may repeat
                log.warn("alert notifier: cannot read the committed offsets of {}: {}", partitions, e.toString());
                existing = Map.of();
            }
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata offset = existing.get(partition);
                if (offset == null) {
                    continue; // a new group: the first commit pins where reading starts
                }
                committed.put(partition, offset.offset());
                committedProgress.put(partition, offset.metadata() == null ? "" : offset.metadata());
                Map<String, Long> marks = parseProgress(offset.metadata());
                if (!marks.isEmpty()) {
                    resumed.put(partition, marks);
                    log.info("alert notifier: {} resumes at offset {}; channels already delivered up to {}", partition,
                            offset.offset(), marks);
                }
            }
            log.info("alert notifier: reading {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }
    }
}
