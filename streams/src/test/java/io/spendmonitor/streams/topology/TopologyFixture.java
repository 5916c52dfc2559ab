package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.cost.PriceCatalog;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The topology in a TopologyTestDriver, with typed input and output topics and an in-memory registry. */
final class TopologyFixture implements AutoCloseable {
    final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    final Topics topics = Topics.withDefaults(registry);
    final PriceCatalog catalog = new PriceCatalog();
    final CountingListener listener = new CountingListener();
    /** What the spend counters would export (published at once: the test driver has no transactions). */
    final CommittedSpend committed = new CommittedSpend();
    final TopologyTestDriver driver;
    final TestInputTopic<String, TokenUsage> tokens;
    final TestInputTopic<String, GpuUtilization> gpus;
    final TestInputTopic<String, byte[]> rawTokens;
    final TestInputTopic<String, PriceEntry> prices;
    final TestInputTopic<String, TeamBudget> budgets;
    final TestOutputTopic<String, TeamCostWindow> costs;
    final TestOutputTopic<String, SpendAlert> alerts;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    private final AtomicInteger ids = new AtomicInteger();

    TopologyFixture() {
        this(Map.of());
    }

    /**
     * The wall clock of the test driver, and of the timestamp extractor: fixed, after every event
     * time the tests use, unless a test sets it (so no test depends on today's date).
     */
    static final Instant DEFAULT_WALL_CLOCK = Instant.parse("2030-01-01T00:00:00Z");
    private final java.util.concurrent.atomic.AtomicLong wallClock = new java.util.concurrent.atomic.AtomicLong();

    TopologyFixture(Map<String, ?> overrides) {
        this(overrides, DEFAULT_WALL_CLOCK);
    }

    TopologyFixture(Map<String, ?> overrides, Instant wallClockStart) {
        wallClock.set(wallClockStart.toEpochMilli());
        SpendConfig config = SpendConfig.of(overrides);
        Properties props = SpendStreamsConfig.properties(config, listener);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("spend-ttd").toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        driver = new TopologyTestDriver(SpendTopology.build(config, topics, catalog, listener, wallClock::get, committed), props,
                wallClockStart);
        StringSerializer keys = new StringSerializer();
        tokens = driver.createInputTopic(topics.tokenUsage().name(), keys, topics.tokenUsage().valueSerde().serializer());
        gpus = driver.createInputTopic(topics.gpuUtilization().name(), keys, topics.gpuUtilization().valueSerde().serializer());
        rawTokens = driver.createInputTopic(topics.tokenUsage().name(), keys, new ByteArraySerializer());
        prices = driver.createInputTopic(topics.priceCatalog().name(), keys, topics.priceCatalog().valueSerde().serializer());
        budgets = driver.createInputTopic(topics.teamBudgets().name(), keys, topics.teamBudgets().valueSerde().serializer());
        StringDeserializer keyReader = new StringDeserializer();
        costs = driver.createOutputTopic(topics.teamCosts().name(), keyReader, topics.teamCosts().valueSerde().deserializer());
        alerts = driver.createOutputTopic(topics.alerts().name(), keyReader, topics.alerts().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetter().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Moves the wall clock on (wall-clock punctuations run: the quiet-partition rule). */
    void advanceWallClock(java.time.Duration by) {
        wallClock.addAndGet(by.toMillis());
        driver.advanceWallClockTime(by);
    }

    Instant wallClock() {
        return Instant.ofEpochMilli(wallClock.get());
    }

    // ---- prices ----

    void apiPrice(String provider, String model, String in, String cached, String cacheWrite, String out, String from) {
        PriceEntry entry = new PriceEntry(ApiModelPrice.newBuilder().setProvider(provider).setModel(model)
                .setInputUsdPerMtok(usd(in)).setCachedInputUsdPerMtok(cached == null ? null : usd(cached))
                .setCacheWriteUsdPerMtok(cacheWrite == null ? null : usd(cacheWrite)).setOutputUsdPerMtok(usd(out))
                .setEffectiveFrom(Instant.parse(from)).build());
        prices.pipeInput(PriceKeys.key(entry), entry);
    }

    void gpuPrice(String gpuModel, String usdPerHour, String from) {
        PriceEntry entry = new PriceEntry(GpuPrice.newBuilder().setGpuModel(gpuModel).setUsdPerHour(usd(usdPerHour))
                .setEffectiveFrom(Instant.parse(from)).build());
        prices.pipeInput(PriceKeys.key(entry), entry);
    }

    void profile(String model, String gpuModel, int gpus, double tps, double target, int minReplicas, String overhead,
                 String apiEquivalent, String from) {
        PriceEntry entry = new PriceEntry(SelfHostProfile.newBuilder().setModel(model).setGpuModel(gpuModel)
                .setGpusPerReplica(gpus).setTokensPerSecondPerReplica(tps).setTargetUtilization(target)
                .setMinReplicas(minReplicas).setOverheadUsdPerHour(usd(overhead)).setApiEquivalent(apiEquivalent)
                .setEffectiveFrom(Instant.parse(from)).build());
        prices.pipeInput(PriceKeys.key(entry), entry);
    }

    void budget(String team, String daily, String monthly, String from) {
        budgets.pipeInput(team, TeamBudget.newBuilder().setTeam(team).setDailyUsd(daily == null ? null : usd(daily))
                .setMonthlyUsd(monthly == null ? null : usd(monthly)).setEffectiveFrom(Instant.parse(from)).build());
    }

    /** A budget of the team's API spend on calls labelled {@code key=value}, keyed as publish keys it. */
    void labelBudget(String team, String key, String value, String daily, String monthly, String from) {
        TeamBudget b = TeamBudget.newBuilder().setTeam(team).setDailyUsd(daily == null ? null : usd(daily))
                .setMonthlyUsd(monthly == null ? null : usd(monthly)).setEffectiveFrom(Instant.parse(from))
                .setLabel(java.util.Map.of(key, value)).build();
        budgets.pipeInput(io.spendmonitor.schemas.BudgetKeys.key(b), b);
    }

    static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }

    // ---- events ----

    TokenUsage.Builder call(String team, String provider, String model, Instant at) {
        return TokenUsage.newBuilder().setEventId("evt-" + ids.incrementAndGet()).setTimestamp(at).setTeam(team)
                .setApplication("app").setProvider(provider).setModel(model).setInputTokens(0).setOutputTokens(0);
    }

    void send(TokenUsage usage) {
        tokens.pipeInput(usage.getTeam(), usage, usage.getTimestamp());
    }

    void sample(String team, String deployment, String model, String node, String gpuId, String gpuModel, double utilization,
                double intervalSeconds, Instant at) {
        GpuUtilization sample = GpuUtilization.newBuilder().setTimestamp(at).setNode(node).setGpuId(gpuId)
                .setGpuModel(gpuModel).setTeam(team).setDeployment(deployment).setModel(model).setUtilization(utilization)
                .setIntervalSeconds(intervalSeconds).build();
        gpus.pipeInput(team, sample, at);
    }

    /** Moves stream time to {@code at} with an event of a team no test looks at. */
    void tick(Instant at) {
        send(call("zz-clock", "self-hosted", "none", at).setDeployment("clock").build());
    }

    // ---- outputs ----

    Map<String, TeamCostWindow> costsOf(String team) {
        Map<String, TeamCostWindow> byStart = new LinkedHashMap<>();
        for (TeamCostWindow w : costs.readValuesToList()) {
            if (w.getTeam().equals(team)) {
                byStart.put(w.getWindowStart().toString(), w);
            }
        }
        return byStart;
    }

    List<SpendAlert> alertsOf(String team) {
        List<SpendAlert> result = new ArrayList<>();
        for (SpendAlert a : alerts.readValuesToList()) {
            if (a.getTeam().equals(team)) {
                result.add(a);
            }
        }
        return result;
    }

    /** Reasons of the dead-letter records, in order. */
    List<String> deadLetterReasons() {
        List<String> reasons = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : deadLetters.readRecordsToList()) {
            Header h = r.headers().lastHeader(Topics.DEAD_LETTER_REASON_HEADER);
            reasons.add(h == null ? "(none)" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return reasons;
    }

    @Override
    public void close() {
        driver.close();
    }

    /** Counts what the topology reports. */
    static final class CountingListener implements SpendListener {
        final Map<String, Integer> rejected = new ConcurrentHashMap<>();
        final AtomicInteger duplicates = new AtomicInteger();
        final List<String> catalogRejected = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger evaluationsFailed = new AtomicInteger();

        @Override
        public void catalogEntryRejected(String key, String reason) {
            catalogRejected.add(key + ": " + reason);
        }

        @Override
        public void evaluationFailed(String team) {
            evaluationsFailed.incrementAndGet();
        }

        @Override
        public void rejected(String reason, String topic) {
            rejected.merge(reason, 1, Integer::sum);
        }

        @Override
        public void duplicate(String team) {
            duplicates.incrementAndGet();
        }
    }
}
