package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PagerDutyChannelTest {
    private static final String ROUTING_KEY = "R0UT1NGKEY0000000000000000000000";
    private final RecordingHttpServer server = RecordingHttpServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void resolveSharesTheDedupKeyOfTheTriggerItCloses() throws Exception {
        PagerDutyChannel pagerDuty = new PagerDutyChannel(server.uri("/v2/enqueue"), ROUTING_KEY,
                "https://grafana.example.com/d/spend?var-team={team}", HttpSender.withDefaults());

        assertThat(pagerDuty.deliver(SampleAlerts.cheaper("search", "FIRING")).kind()).isEqualTo(DeliveryOutcome.Kind.SENT);
        assertThat(pagerDuty.deliver(SampleAlerts.cheaper("search", "RESOLVED")).kind()).isEqualTo(DeliveryOutcome.Kind.SENT);

        JsonNode trigger = server.requests("/v2/enqueue").get(0).json();
        JsonNode resolve = server.requests("/v2/enqueue").get(1).json();
        assertThat(trigger.get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(trigger.get("event_action").asText()).isEqualTo("trigger");
        assertThat(resolve.get("event_action").asText()).isEqualTo("resolve");
        assertThat(resolve.get("dedup_key").asText())
                .isEqualTo(trigger.get("dedup_key").asText())
                .isEqualTo("spend-monitor/search/SELF_HOSTING_CHEAPER/llama-3.1-8b on H100-80GB");
        assertThat(trigger.at("/payload/summary").asText()).startsWith("search would save $3.65/h");
        assertThat(trigger.at("/payload/source").asText()).isEqualTo("spend-monitor");
        assertThat(trigger.at("/payload/severity").asText()).isEqualTo("error");
        assertThat(trigger.at("/payload/timestamp").asText()).isEqualTo("2026-03-02T10:15:00Z");
        assertThat(trigger.at("/payload/custom_details/savings_usd_per_hour").asText()).isEqualTo("3.650000000");
        assertThat(trigger.at("/payload/custom_details/ratio").asDouble()).isEqualTo(1.42);
        assertThat(trigger.at("/links/0/href").asText()).isEqualTo("https://grafana.example.com/d/spend?var-team=search");
    }

    @Test
    void severityIsErrorOnlyWhereMoneyIsLostNow() {
        assertThat(PagerDutyChannel.severity(SampleAlerts.cheaper("search", "FIRING"))).isEqualTo("error");
        assertThat(PagerDutyChannel.severity(SampleAlerts.budget("ads", "100%"))).isEqualTo("error");
        assertThat(PagerDutyChannel.severity(SampleAlerts.budget("ads", "80%"))).isEqualTo("warning");
        assertThat(PagerDutyChannel.severity(SampleAlerts.budget("ads", "forecast"))).isEqualTo("warning");
        assertThat(PagerDutyChannel.severity(SampleAlerts.idle("ml", "vllm"))).isEqualTo("warning");
    }

    @Test
    void aRejectedEventIsAPermanentFailure() throws Exception {
        server.answer("/v2/enqueue", 400);
        PagerDutyChannel pagerDuty = new PagerDutyChannel(server.uri("/v2/enqueue"), ROUTING_KEY, null, HttpSender.withDefaults());
        DeliveryOutcome outcome = pagerDuty.deliver(SampleAlerts.idle("ml", "vllm"));
        assertThat(outcome.kind()).isEqualTo(DeliveryOutcome.Kind.PERMANENT);
        assertThat(outcome.detail()).contains("HTTP 400").doesNotContain(ROUTING_KEY);
    }
}
