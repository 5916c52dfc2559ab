package io.spendmonitor.cli;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.EmbeddedKafkaBroker;
import io.spendmonitor.cluster.LocalCluster;
import io.spendmonitor.producers.client.OverflowPolicy;
import io.spendmonitor.producers.client.SpendPublisher;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroDeserializer;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.SpendService;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three KRaft brokers; {@code run} (SpendService, exactly-once) processes calls that a
 * {@link SpendPublisher} publishes across {@value #TEAMS} teams. Halfway through, the broker that is
 * the transaction coordinator of the app (and leads some input partitions) is killed abruptly (no
 * controlled shutdown); three quarters through, once the app has committed progress again with it
 * still down (or after 90 s without, when a partition it needs had no in-sync follower left to lead
 * it: then the output says so), it is started again. Afterwards every team's total is
 * exact to the nano-dollar, each call counted once, no alert transition emitted twice, the publisher
 * lost nothing, and the longest pause of the app's committed progress is reported.
 * CI runs {@value #DEFAULT_CALLS} calls; -Dfailover.calls=100000 is the long variant (docs/RELIABILITY.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrokerFailoverIntegrationTest {
    static final int DEFAULT_CALLS = 20_000;
    private static final int TEAMS = 50;
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    /**
     * The grace of method 1: its GPU samples are published after all the calls (40 minutes of event
     * time) and must still find their windows open. (Published along with the calls, at 120 times
     * real time, the samples moved their task's stream time on by 20-120 minutes while the killed
     * leader held back the calls of the task's other partition, and those calls were rightly late.)
     */
    private static final Duration GRACE = Duration.ofHours(2);
    /** Each call: 1,000 in + 1,000 out of gpt-4o-mini = (1000 * 0.15 + 1000 * 0.60) / 1e6 = $0.00075. */
    private static final BigDecimal CALL_USD = new BigDecimal("0.00075");
    private LocalCluster cluster;

    @BeforeAll
    void startThreeBrokers() {
        cluster = LocalCluster.start(LocalCluster.Options.defaults().withBrokers(3)
                .withRegistryReadyTimeout(Duration.ofSeconds(180)));
    }

    @AfterAll
    void stopThem() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aKilledLeaderAndCoordinatorLosesAndDoublesNothing(@TempDir Path dir) throws Exception {
        int calls = Integer.getInteger("failover.calls", DEFAULT_CALLS);
        int perSecond = Integer.getInteger("failover.rate", 1_000);
        String prefix = "failover-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String appId = prefix + "spend-monitor";
        long started = System.nanoTime();
        LocalCommand.createTopics(cluster, prefix, 6);
        Topics topics = topics(prefix);
        publishPrices(cluster, topics);

        Map<String, Object> overrides = new HashMap<>();
        overrides.put("bootstrap.servers", cluster.bootstrapServers());
        overrides.put("schema.registry.url", cluster.schemaRegistryUrl());
        overrides.put("application.id", appId);
        overrides.put("state.dir", dir.resolve("state").toString());
        overrides.put(Topics.PREFIX_CONFIG, prefix);
        overrides.put(SpendApplication.TOPIC_PARTITIONS, "6");
        overrides.put(SpendConfig.WINDOW_GRACE, GRACE.toString());
        try (SpendService service = SpendService.start(SpendConfig.of(overrides),
                SpendService.Options.defaults().withHttp("127.0.0.1", 0).withAdvertisedHost("127.0.0.1"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(120)).until(() -> service.state() == KafkaStreams.State.RUNNING);
            ProgressMonitor progress = new ProgressMonitor(admin, appId, topics.tokenUsage().name());
            progress.start();

            List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
            EmbeddedKafkaBroker victim = null;
            long killedAt = 0;
            long restartedAt = 0;
            long resumedAt = 0;
            long downAt = 0;
            String victimRole = "";
            boolean resumedWhileDown = false;
            try (SpendPublisher publisher = SpendPublisher.builder()
                    .bootstrapServers(cluster.bootstrapServers()).schemaRegistryUrl(cluster.schemaRegistryUrl())
                    .topicPrefix(prefix).maxBlock(Duration.ofSeconds(120)).overflowPolicy(OverflowPolicy.THROW)
                    .closeTimeout(Duration.ofSeconds(120)).build()) {
                long t0 = System.nanoTime();
                List<GpuUtilization> samples = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    String team = "team-" + (i % TEAMS);
                    Instant at = T0.plusMillis(i * 40L * 60_000 / calls); // 40 minutes of event time
                    sent.add(publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("call-" + i).setTimestamp(at)
                            .setTeam(team).setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                            .setInputTokens(1000).setOutputTokens(1000).build()).toCompletableFuture());
                    if (i % (calls / 40) == 0) {
                        // an idle self-hosted GPU a minute: fires SELF_HOSTING_DEARER and IDLE_CAPACITY (sent below)
                        samples.add(GpuUtilization.newBuilder().setTimestamp(at).setNode("n1").setGpuId("0")
                                .setGpuModel("H100-80GB").setTeam("research").setDeployment("llama").setModel("llama-3.1-8b")
                                .setUtilization(0.03).setIntervalSeconds(60).build());
                    }
                    if (i == calls / 2) {
                        int coordinator = transactionCoordinator(admin, appId);
                        Set<Integer> leading = leadersOf(admin, topics.tokenUsage().name(), coordinator);
                        victim = cluster.broker(coordinator);
                        victimRole = "node " + coordinator + ": transaction coordinator of " + appId
                                + ", leader of token-usage partitions " + leading;
                        System.out.println("failover: killing " + victimRole);
                        killedAt = System.nanoTime();
                        victim.kill();
                        downAt = System.nanoTime();
                    }
                    if (i == calls * 3 / 4 && victim != null) {
                        // fail-over, not the broker's return: the app should commit again while it is still down.
                        // It cannot when a partition it needs has no leader left: a follower that had fallen out
                        // of the ISR on the loaded machine is not elected (no unclean election), and the partition
                        // waits for the killed broker. Then the broker comes back after 90 s, and the app must
                        // resume after that; the diagnosis printed says which partitions were offline.
                        long down = downAt;
                        long committedWhenDown = progress.committedBefore(down);
                        try {
                            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                                    .until(() -> progress.committedAfter(down) > committedWhenDown);
                            resumedWhileDown = true;
                        } catch (org.awaitility.core.ConditionTimeoutException e) {
                            System.out.println("failover: no committed progress within 90 s of the kill of " + victimRole
                                    + "; starting it again\n" + diagnosis(admin, appId, topics, service));
                        }
                        assertThat(victim.isRunning()).isFalse();
                        victim.restart();
                        restartedAt = System.nanoTime();
                        if (!resumedWhileDown) {
                            try {
                                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                                        .until(() -> progress.committedAfter(down) > committedWhenDown);
                            } catch (org.awaitility.core.ConditionTimeoutException e) {
                                throw new AssertionError("no committed progress within 180 s of the restart of " + victimRole
                                        + "\n" + diagnosis(admin, appId, topics, service), e);
                            }
                        }
                        resumedAt = progress.firstMoveAfter(down);
                    }
                    // paced: the app processes while calls arrive, as in production
                    long due = t0 + (long) (i + 1) * 1_000_000_000L / perSecond;
                    long ahead = due - System.nanoTime();
                    if (ahead > 0) {
                        TimeUnit.NANOSECONDS.sleep(ahead);
                    }
                }
                // The GPU samples go after the calls are in: a sample shares its task with one input partition
                // of calls, and published during the outage it would move that task's stream time on while the
                // killed leader held the partition's calls back (at 120 times real time, a minute's outage on the
                // loaded CI machine is two hours of event time: more than any grace). In Kafka before the
                // samples, the calls come first (Kafka Streams takes a task's records in timestamp order when
                // both partitions have some), and the samples land in windows the grace still keeps open.
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
                for (GpuUtilization sample : samples) {
                    sent.add(publisher.publish(sample).toCompletableFuture());
                }
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
                // and the ticks only once the app has taken the samples: a tick read first would close
                // the samples' windows (it moves its task's stream time past them plus the grace)
                awaitConsumed(admin, appId, topics.gpuUtilization().name());
                Instant tick = T0.plus(Duration.ofMinutes(42)).plus(GRACE);
                for (int t = 0; t < TEAMS; t++) { // move every partition's stream time past the last window + grace
                    sent.add(publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("tick-" + t)
                            .setTimestamp(tick).setTeam("team-" + t).setApplication("tick")
                            .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0).setOutputTokens(0).build())
                            .toCompletableFuture());
                }
                sent.add(publisher.publish(GpuUtilization.newBuilder().setTimestamp(tick)
                        .setNode("n1").setGpuId("0").setGpuModel("H100-80GB").setTeam("research").setDeployment("llama")
                        .setModel("llama-3.1-8b").setUtilization(0.03).setIntervalSeconds(60).build()).toCompletableFuture());
                publisher.flush();
                // the publisher lost nothing: every event acknowledged (acks=all, idempotent), none dropped
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
                assertThat(publisher.meterRegistry().find(SpendPublisher.DROPPED_METER).counters())
                        .allSatisfy(c -> assertThat(c.count()).isZero());
            }
            assertThat(victim).isNotNull();

            Map<String, BigDecimal> totals = new ConcurrentHashMap<>();
            Map<String, Long> callCounts = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, TeamCostWindow> consumer = consumer(cluster, topics.teamCosts().name(), TeamCostWindow.class)) {
                Map<String, BigDecimal> want = new TreeMap<>();
                Map<String, Long> wantCalls = new TreeMap<>();
                for (int t = 0; t < TEAMS; t++) {
                    long n = calls / TEAMS + (t < calls % TEAMS ? 1 : 0);
                    // e.g. 20,000 calls: 400 a team * $0.00075 = $0.3
                    want.put("team-" + t, CALL_USD.multiply(BigDecimal.valueOf(n)).stripTrailingZeros());
                    wantCalls.put("team-" + t, n);
                }
                try {
                    awaitTotals(consumer, totals, callCounts, want);
                } catch (AssertionError | org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError(e.getMessage() + "\n" + diagnosis(admin, appId, topics, service), e);
                }
                Map<String, Long> gotCalls = new TreeMap<>();
                callCounts.forEach((k, v) -> {
                    if (k.startsWith("team-")) {
                        gotCalls.put(k, v);
                    }
                });
                assertThat(gotCalls).as("each call counted exactly once").isEqualTo(wantCalls);
            }
            Map<String, Integer> emitted = new TreeMap<>();
            try (KafkaConsumer<String, SpendAlert> consumer = consumer(cluster, topics.alerts().name(), SpendAlert.class)) {
                try {
                    await().atMost(Duration.ofSeconds(120)).until(() -> {
                        consumer.poll(Duration.ofMillis(500)).forEach(r -> emitted.merge(r.value().getAlertId(), 1, Integer::sum));
                        return emitted.size() >= 2;
                    });
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("alert transitions seen: " + emitted + "\n" + diagnosis(admin, appId, topics, service), e);
                }
                consumer.poll(Duration.ofSeconds(2)).forEach(r -> emitted.merge(r.value().getAlertId(), 1, Integer::sum));
            }
            assertThat(emitted.values()).as("alert transitions emitted more than once: %s", emitted).allMatch(n -> n == 1);
            progress.stop();

            // every topic of the app, changelogs and repartition topics included, is replicated 3 times, min ISR 2
            Set<String> names = admin.listTopics().names().get().stream()
                    .filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
            assertThat(names).anyMatch(n -> n.endsWith("-changelog"));
            for (TopicDescription d : admin.describeTopics(names).allTopicNames().get().values()) {
                assertThat(d.partitions()).as(d.name()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
            }

            System.out.printf("failover: %d calls over %d teams at %d/s; killed %s; committed progress resumed"
                            + " %.1f s after the kill %s; restarted it %.1f s after the kill;"
                            + " longest stall of committed progress after the kill %.1f s (before it %.1f s; %d samples);"
                            + " %d alert transitions, each once; stream threads replaced %d; whole test %.0f s%n",
                    calls, TEAMS, perSecond, victimRole, (resumedAt - killedAt) / 1e9,
                    resumedWhileDown ? "with the broker still down" : "(NOT while it was down: only after its restart)",
                    (restartedAt - killedAt) / 1e9,
                    progress.longestStallAfter(killedAt) / 1e9, progress.longestStallBefore(killedAt) / 1e9,
                    progress.sampleCount(), emitted.size(), service.application().threadRecovery().replacements(),
                    (System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * Two of three brokers down: below min.insync.replicas=2 (and, the nodes being controllers too,
     * without a controller quorum). Nothing published meanwhile is acknowledged, nothing is dropped:
     * the publisher's sends wait; once the brokers return every call is delivered and counted once.
     */
    /** Whatever a method left behind (a failed one may leave its victim down): every broker runs before the next. */
    @org.junit.jupiter.api.AfterEach
    void everyBrokerRunsAgain() {
        for (EmbeddedKafkaBroker b : cluster.brokers()) {
            if (!b.isRunning()) {
                b.restart();
            }
        }
    }

    @Test
    @Order(2)
    void belowMinInsyncNothingIsAcknowledgedAndTheAppRecovers(@TempDir Path dir) throws Exception {
        int calls = 2_000;
        int teams = 10;
        String prefix = "min-isr-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        LocalCommand.createTopics(cluster, prefix, 6);
        Topics topics = topics(prefix);
        publishPrices(cluster, topics);
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("bootstrap.servers", cluster.bootstrapServers());
        overrides.put("schema.registry.url", cluster.schemaRegistryUrl());
        overrides.put("application.id", prefix + "spend-monitor");
        overrides.put("state.dir", dir.resolve("state").toString());
        overrides.put(Topics.PREFIX_CONFIG, prefix);
        try (SpendService service = SpendService.start(SpendConfig.of(overrides),
                SpendService.Options.defaults().withHttp("127.0.0.1", 0).withAdvertisedHost("127.0.0.1"));
             SpendPublisher publisher = SpendPublisher.builder()
                     .bootstrapServers(cluster.bootstrapServers()).schemaRegistryUrl(cluster.schemaRegistryUrl())
                     .topicPrefix(prefix).maxBlock(Duration.ofSeconds(120)).overflowPolicy(OverflowPolicy.THROW)
                     .closeTimeout(Duration.ofSeconds(120)).build()) {
            await().atMost(Duration.ofSeconds(120)).until(() -> service.state() == KafkaStreams.State.RUNNING);
            List<CompletableFuture<RecordMetadata>> before = new ArrayList<>();
            List<CompletableFuture<RecordMetadata>> during = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                if (i == calls / 2) {
                    CompletableFuture.allOf(before.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                    for (EmbeddedKafkaBroker b : cluster.brokers().subList(1, 3)) {
                        b.kill();
                    }
                }
                String team = "team-" + (i % teams);
                (i < calls / 2 ? before : during).add(publisher.publish(SpendPublisher.tokenUsageBuilder()
                        .setEventId("call-" + i).setTimestamp(T0.plusMillis(i * 10L * 60_000 / calls)).setTeam(team)
                        .setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                        .setInputTokens(1000).setOutputTokens(1000).build()).toCompletableFuture());
            }
            long down = System.nanoTime();
            // 20 s with one broker of three: nothing acknowledged (checked all along), nothing dropped, the sends wait
            await().during(Duration.ofSeconds(20)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(during).as("acknowledged below min.insync.replicas")
                            .noneMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
            assertThat(publisher.meterRegistry().find(SpendPublisher.DROPPED_METER).counters())
                    .allSatisfy(c -> assertThat(c.count()).isZero());
            for (EmbeddedKafkaBroker b : cluster.brokers().subList(1, 3)) {
                b.restart();
            }
            long back = System.nanoTime();
            CompletableFuture.allOf(during.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
            long delivered = System.nanoTime();
            for (int t = 0; t < teams; t++) {
                publisher.publish(SpendPublisher.tokenUsageBuilder().setEventId("tick-" + t)
                        .setTimestamp(T0.plus(Duration.ofMinutes(20))).setTeam("team-" + t).setApplication("tick")
                        .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0).setOutputTokens(0).build());
            }
            publisher.flush();

            Map<String, BigDecimal> want = new TreeMap<>();
            for (int t = 0; t < teams; t++) {
                want.put("team-" + t, new BigDecimal("0.15")); // 200 calls * $0.00075
            }
            Map<String, BigDecimal> totals = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, TeamCostWindow> consumer = consumer(cluster, topics.teamCosts().name(), TeamCostWindow.class)) {
                await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(500))) {
                        totals.merge(r.key(), r.value().getApiCostUsd(), BigDecimal::add);
                    }
                    Map<String, BigDecimal> got = new TreeMap<>();
                    totals.forEach((k, v) -> got.put(k, v.stripTrailingZeros()));
                    assertThat(got).isEqualTo(want);
                });
            }
            assertThat(service.state()).isEqualTo(KafkaStreams.State.RUNNING);
            System.out.printf("min-isr: two of three brokers down for %.1f s: 0 of %d calls acknowledged meanwhile, 0 dropped;"
                            + " all delivered %.1f s after they returned; totals exact%n",
                    (back - down) / 1e9, during.size(), (delivered - back) / 1e9);
        }
    }

    private static void awaitTotals(KafkaConsumer<String, TeamCostWindow> consumer, Map<String, BigDecimal> totals,
                                    Map<String, Long> callCounts, Map<String, BigDecimal> want) {
        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (ConsumerRecord<String, TeamCostWindow> r : consumer.poll(Duration.ofMillis(500))) {
                totals.merge(r.key(), r.value().getApiCostUsd(), BigDecimal::add);
                callCounts.merge(r.key(), r.value().getApiCalls(), Long::sum);
            }
            Map<String, BigDecimal> got = new TreeMap<>();
            totals.forEach((k, v) -> {
                if (k.startsWith("team-")) {
                    got.put(k, v.stripTrailingZeros());
                }
            });
            assertThat(got).isEqualTo(want);
        });
    }

    /** Where the app stands when the totals do not come: per input partition committed vs end offsets, and its tasks. */
    private String diagnosis(Admin admin, String appId, Topics topics, SpendService service) {
        StringBuilder out = new StringBuilder("diagnosis:");
        try {
            String topic = topics.tokenUsage().name();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 6; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            for (int p = 0; p < 6; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                OffsetAndMetadata c = committed.get(tp);
                out.append(String.format("%n  %s committed %s end %d", tp, c == null ? "none" : c.offset(), ends.get(tp).offset()));
            }
            // the output side: a transaction left open on a partition holds its last stable offset (what
            // read_committed readers see) below the high watermark: output written but not readable
            String output = topics.teamCosts().name();
            int outputPartitions = admin.describeTopics(List.of(output)).allTopicNames().get(30, TimeUnit.SECONDS).get(output).partitions().size();
            Map<TopicPartition, OffsetSpec> stable = new HashMap<>();
            Map<TopicPartition, OffsetSpec> high = new HashMap<>();
            for (int p = 0; p < outputPartitions; p++) {
                stable.put(new TopicPartition(output, p), OffsetSpec.latest());
                high.put(new TopicPartition(output, p), OffsetSpec.latest());
            }
            var lso = admin.listOffsets(stable, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS);
            var hw = admin.listOffsets(high, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)).all().get(30, TimeUnit.SECONDS);
            List<TopicPartition> held = new java.util.ArrayList<>();
            for (int p = 0; p < outputPartitions; p++) {
                TopicPartition tp = new TopicPartition(output, p);
                out.append(String.format("%n  %s last stable %d high watermark %d", tp, lso.get(tp).offset(), hw.get(tp).offset()));
                if (lso.get(tp).offset() < hw.get(tp).offset()) {
                    held.add(tp);
                }
            }
            if (!held.isEmpty()) {
                admin.describeProducers(held).all().get(30, TimeUnit.SECONDS).forEach((tp, d) -> d.activeProducers().forEach(ps ->
                        out.append(String.format("%n  %s producer %d epoch %d open transaction from offset %s", tp, ps.producerId(),
                                ps.producerEpoch(), ps.currentTransactionStartOffset()))));
            }
            out.append(inputAndDeadLetters(topics));
            // partitions the app needs that have no leader, or fewer in-sync replicas than min.insync.replicas=2
            Set<String> needed = new java.util.TreeSet<>(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                    .listInternal(true)).names().get(30, TimeUnit.SECONDS));
            needed.removeIf(n -> !n.startsWith(topics.tokenUsage().name().substring(0, topics.tokenUsage().name().indexOf('.') + 1))
                    && !n.startsWith(appId) && !n.startsWith("__"));
            admin.describeTopics(needed).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) -> d.partitions().forEach(p -> {
                if (p.leader() == null || p.leader().isEmpty() || p.isr().size() < 2) {
                    out.append(String.format("%n  %s-%d leader %s isr %s", name, p.partition(),
                            p.leader() == null || p.leader().isEmpty() ? "none" : p.leader().id(),
                            p.isr().stream().map(n -> n.id()).toList()));
                }
            }));
            out.append("\n  brokers running: ").append(cluster.brokers().stream().filter(EmbeddedKafkaBroker::isRunning)
                    .map(EmbeddedKafkaBroker::nodeId).toList());
            // what admit dropped without a dead letter: copies of ids it holds for open windows
            try {
                String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(service.url() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                metrics.lines().filter(l -> l.startsWith("spend_events_duplicate_total") || l.startsWith("spend_events_rejected_total")
                        || l.startsWith("spend_evaluations_failed_total")).forEach(l -> out.append("\n  ").append(l));
            } catch (java.io.IOException | InterruptedException | RuntimeException e) {
                out.append("\n  metrics unavailable: ").append(e);
            }
            out.append("\n  state ").append(service.state()).append(", stream threads replaced ")
                    .append(service.application().threadRecovery().replacements()).append(", last failure ")
                    .append(service.application().threadRecovery().lastFailure());
            service.application().streams().metadataForLocalThreads().forEach(t -> out.append("\n  ").append(t.threadName())
                    .append(' ').append(t.threadState()).append(" active ").append(t.activeTasks().stream()
                            .map(task -> task.taskId() + "@" + task.committedOffsets()).toList()));
        } catch (Exception e) {
            out.append(" unavailable: ").append(e);
        }
        return out.toString();
    }

    /** Until the app has committed every record of {@code topic} (its end offsets when this is called). */
    private static void awaitConsumed(Admin admin, String appId, String topic) throws Exception {
        List<org.apache.kafka.common.TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get()
                .get(topic).partitions().stream().map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
        Map<org.apache.kafka.common.TopicPartition, Long> end = new HashMap<>();
        admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p,
                p -> org.apache.kafka.clients.admin.OffsetSpec.latest()))).all().get().forEach((p, o) -> end.put(p, o.offset()));
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
            return partitions.stream().allMatch(p -> end.get(p) == 0
                    || committed.get(p) != null && committed.get(p).offset() >= end.get(p));
        });
    }

    /**
     * What the app was given and what it refused: per input partition, the records whose event time
     * lies more than a window plus the grace behind the partition's latest time so far (they reached
     * Kafka out of order, so the app must take them for late), and the dead letters by reason.
     */
    private String inputAndDeadLetters(Topics topics) {
        StringBuilder out = new StringBuilder();
        long behind = Duration.ofMinutes(6).toMillis(); // the default grace (5 minutes) plus a window
        Map<Integer, long[]> disorder = new java.util.TreeMap<>();
        Map<String, Integer> reasons = new java.util.TreeMap<>();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.tokenUsage().name(), topics.deadLetter().name())) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Map<Integer, Long> latest = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.topic().equals(topics.deadLetter().name())) {
                        var reason = r.headers().lastHeader(Topics.DEAD_LETTER_REASON_HEADER);
                        reasons.merge(reason == null ? "?" : new String(reason.value(), java.nio.charset.StandardCharsets.UTF_8), 1, Integer::sum);
                    } else {
                        long max = latest.merge(r.partition(), r.timestamp(), Math::max);
                        long[] d = disorder.computeIfAbsent(r.partition(), p -> new long[2]);
                        d[0]++;
                        if (r.timestamp() < max - behind) {
                            d[1]++;
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            return "\n  input and dead letters unavailable: " + e;
        }
        disorder.forEach((p, d) -> out.append(String.format("%n  token-usage-%d: %d records, %d of them more than 6 min of event time behind the partition's latest",
                p, d[0], d[1])));
        out.append("\n  dead letters by reason: ").append(reasons);
        return out.toString();
    }

    /** The broker coordinating the app's producer transactions (exactly-once v2: one transactional id per stream thread). */
    private static int transactionCoordinator(Admin admin, String appId) throws Exception {
        String[] id = new String[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (TransactionListing t : admin.listTransactions().all().get()) {
                if (t.transactionalId().startsWith(appId)) {
                    id[0] = t.transactionalId();
                    return true;
                }
            }
            return false;
        });
        return admin.describeTransactions(List.of(id[0])).description(id[0]).get().coordinatorId();
    }

    private static Set<Integer> leadersOf(Admin admin, String topic, int node) throws Exception {
        Set<Integer> partitions = new java.util.TreeSet<>();
        for (TopicPartitionInfo p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
            if (p.leader() != null && p.leader().id() == node) {
                partitions.add(p.partition());
            }
        }
        return partitions;
    }

    private static Topics topics(String prefix) {
        return Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, prefix), new io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient());
    }

    private static void publishPrices(LocalCluster cluster, Topics topics) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        Instant from = Instant.parse("2025-01-01T00:00:00Z");
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(config)) {
            for (PriceEntry e : List.of(
                    new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                            .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                            .setEffectiveFrom(from).build()),
                    new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(new BigDecimal("2.400000000"))
                            .setEffectiveFrom(from).build()),
                    new PriceEntry(SelfHostProfile.newBuilder().setModel("llama-3.1-8b").setGpuModel("H100-80GB").setGpusPerReplica(1)
                            .setTokensPerSecondPerReplica(2500).setTargetUtilization(0.6).setMinReplicas(1)
                            .setOverheadUsdPerHour(new BigDecimal("0E-9")).setApiEquivalent("openai/gpt-4o-mini")
                            .setEffectiveFrom(from).build()))) {
                producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(e), e)).get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static <T extends SpecificRecord> KafkaConsumer<String, T> consumer(LocalCluster cluster, String topic, Class<T> type) {
        KafkaConsumer<String, T> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "failover-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                AvroDeserializer.SPECIFIC_VALUE_TYPE, type.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * Samples the app's committed offsets on the input topic every 100 ms: a stall is a stretch in which
     * they did not move although input was waiting (end offsets ahead of them).
     */
    private static final class ProgressMonitor {
        private final Admin admin;
        private final String group;
        private final String topic;
        private final List<long[]> samples = java.util.Collections.synchronizedList(new ArrayList<>()); // {nanos, committed, end}
        /** One sample every 100 ms, on a thread of its own. */
        private final java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "failover-progress");
            t.setDaemon(true);
            return t;
        });

        ProgressMonitor(Admin admin, String group, String topic) {
            this.admin = admin;
            this.group = group;
            this.topic = topic;
        }

        void start() {
            sampler.scheduleWithFixedDelay(() -> {
                try {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                    long sum = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                            .mapToLong(e -> e.getValue().offset()).sum();
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    for (int p = 0; p < 6; p++) {
                        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                    }
                    long end = admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS).values().stream()
                            .mapToLong(i -> i.offset()).sum();
                    samples.add(new long[] {System.nanoTime(), sum, end});
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    // a broker is down or a coordinator moved: this sample is missing, which the stall covers
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }

        void stop() throws InterruptedException {
            sampler.shutdownNow();
            sampler.awaitTermination(10, TimeUnit.SECONDS);
        }

        int sampleCount() {
            return samples.size();
        }

        /** The committed offsets (summed) of the last sample taken before {@code nanos}; 0 if none. */
        long committedBefore(long nanos) {
            long committed = 0;
            synchronized (samples) {
                for (long[] s : samples) {
                    if (s[0] < nanos) {
                        committed = s[1];
                    }
                }
            }
            return committed;
        }

        /** The highest committed offsets (summed) sampled at or after {@code nanos}; -1 if none. */
        long committedAfter(long nanos) {
            long committed = -1;
            synchronized (samples) {
                for (long[] s : samples) {
                    if (s[0] >= nanos) {
                        committed = Math.max(committed, s[1]);
                    }
                }
            }
            return committed;
        }

        /** When the committed offsets first moved past those of the last sample before {@code nanos}. */
        long firstMoveAfter(long nanos) {
            long before = committedBefore(nanos);
            synchronized (samples) {
                for (long[] s : samples) {
                    if (s[0] >= nanos && s[1] > before) {
                        return s[0];
                    }
                }
            }
            return nanos;
        }

        long longestStallAfter(long from) {
            return longestStall(from, Long.MAX_VALUE);
        }

        long longestStallBefore(long until) {
            return longestStall(Long.MIN_VALUE, until);
        }

        /** The longest time between two moves of the committed offsets while input was waiting, within [from, until). */
        private long longestStall(long from, long until) {
            List<long[]> copy;
            synchronized (samples) {
                copy = new ArrayList<>(samples);
            }
            long longest = 0;
            long lastMove = -1;
            long lastCommitted = -1;
            for (long[] s : copy) {
                if (s[0] < from || s[0] >= until) {
                    continue;
                }
                if (lastMove < 0 || s[1] != lastCommitted) {
                    if (lastMove >= 0) {
                        longest = Math.max(longest, s[0] - lastMove);
                    }
                    lastMove = s[0];
                    lastCommitted = s[1];
                } else if (s[1] >= s[2]) {
                    lastMove = s[0]; // caught up: nothing to wait for is no stall
                }
            }
            return longest;
        }
    }
}
