package io.spendmonitor.schemas;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.registry.SchemaRegistryClient;
import io.spendmonitor.schemas.serde.AvroSerde;
import io.spendmonitor.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Every topic of spend-monitor with its serdes: one immutable registry built from config and used
 * by the producers, the topology and the tests alike. Names are DESIGN.md's defaults behind an
 * optional prefix ({@value #PREFIX_CONFIG}, e.g. {@code prod.}).
 */
public final class Topics {
    public static final String PREFIX_CONFIG = "spend.topic.prefix";
    /** Header on dead-letter records saying why the record was rejected. */
    public static final String DEAD_LETTER_REASON_HEADER = "spend.reason";
    /** Header on dead-letter records naming the topic the record came from. */
    public static final String DEAD_LETTER_TOPIC_HEADER = "spend.source.topic";

    /** Topic config that bounds how far ahead of the broker's clock a record timestamp may be. */
    public static final String FUTURE_TIMESTAMPS = "message.timestamp.after.max.ms";
    /**
     * Kafka's topic setting for whose clock stamps a record. Results and changelogs are stamped when
     * the broker appends them ({@link #APPEND_TIME}): Kafka deletes by timestamp, and these records
     * carry event time, so a backfill of last month's calls had its windows, alerts and changelog
     * records deleted by the broker's next retention check, minutes after they were written.
     */
    public static final String TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String APPEND_TIME = "LogAppendTime";

    private static final Pattern LEGAL_PREFIX = Pattern.compile("[a-zA-Z0-9._-]*");

    private final String prefix;
    private final TopicSpec<String, TokenUsage> tokenUsage;
    private final TopicSpec<String, GpuUtilization> gpuUtilization;
    private final TopicSpec<String, PriceEntry> priceCatalog;
    private final TopicSpec<String, TeamBudget> teamBudgets;
    private final TopicSpec<String, TeamCostWindow> teamCosts;
    private final TopicSpec<String, SpendAlert> alerts;
    private final TopicSpec<byte[], byte[]> deadLetter;
    private final TopicSpec<String, io.spendmonitor.avro.CallCost> callCosts;
    /**
     * Writes the dead-letter copies of decoded events. The topic holds several record types, so the
     * subject is topic + record name ({@code spend.dead-letter-io.spendmonitor.avro.GpuUtilization}):
     * under the topic's own subject the second type would be refused as incompatible with the first.
     */
    private final org.apache.kafka.common.serialization.Serializer<Object> deadLetterValues;

    private Topics(String prefix, SchemaRegistryClient registry, AvroSerdeConfig serdeConfig) {
        this.prefix = prefix;
        Serde<String> key = Serdes.String();
        Map<String, String> compacted = Map.of("cleanup.policy", "compact");
        // event topics keep a week: a back-dated event keeps its produce time as Kafka timestamp
        Map<String, String> events = Map.of("retention.ms", String.valueOf(7L * 24 * 3600 * 1000));
        // results are written with event time as their timestamp; the broker stamps them with its own
        // clock (APPEND_TIME), so retention counts from when they were written, whatever minute they
        // describe (the payload carries the window); future timestamps are allowed for a broker or a
        // topic that keeps CreateTime (an event may be ahead of the broker's clock, which Kafka 4's
        // default message.timestamp.after.max.ms of 1 h would refuse)
        Map<String, String> results = Map.of("retention.ms", String.valueOf(7L * 24 * 3600 * 1000),
                FUTURE_TIMESTAMPS, String.valueOf(Long.MAX_VALUE), TIMESTAMP_TYPE, APPEND_TIME);
        this.tokenUsage = new TopicSpec<>(prefix + "llm.token-usage", key,
                AvroSerde.specific(TokenUsage.class, registry, serdeConfig, false), false, events);
        this.gpuUtilization = new TopicSpec<>(prefix + "gpu.utilization", key,
                AvroSerde.specific(GpuUtilization.class, registry, serdeConfig, false), false, events);
        this.priceCatalog = new TopicSpec<>(prefix + "spend.price-catalog", key,
                AvroSerde.specific(PriceEntry.class, registry, serdeConfig, false), true, compacted);
        this.teamBudgets = new TopicSpec<>(prefix + "spend.team-budgets", key,
                AvroSerde.specific(TeamBudget.class, registry, serdeConfig, false), true, compacted);
        this.teamCosts = new TopicSpec<>(prefix + "spend.team-costs", key,
                AvroSerde.specific(TeamCostWindow.class, registry, serdeConfig, false), false, results);
        this.alerts = new TopicSpec<>(prefix + "spend.alerts", key,
                AvroSerde.specific(SpendAlert.class, registry, serdeConfig, false), false,
                Map.of("retention.ms", String.valueOf(30L * 24 * 3600 * 1000), FUTURE_TIMESTAMPS, String.valueOf(Long.MAX_VALUE),
                        TIMESTAMP_TYPE, APPEND_TIME));
        this.deadLetterValues = new io.spendmonitor.schemas.serde.AvroSerializer<>(registry, new AvroSerdeConfig(
                serdeConfig.autoRegisterSchemas(), serdeConfig.keySubjectStrategy(),
                io.spendmonitor.schemas.serde.SubjectNameStrategy.TOPIC_RECORD), false);
        // written only with spend.call-costs.enabled=true; one record per priced call, for warehouse sinks
        this.callCosts = new TopicSpec<>(prefix + "spend.call-costs", key,
                AvroSerde.specific(io.spendmonitor.avro.CallCost.class, registry, serdeConfig, false), false, results);
        this.deadLetter = new TopicSpec<>(prefix + "spend.dead-letter", Serdes.ByteArray(), Serdes.ByteArray(), false,
                Map.of("retention.ms", String.valueOf(14L * 24 * 3600 * 1000), FUTURE_TIMESTAMPS, String.valueOf(Long.MAX_VALUE),
                        TIMESTAMP_TYPE, APPEND_TIME));
    }

    /** The topics under the prefix in {@code config} (none by default), with serdes on {@code registry}. */
    public static Topics fromConfig(Map<String, ?> config, SchemaRegistryClient registry) {
        Object rawPrefix = config.get(PREFIX_CONFIG);
        String prefix = rawPrefix == null ? "" : rawPrefix.toString().trim();
        if (!LEGAL_PREFIX.matcher(prefix).matches() || prefix.length() > 100) {
            throw new IllegalArgumentException("'" + PREFIX_CONFIG + "' may hold only letters, digits, '.', '_' and '-' (at most 100), got '" + prefix + "'");
        }
        return new Topics(prefix, registry, AvroSerdeConfig.fromConfig(config));
    }

    public static Topics withDefaults(SchemaRegistryClient registry) {
        return fromConfig(Map.of(), registry);
    }

    public String prefix() {
        return prefix;
    }

    public TopicSpec<String, TokenUsage> tokenUsage() {
        return tokenUsage;
    }

    public TopicSpec<String, GpuUtilization> gpuUtilization() {
        return gpuUtilization;
    }

    public TopicSpec<String, PriceEntry> priceCatalog() {
        return priceCatalog;
    }

    public TopicSpec<String, TeamBudget> teamBudgets() {
        return teamBudgets;
    }

    public TopicSpec<String, TeamCostWindow> teamCosts() {
        return teamCosts;
    }

    public TopicSpec<String, SpendAlert> alerts() {
        return alerts;
    }

    public TopicSpec<byte[], byte[]> deadLetter() {
        return deadLetter;
    }

    /** {@code spend.call-costs}: every priced call, when {@code spend.call-costs.enabled=true}. */
    public TopicSpec<String, io.spendmonitor.avro.CallCost> callCosts() {
        return callCosts;
    }

    /** The serializer of decoded events sent to the dead-letter topic (one subject per record type). */
    public org.apache.kafka.common.serialization.Serializer<Object> deadLetterValueSerializer() {
        return deadLetterValues;
    }

    /**
     * How {@code spec} is created: its contract settings, and {@code partitions} partitions except
     * for the price catalog, which every instance reads whole (one partition keeps its order).
     * An empty {@code replication} takes the broker's default.
     */
    public NewTopic newTopic(TopicSpec<?, ?> spec, int partitions, Optional<Short> replication) {
        int count = spec.name().equals(priceCatalog.name()) ? 1 : partitions;
        return new NewTopic(spec.name(), Optional.of(count), replication).configs(spec.configs());
    }

    /** Every topic, as {@link #newTopic} creates it. */
    public List<NewTopic> newTopics(int partitions, Optional<Short> replication) {
        return all().stream().map(spec -> newTopic(spec, partitions, replication)).toList();
    }

    /** All topics, inputs first. */
    public List<TopicSpec<?, ?>> all() {
        return List.of(tokenUsage, gpuUtilization, priceCatalog, teamBudgets, teamCosts, alerts, deadLetter, callCosts);
    }
}
