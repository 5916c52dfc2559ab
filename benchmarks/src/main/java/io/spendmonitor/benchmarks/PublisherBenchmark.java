package io.spendmonitor.benchmarks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.LocalCluster;
import io.spendmonitor.producers.client.DropReason;
import io.spendmonitor.producers.client.SpendPublisher;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What {@link SpendPublisher#publish(TokenUsage)} costs the thread that calls it, per event, beside a bare
 * {@link KafkaProducer#send(ProducerRecord)} of the same record with the same settings, against a real local
 * cluster (in-JVM KRaft broker + registry child process).
 *
 * <p>Both send asynchronously: the call serializes the record and appends it to the producer's buffer, and the
 * producer's I/O thread ships it later. So the number measured is the <b>caller-thread cost per event</b>, not
 * the end-to-end latency and not the throughput of the broker. That only holds while the buffer has room: once
 * it is full, the bare producer blocks its caller (up to max.block.ms) and the publisher drops the event after
 * blocking that long. To keep the measurement honest, both producers get a large {@code buffer.memory}, both are
 * flushed after every iteration (outside the measured time) so each iteration starts with an empty buffer, and
 * every iteration reports, as JMH secondary results, the events the publisher dropped ({@code dropped}) and the
 * time the caller waited for buffer memory ({@code bufferWaitUs}, Kafka's {@code bufferpool-wait-time-ns-total}).
 * Both must be 0 for the primary number to mean what it says. At the end of each run one line per client says how
 * many events were handed over, acknowledged, dropped and failed.
 *
 * <p>{@code publisherPublish} sends complete events (event_id and timestamp set), which the publisher validates and
 * sends as they are; {@code publisherPublishGeneratedId} sends them with a blank event_id, as
 * {@link SpendPublisher#tokenUsageBuilder()} makes them, so the publisher also generates the id and copies the event.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar PublisherBenchmark} (see docs/BENCHMARKS.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// heap for the two 1 GiB buffers; Kafka's INFO logging (config dumps, broker start) kept out of the report
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class PublisherBenchmark {
    static final String TOPIC = "llm.token-usage";
    static final int PARTITIONS = 6;
    static final int EVENTS = 1024;
    static final Duration MAX_BLOCK = Duration.ofMillis(50);
    static final Duration LINGER = Duration.ofMillis(5);
    /**
     * buffer.memory of both producers: enough for one 2-second iteration even when the loop outruns the
     * broker (the buffer is emptied between iterations). The forked JVM's heap is sized for it.
     */
    static final long BUFFER_BYTES = 1L << 30;
    static final String PUBLISHER_CLIENT_ID = "bench-publisher";
    static final String BARE_CLIENT_ID = "bench-bare-producer";

    private static final String[] TEAMS = {"search", "research", "support", "growth", "ads", "risk", "legal", "infra"};
    private static final String[][] MODELS = {
            {"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"}, {"anthropic", "claude-sonnet-4"},
            {"google", "gemini-2.5-flash"}, {"self-hosted", "llama-3.1-70b"}};

    private LocalCluster cluster;
    private MeterRegistry meters;
    private SpendPublisher publisher;
    private Producer<String, TokenUsage> producer;
    /** Complete events (event_id set): the publisher validates them and sends them as they are. */
    private TokenUsage[] events;
    /** The same events with event_id left blank, as {@link SpendPublisher#tokenUsageBuilder()} makes them. */
    private TokenUsage[] eventsWithoutId;
    private ProducerRecord<String, TokenUsage>[] records;
    /** Benchmark calls so far (warm-up and measurement iterations); cycles the 1024 events. */
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        try {
            start();
        } catch (Exception | Error e) {
            // the broker's threads would keep the forked JVM alive (JMH then waits 30 s and kills it)
            closeAll();
            throw e;
        }
    }

    private void start() throws Exception {
        cluster = LocalCluster.start();
        cluster.createTopics(PARTITIONS, TOPIC);
        buildEvents();

        meters = new SimpleMeterRegistry();
        publisher = SpendPublisher.builder()
                .bootstrapServers(cluster.bootstrapServers())
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .clientId(PUBLISHER_CLIENT_ID)
                .maxBlock(MAX_BLOCK)
                .linger(LINGER)
                .bufferBytes(BUFFER_BYTES)
                .meterRegistry(meters)
                .build();

        // what SpendPublisher.Builder#producerConfig sets, with our serializer doing the Avro part in send()
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, BARE_CLIENT_ID);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, (int) LINGER.toMillis());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK.toMillis());
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, BUFFER_BYTES);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        props.put(SchemaRegistrySettings.URL, cluster.schemaRegistryUrl());
        producer = new KafkaProducer<>(props);

        warmUp();
    }

    private void buildEvents() {
        events = new TokenUsage[EVENTS];
        eventsWithoutId = new TokenUsage[EVENTS];
        @SuppressWarnings({"unchecked", "rawtypes"})
        ProducerRecord<String, TokenUsage>[] recs = new ProducerRecord[EVENTS];
        Instant start = Instant.parse("2025-06-02T09:00:00Z");
        for (int i = 0; i < EVENTS; i++) {
            String team = TEAMS[i % TEAMS.length];
            String[] model = MODELS[(i / TEAMS.length) % MODELS.length];
            long input = 200 + (i * 37L) % 4000;
            TokenUsage.Builder b = TokenUsage.newBuilder()
                    .setEventId(UUID.nameUUIDFromBytes(("bench-" + i).getBytes(StandardCharsets.UTF_8)).toString())
                    .setTimestamp(start.plusMillis(i * 250L))
                    .setTeam(team)
                    .setApplication(team + "-app-" + (i % 3))
                    .setProvider(model[0])
                    .setModel(model[1])
                    .setInputTokens(input)
                    .setCachedInputTokens(input / (2 + i % 5))
                    .setOutputTokens(50 + (i * 13L) % 900)
                    .setLatencyMs(300 + (i * 7L) % 2500);
            events[i] = b.build();
            eventsWithoutId[i] = TokenUsage.newBuilder(events[i]).setEventId("").build();
            recs[i] = new ProducerRecord<>(TOPIC, team, events[i]);
        }
        records = recs;
    }

    /** Registers the schema, learns the partitions and warms the send paths; fails if anything is dropped. */
    private void warmUp() throws Exception {
        // with max.block.ms at 50 ms a fresh producer's first send can time out on metadata: fetch it first
        // (the publisher does the same on its background thread, holding events in its queue meanwhile)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                producer.partitionsFor(TOPIC);
                break;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
        List<CompletableFuture<RecordMetadata>> stages = new ArrayList<>();
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < EVENTS; i++) {
                stages.add(publisher.publish(events[i]).toCompletableFuture());
                futures.add(producer.send(records[i]));
            }
        }
        publisher.flush();
        producer.flush();
        for (CompletableFuture<RecordMetadata> stage : stages) {
            stage.get(60, TimeUnit.SECONDS);
        }
        for (Future<RecordMetadata> future : futures) {
            future.get(60, TimeUnit.SECONDS);
        }
        // both producers must expose the buffer-wait metric the report relies on
        bufferWaitNanos(PUBLISHER_CLIENT_ID);
        bufferWaitNanos(BARE_CLIENT_ID);
        System.out.printf("%n[bench] cluster: %s; warm-up: %d events through each producer, none dropped%n",
                cluster.describe(), stages.size());
    }

    @Benchmark
    public void publisherPublish(Backpressure backpressure, Blackhole bh) {
        bh.consume(publisher.publish(events[next++ & (EVENTS - 1)]));
    }

    /**
     * The same call, sampled one by one: JMH's SampleTime report gives its percentiles, and {@code p1.00} is the
     * worst publish() call of the run (GC pauses and JIT included). This is where the caller-latency figure lives;
     * the tests assert behaviour (the call does not wait for the broker), never a number of milliseconds.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void publisherPublishLatency(Backpressure backpressure, Blackhole bh) {
        bh.consume(publisher.publish(events[next++ & (EVENTS - 1)]));
    }

    /** The convenience path ({@link SpendPublisher#tokenUsageBuilder()}): event_id blank, the publisher generates it. */
    @Benchmark
    public void publisherPublishGeneratedId(Backpressure backpressure, Blackhole bh) {
        bh.consume(publisher.publish(eventsWithoutId[next++ & (EVENTS - 1)]));
    }

    @Benchmark
    public void bareProducerSend(Backpressure backpressure, Blackhole bh) {
        bh.consume(producer.send(records[next++ & (EVENTS - 1)]));
    }

    /** Empties both buffers between iterations (not measured), so no iteration inherits the last one's backlog. */
    @TearDown(Level.Iteration)
    public void drain() {
        publisher.flush();
        producer.flush();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            publisher.flush();
            producer.flush();
            report();
        } finally {
            closeAll();
        }
    }

    private void closeAll() {
        try {
            if (publisher != null) {
                publisher.close();
            }
        } finally {
            try {
                if (producer != null) {
                    producer.close(Duration.ofSeconds(10));
                }
            } finally {
                if (cluster != null) {
                    cluster.close();
                }
            }
        }
    }

    /** One line per client: what was handed over, acknowledged, dropped, failed, and how long callers waited for buffer. */
    private void report() throws JMException {
        String dropsByReason = "";
        for (DropReason reason : DropReason.values()) {
            dropsByReason += " " + reason.tag() + "=" + (long) droppedCounter(meters, reason).count();
        }
        System.out.printf("%n[bench] benchmark calls (warm-up + measurement iterations): %,d%n", next);
        System.out.printf("[bench] publisher: acknowledged %,d, failed %,d, dropped %,d (%s ), buffer wait %.1f ms%n",
                (long) eventsCounter(meters, "sent").count(), (long) eventsCounter(meters, "failed").count(),
                (long) eventsCounter(meters, "dropped").count(), dropsByReason.trim(),
                bufferWaitNanos(PUBLISHER_CLIENT_ID) / 1e6);
        System.out.printf("[bench] bare producer: records sent %,d, record errors %,d, buffer exhausted %,d, buffer wait %.1f ms%n",
                (long) producerMetric(BARE_CLIENT_ID, "record-send-total"),
                (long) producerMetric(BARE_CLIENT_ID, "record-error-total"),
                (long) producerMetric(BARE_CLIENT_ID, "buffer-exhausted-total"),
                bufferWaitNanos(BARE_CLIENT_ID) / 1e6);
    }

    static Counter eventsCounter(MeterRegistry meters, String result) {
        return meters.get(SpendPublisher.EVENTS_METER).tags("type", "token_usage", "result", result).counter();
    }

    static Counter droppedCounter(MeterRegistry meters, DropReason reason) {
        return meters.get(SpendPublisher.DROPPED_METER).tags("type", "token_usage", "reason", reason.tag()).counter();
    }

    /** Total time callers of this producer waited for buffer memory, from the producer's JMX metrics. */
    static double bufferWaitNanos(String clientId) throws JMException {
        return producerMetric(clientId, "bufferpool-wait-time-ns-total");
    }

    static double producerMetric(String clientId, String name) throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        // the client ids above hold no character that JMX would quote
        ObjectName bean = new ObjectName("kafka.producer:type=producer-metrics,client-id=" + clientId);
        return ((Number) server.getAttribute(bean, name)).doubleValue();
    }

    /**
     * Secondary results of every iteration: events the publisher dropped rather than block, and microseconds the
     * benchmark thread waited for buffer memory (both producers together; only the benchmarked one sends).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Backpressure {
        public long dropped;
        public long bufferWaitUs;
        private double droppedAtStart;
        private double waitAtStart;

        @Setup(Level.Iteration)
        public void start(PublisherBenchmark bench) throws JMException {
            dropped = 0;
            bufferWaitUs = 0;
            droppedAtStart = eventsCounter(bench.meters, "dropped").count();
            waitAtStart = totalWait();
        }

        @TearDown(Level.Iteration)
        public void stop(PublisherBenchmark bench) throws JMException {
            dropped = Math.round(eventsCounter(bench.meters, "dropped").count() - droppedAtStart);
            bufferWaitUs = Math.round((totalWait() - waitAtStart) / 1e3);
        }

        private static double totalWait() throws JMException {
            return bufferWaitNanos(PUBLISHER_CLIENT_ID) + bufferWaitNanos(BARE_CLIENT_ID);
        }
    }
}
