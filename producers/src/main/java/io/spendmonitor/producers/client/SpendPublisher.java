package io.spendmonitor.producers.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.rules.RejectReason;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Publishes spend-monitor events from a service: {@link TokenUsage} (one per LLM call) and
 * {@link GpuUtilization}, keyed by team, in Avro through the Schema Registry.
 *
 * <p>It never holds its caller up for longer than {@link Builder#maxBlock} (50 ms by default):
 * the Kafka producer runs with {@code max.block.ms} set to it, and an event that cannot be handed
 * over in that time (buffer full, brokers unreachable) is dropped, counted and logged at most once
 * per 30 s, or, with {@link OverflowPolicy#THROW}, thrown as {@link EventDroppedException}.
 * Until the schema is registered and the topic's partitions are known, events wait in a bounded
 * queue ({@link Builder#maxPendingEvents}) that a background thread sends from, so a service's
 * first calls are neither lost nor slowed by that warm-up.
 *
 * <p>Delivery is idempotent ({@code acks=all}, {@code enable.idempotence=true}), lz4-compressed,
 * batched for a few milliseconds ({@link Builder#linger}). {@code publish} returns a stage that
 * completes with the record's metadata once Kafka has it, or exceptionally; its dependent actions
 * run on the producer's I/O thread, so do not block in them (use the {@code *Async} variants).
 *
 * <p>Invalid events are the caller's bug and throw {@link IllegalArgumentException} at once.
 * Metrics (Micrometer): {@code spend_publisher_events_total{type,result=sent|failed|dropped}},
 * {@code spend_publisher_dropped_total{type,reason}}, {@code spend_publisher_pending{type}}.
 * Thread-safe; share one per process, and {@link #close()} it on shutdown to flush.
 */
public final class SpendPublisher implements AutoCloseable {
    public static final String EVENTS_METER = "spend.publisher.events";
    public static final String DROPPED_METER = "spend.publisher.dropped";
    public static final String PENDING_METER = "spend.publisher.pending";
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofMillis(50);
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_PENDING_EVENTS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(SpendPublisher.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final Duration LOG_PERIOD = Duration.ofSeconds(30);
    private static final long RETRY_MAX_MS = 5_000;
    /** Readiness attempts (about 1.5 s of backoff) that fail silently before a warning is logged. */
    private static final int QUIET_ATTEMPTS = 4;
    /** Keys of our registry / serde / topic settings: they configure the publisher, not the Kafka producer. */
    private static final List<String> NON_PRODUCER_PREFIXES = List.of("schema.registry.", "basic.auth.", "bearer.auth.", "spend.", "specific.avro.");
    private static final Set<String> NON_PRODUCER_KEYS = Set.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS,
            AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY, AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

    private final Producer<String, byte[]> producer;
    private final SchemaRegistryClient registry;
    private final boolean ownsRegistry;
    private final Topics topics;
    private final Duration closeTimeout;
    private final OverflowPolicy overflowPolicy;
    private final int maxPendingEvents;
    private final boolean awaitTopicMetadata;
    private final Clock clock;
    private final MeterRegistry meters;
    private final ScheduledThreadPoolExecutor background;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ThrottledLog dropLog = new ThrottledLog(log, LOG_PERIOD, System::nanoTime);
    private final ThrottledLog failLog = new ThrottledLog(log, LOG_PERIOD, System::nanoTime);
    private final ThrottledLog readinessLog = new ThrottledLog(log, LOG_PERIOD, System::nanoTime);
    private final Channel<TokenUsage> tokenUsage;
    private final Channel<GpuUtilization> gpuUtilization;
    private final PromptHash promptHash;

    private SpendPublisher(Builder b, Map<String, Object> config, Topics topics, Producer<String, byte[]> producer,
                           SchemaRegistryClient registry, boolean ownsRegistry) {
        this.producer = producer;
        this.registry = registry;
        this.ownsRegistry = ownsRegistry;
        this.topics = topics;
        this.closeTimeout = b.closeTimeout;
        this.overflowPolicy = b.overflowPolicy;
        this.maxPendingEvents = b.maxPendingEvents;
        this.awaitTopicMetadata = b.awaitTopicMetadata;
        this.clock = b.clock;
        this.promptHash = b.promptHash;
        this.meters = b.meterRegistry == null ? new SimpleMeterRegistry() : b.meterRegistry;
        String name = String.valueOf(config.getOrDefault(ProducerConfig.CLIENT_ID_CONFIG, "spend-publisher"));
        this.background = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-ready");
            t.setDaemon(true);
            return t;
        });
        background.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        AvroSerdeConfig serdeConfig = AvroSerdeConfig.fromConfig(config);
        this.tokenUsage = new Channel<>("token_usage", topics.tokenUsage(), TokenUsage.getClassSchema(), serdeConfig);
        this.gpuUtilization = new Channel<>("gpu_utilization", topics.gpuUtilization(), GpuUtilization.getClassSchema(), serdeConfig);
    }

    /**
     * The hasher for {@code prompt_hash} (keyed when the builder was given {@link Builder#promptHashSecret}):
     * {@code event.setPromptHash(publisher.promptHash().of(model, messages))}. Computed here, in the service.
     */
    public PromptHash promptHash() {
        return promptHash;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A TokenUsage builder with event_id left for the publisher to generate and timestamp now; set
     * team, application, provider, model and the token counts.
     */
    public static TokenUsage.Builder tokenUsageBuilder() {
        return TokenUsage.newBuilder().setEventId("").setTimestamp(Clock.systemUTC().instant());
    }

    /** Publishes one LLM call's usage, keyed by its team. */
    public CompletionStage<RecordMetadata> publish(TokenUsage event) {
        TokenUsage prepared = EventValidation.prepare(event, clock);
        return tokenUsage.submit(prepared.getTeam(), prepared);
    }

    /** Publishes one GPU sample, keyed by its team. */
    public CompletionStage<RecordMetadata> publish(GpuUtilization event) {
        GpuUtilization prepared = EventValidation.prepare(event, clock);
        return gpuUtilization.submit(prepared.getTeam(), prepared);
    }

    /**
     * Publishes one call from the provider's own usage object (or whole response), normalised by
     * {@link UsageNormalizer}: event_id random, timestamp now.
     *
     * @throws IllegalArgumentException when a name is empty or the usage is not of the provider's shape
     */
    public CompletionStage<RecordMetadata> publishUsage(String team, String application, String provider, String model,
                                                        JsonNode usage) {
        return publishUsage(team, application, provider, model, usage, builder -> {
        });
    }

    /**
     * As {@link #publishUsage(String, String, String, String, JsonNode)}, letting {@code customizer} set
     * more fields (latency_ms, deployment, attributes, reported_cost_usd, ...) before it is published.
     */
    public CompletionStage<RecordMetadata> publishUsage(String team, String application, String provider, String model,
                                                        JsonNode usage, Consumer<TokenUsage.Builder> customizer) {
        requireName(team, "team");
        requireName(application, "application");
        requireName(provider, "provider");
        requireName(model, "model");
        NormalizedUsage tokens = UsageNormalizer.normalize(provider, usage);
        TokenUsage.Builder builder = TokenUsage.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setTimestamp(clock.instant())
                .setTeam(team)
                .setApplication(application)
                .setProvider(provider)
                .setModel(model);
        tokens.applyTo(builder);
        customizer.accept(builder);
        return publish(builder.build());
    }

    /**
     * Hands over what waits in the queue (once the publisher is ready) and blocks until every event
     * handed to Kafka so far is acknowledged or failed. For shutdown, {@link #close()} is enough.
     */
    public void flush() {
        tokenUsage.drainIfReady();
        gpuUtilization.drainIfReady();
        producer.flush();
    }

    /** The topics this publisher writes to. */
    public Topics topics() {
        return topics;
    }

    /** Where the publisher's counters live (a private {@link SimpleMeterRegistry} when none was given). */
    public MeterRegistry meterRegistry() {
        return meters;
    }

    /**
     * Sends what is queued and flushes, waiting at most {@link Builder#closeTimeout} in all; events that
     * could not be handed over by then are dropped ({@link DropReason#CLOSED}). Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        try {
            for (Channel<?> channel : List.of(tokenUsage, gpuUtilization)) {
                channel.awaitReady(deadline);
                channel.drainIfReady();
            }
            background.shutdown();
            background.awaitTermination(remainingNanos(deadline), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            background.shutdownNow();
            tokenUsage.dropAllPending();
            gpuUtilization.dropAllPending();
            try {
                producer.close(Duration.ofNanos(remainingNanos(deadline)));
            } finally {
                if (ownsRegistry) {
                    registry.close();
                }
            }
        }
    }

    private static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Before the builder, which refuses nulls with a less helpful message; worded as the EventRules check that follows. */
    private static void requireName(String value, String field) {
        if (value == null || value.isBlank()) {
            RejectReason reason = field.equals("team") ? RejectReason.MISSING_TEAM : RejectReason.MISSING_FIELD;
            throw new IllegalArgumentException("token_usage: " + field + " is empty [" + reason.wire() + "]");
        }
    }

    /** One event type: its topic, serializer, readiness, queue and counters. */
    private final class Channel<T extends SpecificRecord> {
        private final String type;
        private final String topic;
        private final Serializer<T> serializer;
        private final Schema schema;
        private final String subject;
        private final boolean autoRegister;
        private final AtomicBoolean started = new AtomicBoolean();
        private final CountDownLatch readyLatch = new CountDownLatch(1);
        private final Queue<Pending<T>> pending = new ConcurrentLinkedQueue<>();
        private final AtomicInteger pendingCount = new AtomicInteger();
        private final Counter sent;
        private final Counter failed;
        private final Counter dropped;
        private final Map<DropReason, Counter> droppedByReason = new EnumMap<>(DropReason.class);
        private volatile boolean ready;
        private volatile boolean swept;
        /** Set when Kafka or the registry refused our credentials or certificate: every event fails with it. */
        private volatile RuntimeException refusedBy;
        private boolean schemaKnown;
        private int attempts;

        Channel(String type, TopicSpec<String, T> spec, Schema schema, AvroSerdeConfig serdeConfig) {
            this.type = type;
            this.topic = spec.name();
            this.serializer = spec.valueSerde().serializer();
            this.schema = schema;
            this.subject = serdeConfig.strategy(false).subject(topic, false, schema);
            this.autoRegister = serdeConfig.autoRegisterSchemas();
            this.sent = counter(EVENTS_METER, "result", "sent", "Events the brokers acknowledged");
            this.failed = counter(EVENTS_METER, "result", "failed", "Events handed to Kafka whose delivery failed");
            this.dropped = counter(EVENTS_METER, "result", "dropped", "Events dropped rather than block the caller");
            for (DropReason reason : DropReason.values()) {
                droppedByReason.put(reason, counter(DROPPED_METER, "reason", reason.tag(), "Dropped events by reason"));
            }
            Gauge.builder(PENDING_METER, pendingCount, AtomicInteger::get).tag("type", type)
                    .description("Events waiting for the schema and topic metadata").register(meters);
        }

        private Counter counter(String name, String tag, String value, String description) {
            return Counter.builder(name).tag("type", type).tag(tag, value).description(description).register(meters);
        }

        CompletionStage<RecordMetadata> submit(String key, T value) {
            CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
            if (closed.get()) {
                drop(result, DropReason.CLOSED, "the publisher is closed", true);
                return result;
            }
            if (refusedBy != null) {
                failed.increment();
                result.completeExceptionally(refusedBy);
                return result;
            }
            if (ready) {
                send(key, value, result, true);
                return result;
            }
            if (started.compareAndSet(false, true)) {
                schedule(0);
            }
            if (pendingCount.incrementAndGet() > maxPendingEvents) {
                pendingCount.decrementAndGet();
                drop(result, DropReason.NOT_READY, maxPendingEvents + " events already wait for schema '" + subject
                        + "' to be registered and the partitions of '" + topic + "' to be known", true);
                return result;
            }
            // a queued event is sent later: copy it, the caller may reuse its object
            pending.add(new Pending<>(key, SpecificData.getForClass(value.getClass()).deepCopy(schema, value), result));
            if (swept) {
                dropAllPending();
            } else if (refusedBy != null) {
                refuse(refusedBy); // refused while this one was queued
            } else if (ready) {
                wake();
            }
            return result;
        }

        private void schedule(long delayMs) {
            try {
                background.schedule(this::prepare, delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shuttingDown) {
                // close() drops what is still queued
            }
        }

        private void wake() {
            try {
                background.execute(this::drainIfReady);
            } catch (RejectedExecutionException shuttingDown) {
                // close() drains or drops what is still queued
            }
        }

        /** On the background thread: registers the schema and fetches the topic's partitions, retrying with backoff. */
        private void prepare() {
            try {
                if (!schemaKnown) {
                    if (autoRegister) {
                        registry.register(subject, schema);
                    } else {
                        registry.lookup(subject, schema);
                    }
                    schemaKnown = true;
                }
                if (awaitTopicMetadata) {
                    // blocks at most max.block.ms; the metadata fetch it starts goes on in the producer
                    List<PartitionInfo> partitions = producer.partitionsFor(topic);
                    if (partitions == null || partitions.isEmpty()) {
                        throw new IllegalStateException("topic '" + topic + "' has no partitions");
                    }
                }
                ready = true;
                readyLatch.countDown();
                log.debug("publishing {} events to '{}'", type, topic);
                drainIfReady();
            } catch (RuntimeException e) {
                if (isRefusal(e)) {
                    refuse(e);
                    return;
                }
                attempts++;
                long delayMs = Math.min(RETRY_MAX_MS, 50L << Math.min(attempts, 7));
                if (attempts <= QUIET_ATTEMPTS) {
                    // the first metadata fetch of a fresh producer often takes longer than max.block.ms
                    log.debug("{} events to '{}' not ready yet (attempt {}): {}", type, topic, attempts, e.toString());
                } else {
                    readinessLog.warn("cannot publish {} events to '{}' yet ({} waiting), retrying: {}",
                            type, topic, pendingCount.get(), e.toString());
                }
                if (!background.isShutdown()) {
                    schedule(delayMs);
                }
            }
        }

        /**
         * Wrong credentials or an untrusted certificate do not heal by waiting: the waiting events and every
         * later one fail with the cause (whose message names it), instead of waiting until close.
         */
        private void refuse(RuntimeException e) {
            refusedBy = e;
            log.error("cannot publish {} events to '{}': {}", type, topic, e.getMessage());
            Pending<T> next;
            while ((next = pending.poll()) != null) {
                pendingCount.decrementAndGet();
                failed.increment();
                next.result.completeExceptionally(e);
            }
            readyLatch.countDown();
        }

        void drainIfReady() {
            if (!ready) {
                return;
            }
            Pending<T> next;
            while ((next = pending.poll()) != null) {
                pendingCount.decrementAndGet();
                send(next.key, next.value, next.result, false);
            }
        }

        void awaitReady(long deadline) throws InterruptedException {
            if (!ready && pendingCount.get() > 0) {
                readyLatch.await(remainingNanos(deadline), TimeUnit.NANOSECONDS);
            }
        }

        void dropAllPending() {
            swept = true;
            Pending<T> next;
            while ((next = pending.poll()) != null) {
                pendingCount.decrementAndGet();
                drop(next.result, DropReason.CLOSED, "the publisher closed before the schema and the topic were ready", false);
            }
        }

        /** Serializes (the schema id is cached by now) and hands the record to the producer. */
        private void send(String key, T value, CompletableFuture<RecordMetadata> result, boolean onCallerThread) {
            byte[] bytes;
            try {
                bytes = serializer.serialize(topic, value);
            } catch (RuntimeException e) {
                fail(result, e);
                if (onCallerThread) {
                    throw new IllegalArgumentException("cannot encode " + type + " event: " + e.getMessage(), e);
                }
                return;
            }
            SendCallback callback = new SendCallback(result);
            Exception rejected;
            try {
                producer.send(new ProducerRecord<>(topic, key, bytes), callback);
                rejected = callback.markReturned();
            } catch (RuntimeException e) {
                callback.markReturned();
                rejected = e;
            }
            if (rejected != null) {
                reject(result, rejected, onCallerThread);
            }
        }

        /** The producer refused the record without sending it: a drop when it is about waiting too long. */
        private void reject(CompletableFuture<RecordMetadata> result, Exception e, boolean onCallerThread) {
            DropReason reason;
            if (e instanceof BufferExhaustedException) {
                reason = DropReason.BUFFER_FULL;
            } else if (e instanceof TimeoutException) {
                reason = DropReason.METADATA_TIMEOUT;
            } else if (e instanceof IllegalStateException) {
                reason = DropReason.CLOSED;
            } else {
                fail(result, e);
                return;
            }
            drop(result, reason, e.getMessage(), onCallerThread);
        }

        private void drop(CompletableFuture<RecordMetadata> result, DropReason reason, String detail, boolean onCallerThread) {
            dropped.increment();
            droppedByReason.get(reason).increment();
            dropLog.warn("dropped a {} event ({}): {}", type, reason.tag(), detail);
            EventDroppedException e = new EventDroppedException(reason, "dropped " + type + " event (" + reason.tag() + "): " + detail);
            result.completeExceptionally(e);
            if (onCallerThread && overflowPolicy == OverflowPolicy.THROW) {
                throw e;
            }
        }

        private void fail(CompletableFuture<RecordMetadata> result, Exception e) {
            failed.increment();
            failLog.warn("could not publish a {} event to '{}': {}", type, topic, e.toString());
            result.completeExceptionally(e);
        }

        /**
         * Completes the stage. A failure reported on the calling thread before {@code send} returned is
         * the producer refusing the record (buffer full, no metadata within max.block.ms): kept for the
         * caller to classify, not counted as a delivery failure.
         */
        private final class SendCallback implements Callback {
            private final Thread caller = Thread.currentThread();
            private final CompletableFuture<RecordMetadata> result;
            private volatile boolean returned;
            private Exception refused;

            SendCallback(CompletableFuture<RecordMetadata> result) {
                this.result = result;
            }

            @Override
            public void onCompletion(RecordMetadata metadata, Exception exception) {
                if (exception == null) {
                    sent.increment();
                    result.complete(metadata);
                } else if (!returned && Thread.currentThread() == caller) {
                    refused = exception;
                } else {
                    fail(result, exception);
                }
            }

            Exception markReturned() {
                returned = true;
                return refused;
            }
        }
    }

    private record Pending<T>(String key, T value, CompletableFuture<RecordMetadata> result) {
    }

    /**
     * Settings of a {@link SpendPublisher}. {@link #properties} takes any Kafka producer property
     * (TLS, SASL, ...) and the registry's ({@code schema.registry.*}, {@code basic.auth.*}); the named
     * setters win over it. The delivery guarantees (acks, idempotence, compression) are not negotiable.
     */
    public static final class Builder {
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private String topicPrefix;
        private String clientId;
        private Duration maxBlock = DEFAULT_MAX_BLOCK;
        private Duration linger = DEFAULT_LINGER;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Long bufferBytes;
        private int maxPendingEvents = DEFAULT_MAX_PENDING_EVENTS;
        private OverflowPolicy overflowPolicy = OverflowPolicy.DROP;
        private MeterRegistry meterRegistry;
        private SchemaRegistryClient schemaRegistryClient;
        private Clock clock = Clock.systemUTC();
        private Producer<String, byte[]> producer;
        private boolean awaitTopicMetadata = true;
        private PromptHash promptHash = PromptHash.unkeyed();

        private Builder() {
        }

        /** Kafka's {@code bootstrap.servers}, e.g. {@code kafka-1:9092,kafka-2:9092}. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The Schema Registry's URL (comma-separated for fail-over). */
        public Builder schemaRegistryUrl(String schemaRegistryUrl) {
            this.schemaRegistryUrl = schemaRegistryUrl;
            return this;
        }

        /** One Kafka client or registry property, e.g. {@code security.protocol=SASL_SSL}. */
        public Builder property(String key, Object value) {
            properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** Kafka client and registry properties (a loaded config file, say); may hold bootstrap.servers, schema.registry.url and spend.topic.prefix. */
        public Builder properties(Map<String, ?> properties) {
            properties.forEach(this::property);
            return this;
        }

        /** Prefix of every topic name (e.g. {@code prod.}); none by default. */
        public Builder topicPrefix(String topicPrefix) {
            this.topicPrefix = topicPrefix;
            return this;
        }

        /** Kafka {@code client.id}; {@code spend-publisher-N} by default. */
        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        /** The longest {@code publish} may block its caller (Kafka's {@code max.block.ms}); 50 ms by default. */
        public Builder maxBlock(Duration maxBlock) {
            this.maxBlock = positive(maxBlock, "maxBlock");
            return this;
        }

        /** How long records wait to be batched (Kafka's {@code linger.ms}); 5 ms by default. */
        public Builder linger(Duration linger) {
            Objects.requireNonNull(linger, "linger");
            if (linger.isNegative()) {
                throw new IllegalArgumentException("linger must not be negative");
            }
            this.linger = linger;
            return this;
        }

        /** Memory for records not yet sent (Kafka's {@code buffer.memory}); Kafka's 32 MiB by default. */
        public Builder bufferBytes(long bufferBytes) {
            if (bufferBytes < 1024) {
                throw new IllegalArgumentException("bufferBytes must be at least 1024, got " + bufferBytes);
            }
            this.bufferBytes = bufferBytes;
            return this;
        }

        /** Events that may wait for the schema and topic metadata at start-up before new ones are dropped; 10,000 by default. */
        public Builder maxPendingEvents(int maxPendingEvents) {
            if (maxPendingEvents < 0) {
                throw new IllegalArgumentException("maxPendingEvents must not be negative");
            }
            this.maxPendingEvents = maxPendingEvents;
            return this;
        }

        /** Drop (default) or throw when an event cannot be handed over in time. */
        public Builder overflowPolicy(OverflowPolicy overflowPolicy) {
            this.overflowPolicy = Objects.requireNonNull(overflowPolicy, "overflowPolicy");
            return this;
        }

        /** The longest {@link #close()} waits for queued and in-flight events; 10 s by default. */
        public Builder closeTimeout(Duration closeTimeout) {
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must not be negative");
            }
            this.closeTimeout = closeTimeout;
            return this;
        }

        /** Where the counters go (e.g. the service's Prometheus registry); a private SimpleMeterRegistry by default. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = meterRegistry;
            return this;
        }

        /** A registry client to share (not closed by the publisher), instead of one built from the URL. */
        public Builder schemaRegistryClient(SchemaRegistryClient schemaRegistryClient) {
            this.schemaRegistryClient = schemaRegistryClient;
            return this;
        }

        /** Key {@link SpendPublisher#promptHash()} with the company's secret (HMAC-SHA256, at least 16 bytes). */
        public Builder promptHashSecret(byte[] secret) {
            this.promptHash = PromptHash.keyed(secret);
            return this;
        }

        /** The clock that stamps events published without a timestamp. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** For tests: a producer to use instead of a KafkaProducer. */
        Builder producer(Producer<String, byte[]> producer) {
            this.producer = producer;
            return this;
        }

        /**
         * For tests: mark the publisher ready once the schema is registered, without first fetching the
         * topic's partitions, so that every event goes through the producer's own max.block.ms wait.
         */
        Builder awaitTopicMetadata(boolean awaitTopicMetadata) {
            this.awaitTopicMetadata = awaitTopicMetadata;
            return this;
        }

        public SpendPublisher build() {
            Map<String, Object> config = new LinkedHashMap<>(properties);
            putIfSet(config, ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            putIfSet(config, SchemaRegistrySettings.URL, schemaRegistryUrl);
            putIfSet(config, Topics.PREFIX_CONFIG, topicPrefix);
            putIfSet(config, ProducerConfig.CLIENT_ID_CONFIG, clientId);
            config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "spend-publisher-" + INSTANCES.incrementAndGet());
            if (producer == null && isBlank(config.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG))) {
                throw new IllegalArgumentException("no Kafka address: set bootstrapServers(...) or the bootstrap.servers property");
            }
            if (schemaRegistryClient == null && isBlank(config.get(SchemaRegistrySettings.URL))) {
                throw new IllegalArgumentException("no Schema Registry address: set schemaRegistryUrl(...) or the schema.registry.url property");
            }
            SchemaRegistryClient registry = schemaRegistryClient != null ? schemaRegistryClient
                    : new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
            boolean ownsRegistry = schemaRegistryClient == null;
            try {
                Topics topics = Topics.fromConfig(config, registry); // a bad prefix fails before the producer starts
                Producer<String, byte[]> kafka = producer != null ? producer
                        : new KafkaProducer<>(producerConfig(config), new StringSerializer(), new ByteArraySerializer());
                return new SpendPublisher(this, config, topics, kafka, registry, ownsRegistry);
            } catch (RuntimeException e) {
                if (ownsRegistry) {
                    registry.close();
                }
                throw e;
            }
        }

        Map<String, Object> producerConfig(Map<String, Object> config) {
            Map<String, Object> producerConfig = new HashMap<>();
            config.forEach((key, value) -> {
                if (!NON_PRODUCER_KEYS.contains(key) && NON_PRODUCER_PREFIXES.stream().noneMatch(key::startsWith)) {
                    producerConfig.put(key, value);
                }
            });
            producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
            producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, linger.toMillis()));
            producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock.toMillis());
            // Kafka 4's default ("rebootstrap") forgets the topic's partitions when every broker it
            // knows is gone, so during a broker restart each send would wait maxBlock for metadata
            // and be dropped; "none" keeps them and buffers until the broker is back (measured in
            // SpendPublisherBrokerRestartIntegrationTest). Set it to rebootstrap if every broker
            // address of the cluster can change at once.
            producerConfig.putIfAbsent(org.apache.kafka.clients.CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
            if (bufferBytes != null) {
                producerConfig.put(ProducerConfig.BUFFER_MEMORY_CONFIG, bufferBytes);
            }
            return producerConfig;
        }

        private static void putIfSet(Map<String, Object> config, String key, String value) {
            if (value != null && !value.isBlank()) {
                config.put(key, value.trim());
            }
        }

        private static boolean isBlank(Object value) {
            return value == null || value.toString().isBlank();
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero() || value.toMillis() == 0) {
                throw new IllegalArgumentException(name + " must be at least 1 ms, got " + value);
            }
            return value;
        }
    }

    /** Kafka's authentication or authorization failures, the registry's refusal or TLS failure: retrying will not help. */
    static boolean isRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.AuthenticationException
                    || t instanceof org.apache.kafka.common.errors.AuthorizationException
                    || t instanceof io.spendmonitor.schemas.registry.SchemaRegistryAuthException
                    || t instanceof io.spendmonitor.schemas.registry.SchemaRegistryTlsException) {
                return true;
            }
        }
        return false;
    }
}
