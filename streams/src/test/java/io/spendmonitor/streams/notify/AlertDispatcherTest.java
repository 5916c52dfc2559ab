package io.spendmonitor.streams.notify;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spendmonitor.avro.SpendAlert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Routing, retries, isolation and de-duplication against a real HTTP endpoint, without Kafka. */
class AlertDispatcherTest {
    private static final String SECRET = "test-secret";
    private static final RetryPolicy FAST = new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(40), 10, Duration.ofMinutes(1));

    private final RecordingHttpServer server = RecordingHttpServer.start();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final HttpSender http = HttpSender.withDefaults();
    private final List<AlertDispatcher> dispatchers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (AlertDispatcher dispatcher : dispatchers) {
            dispatcher.stop(Duration.ofSeconds(2));
        }
        server.close();
    }

    @Test
    void retriesA503UntilTheEndpointRecoversThenDeliversOnce() {
        server.failFirst("/hook", 3, 503);
        AlertDispatcher dispatcher = dispatcher(AlertRoutes.everyChannel(), FAST, webhook());

        PendingTransition transition = dispatcher.submit(SampleAlerts.cheaper("search", "FIRING"));
        await().atMost(Duration.ofSeconds(10)).until(transition::isDone);

        assertThat(server.requests("/hook")).extracting(RecordingHttpServer.Request::status).containsExactly(503, 503, 503, 200);
        assertThat(server.accepted("/hook")).hasSize(1);
        // every attempt carries the same idempotency key
        assertThat(server.requests("/hook")).extracting(r -> r.header("Idempotency-Key")).containsOnly(transition.alert().getAlertId());
        assertThat(count("webhook", "retried")).isEqualTo(3);
        assertThat(count("webhook", "sent")).isEqualTo(1);
        assertThat(count("webhook", "failed")).isZero();
        assertThat(dispatcher.pending()).isZero();
        assertThat(meters.get(NotifierMetrics.PENDING).gauge().value()).isZero();
    }

    @Test
    void a400IsNotRetried() {
        server.answer("/hook", 400);
        AlertDispatcher dispatcher = dispatcher(AlertRoutes.everyChannel(), FAST, webhook());

        PendingTransition transition = dispatcher.submit(SampleAlerts.idle("ml", "vllm"));
        await().atMost(Duration.ofSeconds(10)).until(transition::isDone);

        assertThat(server.requests("/hook")).hasSize(1);
        assertThat(count("webhook", "failed")).isEqualTo(1);
        assertThat(count("webhook", "retried")).isZero();
    }

    @Test
    void givesUpAfterTheLastAttemptAndMovesOn() {
        server.answer("/hook", 503);
        RetryPolicy threeAttempts = new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(20), 3, Duration.ofMinutes(1));
        AlertDispatcher dispatcher = dispatcher(AlertRoutes.everyChannel(), threeAttempts, webhook());

        PendingTransition first = dispatcher.submit(SampleAlerts.idle("ml", "vllm"));
        PendingTransition second = dispatcher.submit(SampleAlerts.budget("ml", "80%"));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.isDone() && second.isDone());

        assertThat(server.requests("/hook")).hasSize(6);
        assertThat(count("webhook", "failed")).isEqualTo(2);
        assertThat(count("webhook", "retried")).isEqualTo(4);
    }

    @Test
    void routesBudgetOnlyToItsChannel() {
        AlertRoutes routes = AlertRoutes.parse("{\"routes\":[{\"type\":\"BUDGET\",\"channels\":[\"slack\"]}]}", "test",
                List.of("slack", "webhook"));
        AlertDispatcher dispatcher = dispatcher(routes, FAST, slack(), webhook());

        PendingTransition budget = dispatcher.submit(SampleAlerts.budget("ads", "80%"));
        PendingTransition idle = dispatcher.submit(SampleAlerts.idle("ads", "vllm"));
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.isDone() && idle.isDone());

        assertThat(server.requests("/slack")).hasSize(2);
        assertThat(server.requests("/hook")).hasSize(1);
        assertThat(server.requests("/hook").get(0).json().get("type").asText()).isEqualTo("IDLE_CAPACITY");
        assertThat(count("webhook", "sent")).isEqualTo(1);
        assertThat(count("slack", "sent")).isEqualTo(2);
    }

    @Test
    void aDeadEndpointHoldsUpOnlyItsOwnChannel() {
        server.answer("/hook", 503);
        RetryPolicy patient = new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(1), 100, Duration.ofMinutes(10));
        AlertDispatcher dispatcher = dispatcher(AlertRoutes.everyChannel(), patient, slack(), webhook());

        List<PendingTransition> transitions = List.of(
                dispatcher.submit(SampleAlerts.cheaper("search", "FIRING")),
                dispatcher.submit(SampleAlerts.idle("ml", "vllm")),
                dispatcher.submit(SampleAlerts.budget("ads", "80%")));

        await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted("/slack").size() == 3);
        assertThat(transitions).noneMatch(PendingTransition::isDone);
        assertThat(dispatcher.pending()).isEqualTo(3);
        assertThat(meters.get(NotifierMetrics.PENDING).gauge().value()).isEqualTo(3.0);
        // the webhook keeps retrying its first transition, in order
        assertThat(server.requests("/hook")).extracting(r -> r.json().get("team").asText()).containsOnly("search");
    }

    @Test
    void dropsAnAlertIdAlreadyDeliveredByThisProcess() {
        AlertDispatcher dispatcher = dispatcher(AlertRoutes.everyChannel(), FAST, webhook());
        SpendAlert alert = SampleAlerts.cheaper("search", "FIRING");

        PendingTransition first = dispatcher.submit(alert);
        PendingTransition again = dispatcher.submit(SpendAlert.newBuilder(alert).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> first.isDone() && again.isDone());

        assertThat(server.requests("/hook")).hasSize(1);
        assertThat(count("webhook", "duplicate")).isEqualTo(1);
    }

    @Test
    void aTransitionNoRouteTakesIsDoneAtOnce() {
        AlertRoutes routes = AlertRoutes.parse("{\"routes\":[{\"team\":\"sandbox-*\",\"channels\":[]}]}", "test", List.of("webhook"));
        AlertDispatcher dispatcher = dispatcher(routes, FAST, webhook());

        assertThat(dispatcher.submit(SampleAlerts.idle("sandbox-1", "vllm")).isDone()).isTrue();
        assertThat(dispatcher.pending()).isZero();
    }

    private AlertDispatcher dispatcher(AlertRoutes routes, RetryPolicy retry, AlertChannel... channels) {
        AlertDispatcher dispatcher = new AlertDispatcher(List.of(channels), routes, retry, 100, meters);
        dispatchers.add(dispatcher);
        dispatcher.start();
        return dispatcher;
    }

    private AlertChannel webhook() {
        return new WebhookChannel(server.uri("/hook"), SECRET, http);
    }

    private AlertChannel slack() {
        return new SlackChannel(server.uri("/slack"), null, http);
    }

    private double count(String channel, String result) {
        return meters.get(NotifierMetrics.NOTIFICATIONS).tag("channel", channel).tag("result", result).counter().count();
    }
}
