package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import io.spendmonitor.schemas.registry.SchemaRegistrySettings;
import org.apache.kafka.clients.admin.Admin;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.SpendApplication;
import io.spendmonitor.streams.SpendService;
import io.spendmonitor.streams.config.SpendConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code whatif} without --prices against the live app on the same events, on the real broker and
 * registry: for every team its totals equal {@code GET /api/teams/{team}/cost} over the same range,
 * to the nano-dollar, with duplicates, unpriced calls, GPU samples, late events and a reused id.
 */
@ExtendWith(KafkaClusterExtension.class)
class WhatifIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final String FROM = "2026-03-02T09:00:00Z";
    private static final String TO = "2026-03-02T12:00:00Z";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaCluster cluster;

    WhatifIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void whatifWithoutPricesEqualsTheLiveCostOfEveryTeam() throws Exception {
        String prefix = "whatif-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", cluster.schemaRegistryUrl());
        config.put("application.id", prefix + "app");
        config.put("state.dir", Files.createTempDirectory("whatif-state").toString());
        config.put(Topics.PREFIX_CONFIG, prefix);
        config.put(SpendApplication.TOPIC_PARTITIONS, "2");
        config.put("commit.interval.ms", "200");
        // partition 0 holds the GPU team (its events within 4 minutes: nothing there is ever late, whatever the
        // order the app reads its two topics in); partition 1 the teams whose stream time jumps and makes events late
        String gpuTeam = teamIn(0, "research");
        List<String> tokenTeams = List.of(teamIn(1, "search"), teamIn(1, "support"), teamIn(1, "ads"));
        // the prices are on their topic before the app starts: it loads them before it reads an event (prices
        // published while it runs reach its catalog a moment later, and an event priced before is unpriced for good)
        Topics topics;
        try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(SchemaRegistrySettings.fromConfig(config));
             Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            topics = Topics.fromConfig(config, registry);
            admin.createTopics(topics.newTopics(2, Optional.of((short) 1))).all().get(30, TimeUnit.SECONDS);
            publishPrices(topics);
        }
        try (SpendService service = SpendService.start(SpendConfig.of(config),
                SpendService.Options.defaults().withHttp("127.0.0.1", 0).withAdvertisedHost("127.0.0.1"))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> service.state() == KafkaStreams.State.RUNNING);
            publish(topics, gpuTeam, tokenTeams);
            HttpClient http = HttpClient.newHttpClient();
            // replay once the app has read them all (a schema just registered is not at once readable by id everywhere)
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create(service.url() + "/api/teams")).build(), HttpResponse.BodyHandlers.ofString()).body()).toString())
                    .contains(gpuTeam).contains(tokenTeams.get(0)).contains(tokenTeams.get(1)).contains(tokenTeams.get(2)));

            CliRun run = CliRun.of("whatif", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                    "-X", Topics.PREFIX_CONFIG + "=" + prefix, "--from", FROM, "--to", TO, "--json");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            JsonNode report = JSON.readTree(run.out());
            assertThat(report.get("teams")).hasSize(4);
            List<String> all = new ArrayList<>(tokenTeams);
            all.add(gpuTeam);
            assertThat(run.err()).doesNotContain("undecodable");
            for (String team : all) {
                JsonNode replayed = null;
                for (JsonNode t : report.get("teams")) {
                    if (t.get("team").asText().equals(team)) {
                        replayed = t.get("actual");
                    }
                }
                assertThat(replayed).as(team).isNotNull();
                JsonNode expected = replayed;
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(service.url() + "/api/teams/" + team
                            + "/cost?from=" + FROM + "&to=" + TO)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(live.statusCode()).isEqualTo(200);
                    JsonNode cost = JSON.readTree(live.body());
                    for (String field : List.of("windows", "api_cost_usd", "gpu_cost_usd", "busy_cost_usd", "idle_cost_usd",
                            "tokens", "selfhost_tokens", "api_calls")) {
                        assertThat(expected.get(field)).as(team + " " + field + "\nwhatif: " + expected + "\nlive: " + cost + "\n" + run.err()).isEqualTo(cost.get(field));
                    }
                });
            }
            // export focus from the same replay: EffectiveCost summed per SubAccountId = the team's live /cost (API + GPU)
            java.nio.file.Path focus = Files.createTempFile("focus", ".csv");
            CliRun export = CliRun.of("export", "focus", "-b", cluster.bootstrapServers(), "-r", cluster.schemaRegistryUrl(),
                    "-X", Topics.PREFIX_CONFIG + "=" + prefix, "--from", FROM, "--to", TO, "--granularity", "hour",
                    "--output", focus.toString());
            assertThat(export.exitCode()).as(export.toString()).isZero();
            Map<String, BigDecimal> effective = new HashMap<>();
            for (Map<String, String> row : ExportFocusCommandTest.parse(Files.readString(focus, StandardCharsets.UTF_8))) {
                effective.merge(row.get("SubAccountId"), new BigDecimal(row.get("EffectiveCost")), BigDecimal::add);
            }
            assertThat(effective).containsOnlyKeys(all);
            for (String team : all) {
                JsonNode cost = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(service.url() + "/api/teams/" + team
                        + "/cost?from=" + FROM + "&to=" + TO)).build(), HttpResponse.BodyHandlers.ofString()).body());
                BigDecimal live = new BigDecimal(cost.get("api_cost_usd").asText()).add(new BigDecimal(cost.get("gpu_cost_usd").asText()));
                assertThat(effective.get(team)).as(team + " " + cost).isEqualByComparingTo(live);
            }
            // by hand: search's 10 minutes of $0.00075 (each sent twice: counted once), the tick, and the reuse of
            // id search-3 at 10:04:01: stream time was then 10:09:03, so the 10:03 window was final and its ids
            // forgotten: counted; the two calls sent after the tick are late: 12 * 0.00075 = 0.009
            JsonNode search = null;
            for (JsonNode t : report.get("teams")) {
                if (t.get("team").asText().equals(tokenTeams.get(0))) {
                    search = t.get("actual");
                }
            }
            assertThat(search.get("api_cost_usd").asText()).isEqualTo("0.009000000");
            assertThat(search.get("unpriced_calls").asInt()).isEqualTo(1);
        }
    }

    /** A team name (base, base-1, base-2, ...) whose records go to {@code partition} of 2. */
    private static String teamIn(int partition, String base) {
        for (int i = 0; ; i++) {
            String name = i == 0 ? base : base + "-" + i;
            if (Utils.toPositive(Utils.murmur2(name.getBytes(StandardCharsets.UTF_8))) % 2 == partition) {
                return name;
            }
        }
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()));
    }

    private void publishPrices(Topics topics) {
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            Instant pricesFrom = Instant.parse("2025-01-01T00:00:00Z");
            for (PriceEntry e : List.of(
                    new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                            .setInputUsdPerMtok(usd("0.15")).setCachedInputUsdPerMtok(usd("0.075")).setOutputUsdPerMtok(usd("0.60"))
                            .setEffectiveFrom(pricesFrom).build()),
                    new PriceEntry(ApiModelPrice.newBuilder().setProvider("anthropic").setModel("claude-x")
                            .setInputUsdPerMtok(usd("3")).setCachedInputUsdPerMtok(usd("0.30")).setCacheWriteUsdPerMtok(usd("3.75"))
                            .setOutputUsdPerMtok(usd("15")).setEffectiveFrom(pricesFrom).build()),
                    new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd("2.40"))
                            .setEffectiveFrom(pricesFrom).build()))) {
                producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(e), e));
            }
        }
    }

    private void publish(Topics topics, String gpuTeam, List<String> tokenTeams) {
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            // the GPU team: 4 minutes of one H100 at 30 %, a self-hosted call and an API call each minute
            for (int minute = 0; minute < 4; minute++) {
                Instant t = T0.plus(Duration.ofMinutes(minute));
                producer.send(new ProducerRecord<>(topics.gpuUtilization().name(), gpuTeam, GpuUtilization.newBuilder()
                        .setTimestamp(t.plusSeconds(30)).setNode("n1").setGpuId("0").setGpuModel("H100-80GB").setTeam(gpuTeam)
                        .setDeployment("llama").setModel("llama-3.1-8b").setUtilization(0.3).setMemoryUsedBytes(1)
                        .setMemoryTotalBytes(2).setIntervalSeconds(60).build()));
                producer.send(token(topics, gpuTeam + "-s" + minute, gpuTeam, t.plusSeconds(5), "self-hosted", "llama-3.1-8b", 800, 0, 0, 200));
                producer.send(token(topics, gpuTeam + "-a" + minute, gpuTeam, t.plusSeconds(7), "anthropic", "claude-x", 5000, 1000, 2000, 300));
            }
            for (String team : tokenTeams) {
                for (int minute = 0; minute < 10; minute++) {
                    Instant t = T0.plus(Duration.ofMinutes(minute));
                    producer.send(token(topics, team + "-" + minute, team, t.plusSeconds(3), "openai", "gpt-4o-mini", 1000, 0, 0, 1000));
                    producer.send(token(topics, team + "-" + minute, team, t.plusSeconds(3), "openai", "gpt-4o-mini", 1000, 0, 0, 1000));
                    if (minute == 5) {
                        producer.send(token(topics, team + "-u", team, t.plusSeconds(20), "openai", "no-price-model", 10, 0, 0, 10));
                    }
                }
                // an id reused a minute after its window became final
                producer.send(token(topics, team + "-3", team, T0.plus(Duration.ofMinutes(4)).plusSeconds(1), "openai", "gpt-4o-mini",
                        1000, 0, 0, 1000));
            }
            for (String team : tokenTeams) { // stream time of partition 1 to 10:20: windows ending by 10:15 are final
                producer.send(token(topics, team + "-tick", team, T0.plus(Duration.ofMinutes(20)), "openai", "gpt-4o-mini", 1000, 0, 0, 1000));
            }
            for (String team : tokenTeams) { // late: their windows are final
                producer.send(token(topics, team + "-late", team, T0.plus(Duration.ofMinutes(2)), "openai", "gpt-4o-mini", 1000, 0, 0, 1000));
                producer.send(token(topics, team + "-0", team, T0.plusSeconds(3), "openai", "gpt-4o-mini", 1000, 0, 0, 1000));
            }
            producer.flush();
        }
    }

    private static ProducerRecord<String, SpecificRecord> token(Topics topics, String id, String team, Instant ts, String provider,
                                                                String model, long input, long cached, long cacheWrite, long output) {
        return new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder().setEventId(id).setTimestamp(ts)
                .setTeam(team).setApplication("app").setProvider(provider).setModel(model)
                .setDeployment("self-hosted".equals(provider) ? "llama" : null).setInputTokens(input).setCachedInputTokens(cached)
                .setCacheWriteInputTokens(cacheWrite).setOutputTokens(output).build());
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }
}
