package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The spend job's per-event path on Flink, as the topology does it (without break-even and alerts):
 *
 * <pre>
 *   llm.token-usage + gpu.utilization (one KafkaSource, Avro via the registry, event rules)
 *     ─► event time from the payload, watermark = max seen - grace (per partition)
 *     ─► keyBy(team) ─► dedupe + price (KeyedBroadcastProcessFunction; catalog as broadcast state)
 *     ─► 1-minute tumbling event-time windows (incremental TeamWindow aggregate)
 *     ─► TeamCostWindow ─► KafkaSink, exactly-once (transactions committed with the checkpoints)
 *   spend.price-catalog ─► broadcast
 * </pre>
 *
 * A window fires when the watermark passes its end, i.e. when the largest event time seen passes
 * end + grace: the topology's rule. Checkpoints come at the topology's commit interval.
 */
public final class PeerJob {
    /** Where the peer writes its team windows (the topology writes spend.team-costs). */
    public static final String OUTPUT_TOPIC = "flink.team-costs";

    /**
     * @param prefix            the topics' prefix (spend.topic.prefix)
     * @param checkpointMs      the checkpoint interval: our commit interval (1 s by default)
     * @param attributionKeys   label keys aggregated per window (spend.attribution.keys)
     */
    public record Settings(String bootstrapServers, String registryUrl, String prefix, String groupId, int parallelism,
                           Duration windowSize, Duration grace, long checkpointMs, Instant timestampMin, Duration maxAhead,
                           Set<String> attributionKeys, int attributionMaxValues, Map<String, String> kafka) {
        /** The topology's defaults (ConfigKeys) for what the caller does not say. */
        public static Settings defaults(String bootstrapServers, String registryUrl, String prefix, String groupId, int parallelism) {
            return new Settings(bootstrapServers, registryUrl, prefix, groupId, parallelism, Duration.ofMinutes(1),
                    Duration.ofMinutes(5), 1000, Instant.parse("2020-01-01T00:00:00Z"), Duration.ofMinutes(1),
                    Set.of("customer", "feature"), 100, Map.of());
        }

        public String outputTopic() {
            return prefix + OUTPUT_TOPIC;
        }
    }

    private PeerJob() {
    }

    /** Adds the job to {@code env} (checkpointing and parallelism included); the caller executes it. */
    public static void build(StreamExecutionEnvironment env, Settings s) {
        Topics topics;
        try (RestSchemaRegistryClient registry = RestSchemaRegistryClient.forUrl(s.registryUrl())) {
            topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, s.prefix()), registry);
        }
        env.setParallelism(s.parallelism());
        env.enableCheckpointing(s.checkpointMs(), CheckpointingMode.EXACTLY_ONCE);
        // every edge after the shuffle is chained: records are handed on, not copied
        env.getConfig().enableObjectReuse();
        createOutputTopic(s);

        Properties kafka = new Properties();
        kafka.putAll(s.kafka());
        String tokenTopic = topics.tokenUsage().name();
        KafkaSource<PeerEvent> events = KafkaSource.<PeerEvent>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setTopics(List.of(tokenTopic, topics.gpuUtilization().name()))
                .setGroupId(s.groupId())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new EventDeserialization(s.registryUrl(), tokenTopic, s.timestampMin(), s.maxAhead()))
                .setProperties(kafka)
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .build();
        // the catalog up to its end before the start (as Kafka Streams restores a global store first), then its updates
        Bootstrap catalog = bootstrapCatalog(s, topics.priceCatalog().name());
        KafkaSource<PriceUpdate> prices = KafkaSource.<PriceUpdate>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setTopics(topics.priceCatalog().name())
                .setGroupId(s.groupId() + "-catalog")
                .setStartingOffsets(OffsetsInitializer.offsets(catalog.endOffsets()))
                .setDeserializer(new PriceDeserialization())
                .setProperties(kafka)
                .build();

        WatermarkStrategy<PeerEvent> eventTime = WatermarkStrategy.<PeerEvent>forBoundedOutOfOrderness(s.grace())
                .withTimestampAssigner((e, ts) -> e.timestampMs)
                .withIdleness(Duration.ofSeconds(10));
        DataStream<PeerEvent> input = env.fromSource(events, eventTime, "token-usage+gpu-utilization");
        // the catalog carries no event time: it must not hold the events' watermark back
        BroadcastStream<PriceUpdate> catalogStream = env.fromSource(prices, noWatermarkHold(), "price-catalog")
                .setParallelism(1)
                .broadcast(DedupeAndPrice.CATALOG);

        long windowMs = s.windowSize().toMillis();
        DataStream<PricedEvent> priced = input
                .keyBy(e -> e.team)
                .connect(catalogStream)
                .process(new DedupeAndPrice(windowMs, s.registryUrl(), catalog.entries()))
                .name("dedupe+price")
                .returns(PricedEvent.class);
        DataStream<TeamCostWindow> windows = DataStreamUtils
                .reinterpretAsKeyedStream(priced, (PricedEvent e) -> e.call != null ? e.call.call().team() : e.sample.sample().team(),
                        org.apache.flink.api.common.typeinfo.Types.STRING)
                .window(TumblingEventTimeWindows.of(s.windowSize()))
                .aggregate(new TeamWindows.Add(windowMs, s.attributionKeys(), s.attributionMaxValues()), new TeamWindows.Emit(),
                        org.apache.flink.api.common.typeinfo.TypeInformation.of(TeamWindows.Acc.class),
                        org.apache.flink.api.common.typeinfo.TypeInformation.of(TeamWindows.Acc.class),
                        // chained into the sink, never serialized: no flink-avro needed
                        new org.apache.flink.api.java.typeutils.GenericTypeInfo<>(TeamCostWindow.class))
                .name("team-windows");

        Properties producer = new Properties();
        producer.putAll(s.kafka());
        // within the broker's transaction.max.timeout.ms (15 min by default); Flink's default is an hour
        producer.setProperty("transaction.timeout.ms", String.valueOf(TimeUnit.MINUTES.toMillis(5)));
        windows.sinkTo(KafkaSink.<TeamCostWindow>builder()
                        .setBootstrapServers(s.bootstrapServers())
                        .setRecordSerializer(new TeamCostsSerialization(s.outputTopic(), s.registryUrl()))
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(s.groupId() + "-tx")
                        .setKafkaProducerConfig(producer)
                        .build())
                .name("team-costs");
    }

    private static WatermarkStrategy<PriceUpdate> noWatermarkHold() {
        return WatermarkStrategy.forGenerator(ctx -> new WatermarkGenerator<>() {
            @Override
            public void onEvent(PriceUpdate event, long eventTimestamp, WatermarkOutput output) {
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                output.emitWatermark(new Watermark(Long.MAX_VALUE));
            }
        });
    }

    /** The catalog's records up to the end offsets it had before the job started. */
    record Bootstrap(List<PriceUpdate> entries, Map<TopicPartition, Long> endOffsets) {
    }

    static Bootstrap bootstrapCatalog(Settings s, String topic) {
        Map<String, Object> props = new HashMap<>(s.kafka());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(60)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            List<PriceUpdate> entries = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (partitions.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(60)) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read the price catalog " + topic + " to its end");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        entries.add(new PriceUpdate(new String(r.key(), StandardCharsets.UTF_8), r.value()));
                    }
                }
            }
            return new Bootstrap(entries, end);
        }
    }

    private static void createOutputTopic(Settings s) {
        Map<String, Object> props = new HashMap<>(s.kafka());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            // like spend.team-costs: records carry event time, which may be ahead of the broker's clock or,
            // in a replay, older than retention: the broker stamps them on append
            NewTopic topic = new NewTopic(s.outputTopic(), java.util.Optional.empty(), java.util.Optional.empty())
                    .configs(Map.of(Topics.FUTURE_TIMESTAMPS, String.valueOf(Long.MAX_VALUE), Topics.TIMESTAMP_TYPE, Topics.APPEND_TIME));
            admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create " + s.outputTopic() + ": " + e.getCause().getMessage(), e);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create " + s.outputTopic() + ": " + e.getMessage(), e);
        }
    }
}
