package io.spendmonitor.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two {@code run} instances against one broker: either answers for every team, /metrics summed over
 * both equals the totals, the API shapes are pinned, the live page draws its charts in a real
 * browser, and when one instance stops the other takes over.
 */
@ExtendWith(KafkaClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpendServiceIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int TEAMS = 8;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final KafkaCluster cluster;
    private final List<SpendService> services = new ArrayList<>();
    private Topics topics;

    SpendServiceIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void startTwoInstancesWithTraffic() throws IOException {
        String prefix = "svc-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        for (int i = 0; i < 2; i++) {
            Map<String, Object> overrides = new HashMap<>();
            overrides.put("bootstrap.servers", cluster.bootstrapServers());
            overrides.put("schema.registry.url", cluster.schemaRegistryUrl());
            overrides.put("application.id", prefix + "spend-monitor");
            overrides.put("state.dir", Files.createTempDirectory("svc-state-" + i).toString());
            overrides.put(Topics.PREFIX_CONFIG, prefix);
            overrides.put(SpendApplication.TOPIC_PARTITIONS, "6");
            overrides.put("commit.interval.ms", "200");
            services.add(SpendService.start(SpendConfig.of(overrides),
                    SpendService.Options.defaults().withHttp("127.0.0.1", 0).withAdvertisedHost("127.0.0.1")));
        }
        topics = services.get(0).application().topics();
        await().atMost(Duration.ofSeconds(90)).until(() -> services.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING));
        publish();
    }

    @AfterAll
    void stop() {
        services.forEach(SpendService::close);
    }

    /** Each team: 10 minutes of one gpt-4o-mini call a minute, 1,000 in + 1,000 out = (150 + 600) / 1e6 = $0.00075. */
    private void publish() {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            Instant from = Instant.parse("2025-01-01T00:00:00Z");
            send(producer, topics.priceCatalog().name(), new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai")
                    .setModel("gpt-4o-mini").setInputUsdPerMtok(usd("0.15")).setOutputUsdPerMtok(usd("0.60"))
                    .setEffectiveFrom(from).build()));
            send(producer, topics.priceCatalog().name(), new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB")
                    .setUsdPerHour(usd("2.40")).setEffectiveFrom(from).build()));
            send(producer, topics.priceCatalog().name(), new PriceEntry(SelfHostProfile.newBuilder().setModel("llama-3.1-8b")
                    .setGpuModel("H100-80GB").setGpusPerReplica(1).setTokensPerSecondPerReplica(2500).setTargetUtilization(0.6)
                    .setMinReplicas(1).setOverheadUsdPerHour(usd("0")).setApiEquivalent("openai/gpt-4o-mini")
                    .setEffectiveFrom(from).build()));
            // a daily budget for team-1 ($0.01: 10 minutes of $0.00075 use 75 % of it)
            producer.send(new ProducerRecord<>(topics.teamBudgets().name(), "team-1", io.spendmonitor.avro.TeamBudget.newBuilder()
                    .setTeam("team-1").setDailyUsd(usd("0.01")).setMonthlyUsd(usd("1")).setEffectiveFrom(from).build()));
            // and a daily budget of team-1's calls for customer acme ($0.01; 5 of them, $0.00375, use 37.5 %)
            io.spendmonitor.avro.TeamBudget acme = io.spendmonitor.avro.TeamBudget.newBuilder().setTeam("team-1")
                    .setDailyUsd(usd("0.01")).setEffectiveFrom(from).setLabel(java.util.Map.of("customer", "acme")).build();
            producer.send(new ProducerRecord<>(topics.teamBudgets().name(), io.spendmonitor.schemas.BudgetKeys.key(acme), acme));
            producer.flush();
            // a call priced before its price reached the instance is counted unpriced, as it should be:
            // the calls go out once both instances' catalogs hold the three entries (CI saw one call lost).
            // The budgets too are in the (global) stores first: one that arrives late starts from the kept windows,
            // but at the team's next evaluation, and this test's stream time stops at 10:20
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    services.stream().allMatch(s -> s.application().catalog().size() >= 3 && budgetsIn(s) == 2));
            for (int minute = 0; minute < 10; minute++) {
                for (int t = 0; t < TEAMS; t++) {
                    String team = "team-" + t;
                    producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                            .setEventId(team + "-" + minute).setTimestamp(T0.plus(Duration.ofMinutes(minute)).plusSeconds(t))
                            .setTeam(team).setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                            .setInputTokens(1000).setOutputTokens(1000)
                            // every team sends the same 3 prompts again and again (the repeated-prompt panels have data)
                            .setPromptHash(String.format("%064x", (minute % 3) + 1))
                            // and name a customer (the attribution panel has data)
                            .setLabels(java.util.Map.of("customer", minute % 2 == 0 ? "acme" : "globex")).build()));
                }
                // team-0 also runs one H100 at 10 %: 60 s * $2.40/h = $0.04 a minute
                producer.send(new ProducerRecord<>(topics.gpuUtilization().name(), "team-0", GpuUtilization.newBuilder()
                        .setTimestamp(T0.plus(Duration.ofMinutes(minute)).plusSeconds(30)).setNode("n1").setGpuId("0")
                        .setGpuModel("H100-80GB").setTeam("team-0").setDeployment("llama").setModel("llama-3.1-8b")
                        .setUtilization(0.1).setIntervalSeconds(60).build()));
            }
            // one call with negative tokens (dead-lettered), so every dashboard and rule has a series to read
            producer.send(new ProducerRecord<>(topics.tokenUsage().name(), "team-2", TokenUsage.newBuilder()
                    .setEventId("bad-1").setTimestamp(T0.plusSeconds(5)).setTeam("team-2").setApplication("app")
                    .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(-1).setOutputTokens(0).build()));
            for (int t = 0; t < TEAMS; t++) { // move every partition's stream time past the last window + grace
                String team = "team-" + t;
                producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                        .setEventId(team + "-tick").setTimestamp(T0.plus(Duration.ofMinutes(20))).setTeam(team)
                        .setApplication("tick").setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0)
                        .setOutputTokens(0).build()));
            }
        }
    }

    /** The budget records in an instance's budget store (a global store: each instance holds them all; 0 while it cannot be queried). */
    private static long budgetsIn(SpendService service) {
        long n = 0;
        try (var it = service.application().streams().store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                io.spendmonitor.streams.topology.SpendTopology.BUDGET_STORE,
                org.apache.kafka.streams.state.QueryableStoreTypes.<String, io.spendmonitor.avro.TeamBudget>keyValueStore())).all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return 0;
        }
        return n;
    }

    private static void send(KafkaProducer<String, SpecificRecord> producer, String topic, PriceEntry entry) {
        producer.send(new ProducerRecord<>(topic, PriceKeys.key(entry), entry));
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }

    @Test
    @Order(1)
    void eitherInstanceAnswersForEveryTeam() {
        for (SpendService service : services) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(teamNames(get(service, "/api/teams"))).hasSize(TEAMS));
        }
        for (int t = 0; t < TEAMS; t++) {
            String path = "/api/teams/team-" + t;
            // until the group has settled (a probing rebalance may still move tasks), then both agree
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode fromFirst = get(services.get(0), path);
                JsonNode fromSecond = get(services.get(1), path);
                // 10 finalized minutes of $0.00075
                assertThat(fromFirst.at("/totals/api_cost_usd").asText()).isEqualTo("0.007500000");
                assertThat(fromFirst).isEqualTo(fromSecond);
            });
        }
        assertThat(status(services.get(1), "/api/teams/nobody")).isEqualTo(404);
    }

    @Test
    @Order(2)
    void theApiShapesArePinned() {
        JsonNode team = get(services.get(0), "/api/teams/team-0");
        assertThat(fields(team)).containsExactly("team", "window", "horizon", "break_even", "alerts", "budget", "totals",
                "provisional", "recent", "repeats");
        assertThat(fields(team.get("window"))).containsExactly("start", "end", "final", "api_cost_usd", "gpu_cost_usd",
                "idle_cost_usd", "tokens", "selfhost_tokens", "api_calls", "unpriced_calls", "idle_gpus");
        assertThat(fields(team.at("/window/tokens"))).containsExactly("input", "cached", "cache_write", "output");
        assertThat(fields(team.get("break_even").get(0))).containsExactly("profile", "gpu_model", "mode", "api_model",
                "minutes", "replicas", "gpus", "actual_usd", "counterfactual_usd", "ratio", "savings_usd_per_hour", "throughput");
        assertThat(team.at("/break_even/0/actual_usd").isTextual()).isTrue(); // money as decimal strings

        // exact sums over [10:02, 10:05): three windows of $0.00075 and, for team-0, of $0.04 GPU
        JsonNode cost = get(services.get(1), "/api/teams/team-0/cost?from=2026-03-02T10:02:00Z&to=2026-03-02T10:05:00Z");
        assertThat(fields(cost)).containsExactly("team", "from", "to", "windows", "api_cost_usd", "gpu_cost_usd",
                "busy_cost_usd", "idle_cost_usd", "tokens", "selfhost_tokens", "api_calls");
        assertThat(cost.get("windows").asInt()).isEqualTo(3);
        assertThat(cost.get("api_cost_usd").asText()).isEqualTo("0.002250000");   // 3 * 0.00075
        assertThat(cost.get("gpu_cost_usd").asText()).isEqualTo("0.120000000");   // 3 * 60 / 3600 * 2.40
        assertThat(cost.get("busy_cost_usd").asText()).isEqualTo("0.012000000");  // 10 % of it
        assertThat(cost.get("idle_cost_usd").asText()).isEqualTo("0.108000000");
        assertThat(status(services.get(0), "/api/teams/team-0/cost?from=nonsense&to=2026-03-02T10:05:00Z")).isEqualTo(400);

        JsonNode alerts = get(services.get(0), "/api/alerts");
        assertThat(fields(alerts)).containsExactlyInAnyOrder("active", "recent", "partial");
        assertThat(alerts.get("partial").asBoolean()).isFalse(); // both instances answered
        assertThat(get(services.get(1), "/api/teams").get("partial").asBoolean()).isFalse();
        JsonNode health = get(services.get(0), "/health");
        assertThat(health.get("status").asText()).isEqualTo("UP");
    }

    @Test
    @Order(2)
    void theLiveFieldsOfTheApi() {
        // stream time 10:20, grace 5 minutes: windows up to 10:15 are final, the ticks' 10:20 windows are open
        JsonNode teams = get(services.get(1), "/api/teams");
        JsonNode team0 = teams.get("teams").get(0);
        assertThat(fields(team0)).containsExactly("team", "api_usd_per_hour", "gpu_usd_per_hour", "idle_gpus", "break_even",
                "alerts", "last_window_end", "rate", "provisional", "budget_used");
        // the latest final minute, 10:14, had no traffic (it stopped at 10:10): 0 $/h, whatever the horizon average says
        assertThat(fields(team0.get("rate"))).containsExactly("window_start", "window_end", "final", "api_usd_per_hour", "gpu_usd_per_hour");
        assertThat(team0.at("/rate/window_end").asText()).isEqualTo("2026-03-02T10:15:00Z");
        assertThat(team0.at("/rate/api_usd_per_hour").asText()).isEqualTo("0.000000000");
        assertThat(team0.at("/rate/gpu_usd_per_hour").asText()).isEqualTo("0.000000000");
        assertThat(team0.get("api_usd_per_hour").asText()).isNotEqualTo("0.000000000"); // the horizon average still has the 10 busy minutes
        assertThat(fields(team0.at("/provisional/0"))).containsExactly("start", "end", "final", "api_cost_usd", "gpu_cost_usd");
        assertThat(team0.at("/provisional/0/start").asText()).isEqualTo("2026-03-02T10:20:00Z");
        assertThat(team0.at("/provisional/0/final").asBoolean(true)).isFalse();
        assertThat(team0.get("budget_used").isNull()).isTrue(); // no budget
        // team-1: $0.0075 of $0.01 a day and of $1 a month
        JsonNode team1 = teams.get("teams").get(1);
        assertThat(team1.at("/budget_used/day").asDouble()).isEqualTo(0.75);
        assertThat(team1.at("/budget_used/month").asDouble()).isEqualTo(0.0075);
        JsonNode budget = get(services.get(0), "/api/teams/team-1").at("/budget/day");
        assertThat(fields(budget)).containsExactly("period", "spend_usd", "budget_usd", "used", "forecast_usd");
        // 10:15 is 615 of the day's 1,440 minutes: 0.0075 * 1440 / 615 = 10.8 / 615 = 0.0175609756... -> 0.017560976
        assertThat(budget.get("forecast_usd").asText()).isEqualTo("0.017560976");
        JsonNode label = get(services.get(0), "/api/teams/team-1").at("/budget/labels/0");
        assertThat(label.get("label").asText()).isEqualTo("customer=acme");
        assertThat(label.at("/day/spend_usd").asText()).isEqualTo("0.003750000"); // 5 * $0.00075
        assertThat(label.at("/day/used").asDouble()).isEqualTo(0.375);
        assertThat(label.at("/month/budget_usd").isNull()).isTrue();
        JsonNode recent = get(services.get(0), "/api/teams/team-0").get("recent");
        assertThat(recent.get("minutes").asInt()).isEqualTo(15);
        // 10:00 .. 10:15: the 10 busy minutes of $0.00075 and of $0.04 GPU
        assertThat(recent.at("/models/0/cost_usd").asText()).isEqualTo("0.007500000");
        assertThat(recent.at("/models/0/usd_per_hour").asText()).isEqualTo("0.030000000");     // 0.0075 * 60 / 15
        assertThat(recent.at("/deployments/0/gpu_cost_usd").asText()).isEqualTo("0.400000000");
        assertThat(recent.at("/deployments/0/usd_per_hour").asText()).isEqualTo("1.600000000"); // 0.4 * 4
        assertThat(recent.at("/deployments/0/idle_share").asDouble()).isEqualTo(0.9);
        // the even minutes name customer acme, the odd ones globex: 5 calls of $0.00075 each
        assertThat(recent.at("/attribution/0/key").asText()).isEqualTo("customer");
        assertThat(recent.at("/attribution/0/value").asText()).isEqualTo("acme");
        assertThat(recent.at("/attribution/0/cost_usd").asText()).isEqualTo("0.003750000");     // 5 * 0.00075
        assertThat(recent.at("/attribution/1/value").asText()).isEqualTo("globex");
        assertThat(recent.at("/attribution/1/calls").asLong()).isEqualTo(5);

        // the break-even history: team-1's first evaluation (10:00-10:01) against one H100 at $2.40/h:
        // 0.00075 / 0.04 = 0.01875, savings (0.00075 - 0.04) * 60 = -2.355 $/h
        JsonNode history = get(services.get(0), "/api/teams/team-1/breakeven?minutes=60");
        assertThat(fields(history)).containsExactly("team", "from", "to", "profiles");
        JsonNode profile = history.at("/profiles/0");
        assertThat(fields(profile)).containsExactly("profile", "mode", "api_model", "points");
        assertThat(profile.get("profile").asText()).isEqualTo("llama-3.1-8b");
        assertThat(profile.get("points").size()).isEqualTo(15); // the minutes ending 10:01 .. 10:15
        assertThat(fields(profile.at("/points/0"))).containsExactly("end", "ratio", "savings_usd_per_hour");
        assertThat(profile.at("/points/0/end").asLong()).isEqualTo(T0.plusSeconds(60).toEpochMilli());
        assertThat(profile.at("/points/0/ratio").asDouble()).isCloseTo(0.01875, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(profile.at("/points/0/savings_usd_per_hour").asText()).isEqualTo("-2.355000000");
        assertThat(status(services.get(0), "/api/teams/team-1/breakeven?minutes=0")).isEqualTo(400);

        // team-1's alerts: the daily forecast ($0.0177 > $0.01) fired
        JsonNode alerts = get(services.get(1), "/api/teams/team-1/alerts");
        assertThat(fields(alerts)).containsExactly("team", "active", "recent", "partial");
        assertThat(alerts.get("recent").findValuesAsText("team")).containsOnly("team-1");
        assertThat(alerts.get("recent").findValuesAsText("type")).contains("BUDGET");

        JsonNode timeline = get(services.get(0), "/api/timeline?minutes=60");
        for (JsonNode p : timeline.get("points")) {
            // final exactly when the window ended by 10:15
            assertThat(p.get("final").asBoolean()).as(p.toString())
                    .isEqualTo(p.get("start").asLong() < T0.plus(Duration.ofMinutes(15)).toEpochMilli());
        }
    }

    @Test
    @Order(3)
    void metricsSummedOverInstancesEqualTheTotals() {
        // 8 teams * 10 minutes * $0.00075 = $0.06 of API spend; team-0's GPU: 10 * $0.04 = $0.40
        assertThat(sumOverInstances("llm_api_cost_usd_total", "")).isCloseTo(0.06, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(sumOverInstances("gpu_cost_usd_total", "")).isCloseTo(0.40, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(sumOverInstances("llm_tokens_total", "type=\"output\"")).isEqualTo(80_000.0); // 8 * 10 * 1000
        String metrics = text(services.get(0), "/metrics");
        assertThat(metrics).contains("kafka_stream_thread_process_rate").contains("jvm_memory_used_bytes")
                .contains("# TYPE llm_api_cost_usd_total counter").contains("llm_selfhost_vs_api_ratio{");
    }

    @Test
    @Order(4)
    void everyDashboardQueryAndAlertRuleReturnsDataOnARealPrometheus() throws Exception {
        Path dashboards = Path.of("..", "dashboards").toAbsolutePath().normalize();
        assertThat(Path.of("/usr/bin/prometheus")).as("Debian's prometheus package; .ci/run installs it").exists();
        Path work = Files.createTempDirectory("spend-prometheus");
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String targets = services.stream().map(s -> "\"" + s.url().substring("http://".length()) + "\"")
                .collect(java.util.stream.Collectors.joining(", "));
        Files.writeString(work.resolve("prometheus.yml"), "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                + "scrape_configs:\n  - job_name: spend-monitor\n    static_configs: [{targets: [" + targets + "]}]\n");
        Process prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + work.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + work.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        String prom = "http://127.0.0.1:" + port;
        try {
            // both instances scraped at least three times, so rate() over them has data
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(promValue(prom, "min(count_over_time(up{job=\"spend-monitor\"}[1m])) and on() count(up == 1) == 2"))
                            .isGreaterThanOrEqualTo(3));
            Process eval = new ProcessBuilder(dashboards.resolve("eval-queries.sh").toString(), prom)
                    .redirectErrorStream(true).redirectOutput(work.resolve("eval.log").toFile()).start();
            assertThat(eval.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(eval.exitValue()).as("dashboards/eval-queries.sh:%n%s", Files.readString(work.resolve("eval.log"))).isZero();

            // every alert rule's expression, without its final comparison, returns series
            for (String line : Files.readAllLines(dashboards.resolve("prometheus/rules/spend-monitor.rules.yml"))) {
                String trimmed = line.trim();
                if (!trimmed.startsWith("expr:")) {
                    continue;
                }
                String expr = trimmed.substring("expr:".length()).replaceAll("\\s#.*$", "").trim();
                String base = expr.replaceAll("\\s*(==|>=|<=|>|<)\\s*[0-9.]+(\\s*(<|>)\\s*[0-9.]+)?\\s*$", "");
                JsonNode answer = promQuery(prom, base);
                assertThat(answer.get("status").asText()).as("rule %s: %s", expr, answer).isEqualTo("success");
                assertThat(answer.at("/data/result").size()).as("rule %s returns no series", base).isPositive();
            }
        } finally {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static double promValue(String prom, String expr) {
        JsonNode result = promQuery(prom, expr).at("/data/result");
        return result.size() == 0 ? 0 : Double.parseDouble(result.get(0).get("value").get(1).asText());
    }

    private static JsonNode promQuery(String prom, String expr) {
        try {
            String url = prom + "/api/v1/query?query=" + java.net.URLEncoder.encode(expr, java.nio.charset.StandardCharsets.UTF_8);
            return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @Order(5)
    void theLivePageDrawsItsChartsInABrowser() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assertThat(chromium).as("Debian's chromium (apt-get install chromium); .ci/run installs it").exists();
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        String url = services.get(0).url() + "/";
        // one browser run a page (a start costs ~10 s here): the DOM and the screenshot together
        Path screenshot = target.resolve("live-page.png");
        String dom = chromium(chromium, target, "--dump-dom", "--screenshot=" + screenshot, "--window-size=1400,1500",
                "--hide-scrollbars", "--virtual-time-budget=8000", url);
        assertThat(dom).contains("data-loaded=\"true\"").doesNotContain("data-errors");
        assertThat(consoleLines(target)).as("console messages of the overview").isEmpty();
        assertThat(points(dom, "chart-spend")).isGreaterThanOrEqualTo(10);
        assertThat(points(dom, "chart-teams")).isGreaterThanOrEqualTo(10 * TEAMS);
        // the break-even history in event time: every team's profile has a ratio for each evaluated minute
        assertThat(points(dom, "chart-ratio")).isGreaterThanOrEqualTo(10 * TEAMS);
        assertThat(dom).contains("team-7").contains("href=\"/teams/team-7\"");

        // the team page: team-0 has API calls and one H100 at 10 %
        String teamUrl = services.get(0).url() + "/teams/team-0";
        Path teamShot = target.resolve("team-page.png");
        String team = chromium(chromium, target, "--dump-dom", "--screenshot=" + teamShot, "--window-size=1400,1900",
                "--hide-scrollbars", "--virtual-time-budget=8000", teamUrl);
        assertThat(team).contains("data-loaded=\"true\"").doesNotContain("data-errors");
        assertThat(consoleLines(target)).as("console messages of the team page").isEmpty();
        assertThat(points(team, "chart-team-spend")).isGreaterThanOrEqualTo(10);
        assertThat(points(team, "chart-breakeven")).isGreaterThanOrEqualTo(10);
        assertThat(points(team, "models")).isEqualTo(1);       // openai/gpt-4o-mini
        assertThat(points(team, "deployments")).isEqualTo(1);  // llama
        assertThat(points(team, "labels")).isEqualTo(2);       // customer = acme, globex
        // the range picker's first range: the hour up to the open 10:20 window's end: 10:00..10:09 and 10:20
        assertThat(team).containsPattern("id=\"range-result\"[^>]*data-windows=\"11\"");

        assertThat(screenshot).exists();
        assertThat(Files.size(screenshot)).isGreaterThan(20_000);
        assertThat(Files.size(teamShot)).isGreaterThan(20_000);
    }

    @Test
    @Order(5)
    void anEventShowsOnThePageAsTheOpenMinuteWithinSeconds() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        // 1M in + 1M out of gpt-4o-mini = 0.15 + 0.60 = $0.75, in team-3's open 10:20 window (stream time is 10:20)
        long sent = System.nanoTime();
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            producer.send(new ProducerRecord<>(topics.tokenUsage().name(), "team-3", TokenUsage.newBuilder()
                    .setEventId("team-3-open").setTimestamp(T0.plus(Duration.ofMinutes(20)).plusSeconds(30)).setTeam("team-3")
                    .setApplication("app").setProvider("openai").setModel("gpt-4o-mini")
                    .setInputTokens(1_000_000).setOutputTokens(1_000_000).build()));
        }
        // the API first (polled every 50 ms: how fresh the open minute is), then the page
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(get(services.get(1), "/api/teams").get("teams").get(3).at("/provisional/0/api_cost_usd").asText())
                        .isEqualTo("0.750000000"));
        long apiMs = (System.nanoTime() - sent) / 1_000_000;
        String url = services.get(1).url() + "/";
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String dom = chromium(chromium, target, "--dump-dom", "--virtual-time-budget=2000", url);
            assertThat(dom).containsPattern("<tr data-team=\"team-3\">(?:(?!</tr>).)*data-open=\"0.75\"");
        });
        long pageMs = (System.nanoTime() - sent) / 1_000_000;
        System.out.println("event to /api/teams provisional: " + apiMs + " ms; to the page (a headless browser start included): "
                + pageMs + " ms");
        JsonNode open = get(services.get(0), "/api/teams").get("teams").get(3);
        assertThat(open.get("team").asText()).isEqualTo("team-3");
        assertThat(open.at("/provisional/0/start").asText()).isEqualTo("2026-03-02T10:20:00Z");
        assertThat(open.at("/provisional/0/final").asBoolean(true)).isFalse();
        assertThat(open.at("/provisional/0/api_cost_usd").asText()).isEqualTo("0.750000000"); // 0 (the tick) + 0.75
    }

    @Test
    @Order(6)
    void whenOneInstanceStopsTheOtherTakesOver() {
        double before = sumOverInstances("llm_api_cost_usd_total", "");
        services.remove(1).close();
        SpendService survivor = services.get(0);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(teamNames(get(survivor, "/api/teams"))).hasSize(TEAMS);
            assertThat(sumOverInstances("llm_api_cost_usd_total", "")).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-9));
        });
        assertThat(get(survivor, "/api/teams/team-5").at("/totals/api_cost_usd").asText()).isEqualTo("0.007500000");
    }

    /** Console messages chromium logged (--enable-logging=stderr --v=0): errors, CSP refusals, uncaught exceptions. */
    private static List<String> consoleLines(Path target) throws IOException {
        return Files.readAllLines(target.resolve("chromium.err")).stream().filter(l -> l.contains(":CONSOLE")).toList();
    }

    private static int points(String dom, String chartId) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("id=\"" + chartId + "\"[^>]*data-points=\"(\\d+)\"").matcher(dom);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String chromium(Path chromium, Path target, String... args) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path out = target.resolve("chromium.out");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(target.resolve("chromium.err").toFile()).start();
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return Files.readString(out);
    }

    /** Sum of every series of {@code metric} whose labels contain {@code labelText}, over all instances. */
    private double sumOverInstances(String metric, String labelText) {
        double sum = 0;
        for (SpendService service : services) {
            for (String line : text(service, "/metrics").split("\n")) {
                if (line.startsWith(metric + "{") && line.substring(0, line.lastIndexOf(' ')).contains(labelText)) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    private static TreeSet<String> teamNames(JsonNode teams) {
        TreeSet<String> names = new TreeSet<>();
        teams.get("teams").forEach(t -> names.add(t.get("team").asText()));
        return names;
    }

    private static JsonNode get(SpendService service, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static int status(SpendService service, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String text(SpendService service, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
