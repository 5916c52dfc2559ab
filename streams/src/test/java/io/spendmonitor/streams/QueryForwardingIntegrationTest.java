package io.spendmonitor.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.cluster.KafkaCluster;
import io.spendmonitor.cluster.KafkaClusterExtension;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroSerializer;
import io.spendmonitor.streams.config.SpendConfig;
import io.spendmonitor.streams.http.SpendHttpServer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Forwarding between instances, against the real broker: three instances with one API token.
 * {@code reachable} allows no peer at all, {@code dead} advertises an address nobody listens on,
 * and {@code front} allows both. A fan-out that misses an instance answers with the rest, flagged
 * partial; forwarded queries carry the token; errors name no instance's address.
 */
@ExtendWith(KafkaClusterExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryForwardingIntegrationTest {
    private static final String TOKEN = "Bearer api-t0ken";
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final int TEAMS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final KafkaCluster cluster;
    private final List<SpendService> services = new ArrayList<>();
    private SpendService reachable;
    private SpendService dead;
    private SpendService front;
    private String deadAddress;

    QueryForwardingIntegrationTest(KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    void startThreeInstances() throws Exception {
        String prefix = "fwd-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        // the output schemas up front: three instances registering a new subject at once race in the
        // registry ("already exists" read as incompatible), which is not what this test is about
        try (var registry = io.spendmonitor.schemas.registry.RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())) {
            registry.register(prefix + "spend.team-costs-value", io.spendmonitor.avro.TeamCostWindow.getClassSchema());
            registry.register(prefix + "spend.alerts-value", io.spendmonitor.avro.SpendAlert.getClassSchema());
        }
        reachable = start(prefix, 0, "127.0.0.1", Map.of(SpendHttpServer.QUERY_PEERS, "127.0.0.1:1"));
        // bound on 127.0.0.1 but advertised on 127.0.0.2: in the group's metadata, unreachable over HTTP
        dead = start(prefix, 1, "127.0.0.2", Map.of());
        deadAddress = "127.0.0.2:" + URI.create(dead.url()).getPort();
        String reachableAddress = "127.0.0.1:" + URI.create(reachable.url()).getPort();
        front = start(prefix, 2, "127.0.0.1", Map.of(SpendHttpServer.QUERY_PEERS, reachableAddress + "," + deadAddress));
        await().atMost(Duration.ofSeconds(120)).until(() -> services.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING));
        publish(reachable.application().topics());
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
            Set<String> all = new TreeSet<>();
            for (SpendService s : services) {
                all.addAll(localTeams(s));
            }
            assertThat(all).hasSize(TEAMS);
        });
    }

    private SpendService start(String prefix, int i, String advertised, Map<String, Object> extra) throws Exception {
        Map<String, Object> overrides = new HashMap<>(extra);
        overrides.put("bootstrap.servers", cluster.bootstrapServers());
        overrides.put("schema.registry.url", cluster.schemaRegistryUrl());
        overrides.put("application.id", prefix + "spend-monitor");
        overrides.put("state.dir", Files.createTempDirectory("fwd-state-" + i).toString());
        overrides.put(Topics.PREFIX_CONFIG, prefix);
        overrides.put(SpendApplication.TOPIC_PARTITIONS, "6");
        overrides.put("commit.interval.ms", "200");
        SpendService service = SpendService.start(SpendConfig.of(overrides), SpendService.Options.defaults()
                .withHttp("127.0.0.1", 0).withAdvertisedHost(advertised).withTokens("api-t0ken", null));
        services.add(service);
        return service;
    }

    @AfterAll
    void stop() {
        services.forEach(SpendService::close);
    }

    private void publish(Topics topics) {
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                "schema.registry.url", cluster.schemaRegistryUrl()))) {
            PriceEntry price = new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini")
                    .setInputUsdPerMtok(new BigDecimal("0.150000000")).setOutputUsdPerMtok(new BigDecimal("0.600000000"))
                    .setEffectiveFrom(Instant.parse("2025-01-01T00:00:00Z")).build());
            producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(price), price));
            producer.flush();
            for (int t = 0; t < TEAMS; t++) {
                String team = "team-" + t;
                producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                        .setEventId(team + "-1").setTimestamp(T0.plusSeconds(t)).setTeam(team).setApplication("app")
                        .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(1000).setOutputTokens(1000).build()));
            }
            for (int t = 0; t < TEAMS; t++) { // after every call, or a call sharing a partition would be late
                String team = "team-" + t;
                // moves the partition's stream time past the window and its grace: the team's state is written
                producer.send(new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                        .setEventId(team + "-tick").setTimestamp(T0.plus(Duration.ofMinutes(20))).setTeam(team).setApplication("tick")
                        .setProvider("openai").setModel("gpt-4o-mini").setInputTokens(0).setOutputTokens(0).build()));
            }
        }
    }

    @Test
    void aFanOutMissingAnInstanceAnswersWithTheRestFlaggedPartial() throws Exception {
        Set<String> expected = new TreeSet<>(localTeams(front));
        expected.addAll(localTeams(reachable)); // reached with the forwarded token
        Set<String> deadTeams = localTeams(dead);

        HttpResponse<String> answer = get(front, "/api/teams", TOKEN);

        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.get("partial").asBoolean()).isTrue();
        assertThat(names(body)).containsExactlyElementsOf(expected).doesNotContainAnyElementsOf(deadTeams);
        assertThat(JSON.readTree(get(front, "/api/alerts", TOKEN).body()).get("partial").asBoolean()).isTrue();
        assertThat(JSON.readTree(get(front, "/api/timeline?minutes=5", TOKEN).body()).get("partial").asBoolean()).isTrue();
    }

    @Test
    void anInstanceForwardsOnlyToAllowedPeers() throws Exception {
        // 'reachable' allows only 127.0.0.1:1: it answers for its own teams, flagged partial
        JsonNode body = JSON.readTree(get(reachable, "/api/teams", TOKEN).body());

        assertThat(body.get("partial").asBoolean()).isTrue();
        assertThat(names(body)).containsExactlyElementsOf(new TreeSet<>(localTeams(reachable)));
    }

    @Test
    void aSingleTeamIsForwardedWithTheTokenAndAnUnreachableOwnerIsA503WithoutItsAddress() throws Exception {
        String remoteTeam = localTeams(reachable).iterator().next();
        assertThat(get(front, "/api/teams/" + remoteTeam, TOKEN).statusCode()).isEqualTo(200);
        assertThat(get(front, "/api/teams/" + remoteTeam, null).statusCode()).isEqualTo(401);

        Set<String> deadTeams = localTeams(dead);
        if (!deadTeams.isEmpty()) {
            HttpResponse<String> answer = get(front, "/api/teams/" + deadTeams.iterator().next(), TOKEN);
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).isPresent();
            assertThat(answer.body()).doesNotContain("127.0.0.2").doesNotContain(deadAddress).doesNotContain("Exception");
        }
    }

    private static Set<String> localTeams(SpendService service) throws Exception {
        HttpResponse<String> r = get(service, "/api/teams?scope=local", TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return names(JSON.readTree(r.body()));
    }

    private static Set<String> names(JsonNode body) {
        Set<String> names = new TreeSet<>();
        body.get("teams").forEach(t -> names.add(t.get("team").asText()));
        return names;
    }

    private static HttpResponse<String> get(SpendService service, String path, String auth) throws Exception {
        // every instance listens on 127.0.0.1, whatever it advertises
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + URI.create(service.url()).getPort() + path));
        if (auth != null) {
            request.header("Authorization", auth);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
