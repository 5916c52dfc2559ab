package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.databind.JsonNode;
import io.spendmonitor.avro.SpendAlert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WebhookChannelTest {
    private static final String SECRET = "s3cret-shared-with-the-receiver";
    private final RecordingHttpServer server = RecordingHttpServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void signsTheExactBodyAndSendsTheIdempotencyKey() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-03-02T10:16:30Z"), ZoneOffset.UTC);
        WebhookChannel webhook = new WebhookChannel(server.uri("/hooks/spend"), SECRET, HttpSender.withDefaults(), clock);
        SpendAlert alert = SampleAlerts.cheaper("search", "FIRING");

        assertThat(webhook.deliver(alert).kind()).isEqualTo(DeliveryOutcome.Kind.SENT);

        RecordingHttpServer.Request request = server.requests().get(0);
        // what a receiver does: HMAC-SHA256 over "<X-Spend-Timestamp>.<raw body>" with the shared secret
        assertThat(request.header("X-Spend-Timestamp")).isEqualTo("1772446590");
        assertThat(request.header("X-Spend-Signature")).isEqualTo(receiverSignature(SECRET, "1772446590", request.body()));
        assertThat(request.header("Idempotency-Key")).isEqualTo("search|SELF_HOSTING_CHEAPER|llama-3.1-8b on H100-80GB|FIRING|1772446500000");
        assertThat(request.text()).doesNotContain(SECRET);

        JsonNode body = request.json();
        List<String> fields = new ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("alert_id", "team", "type", "subject", "state", "window_end", "ratio",
                "actual_usd", "counterfactual_usd", "savings_usd_per_hour", "idle_usd_per_hour", "budget_usd", "spend_usd",
                "summary", "details");
        assertThat(body.get("alert_id").asText()).isEqualTo(alert.getAlertId());
        assertThat(body.get("window_end").asText()).isEqualTo("2026-03-02T10:15:00Z");
        assertThat(body.get("ratio").asDouble()).isEqualTo(1.42);
        assertThat(body.get("actual_usd").isTextual()).isTrue();
        assertThat(body.get("actual_usd").asText()).isEqualTo("12.340000000");
        assertThat(body.get("savings_usd_per_hour").asText()).isEqualTo("3.650000000");
        assertThat(body.get("idle_usd_per_hour").isNull()).isTrue();
        assertThat(body.at("/details/api_model").asText()).isEqualTo("openai/gpt-4o-mini");
    }

    @Test
    void aTamperedBodyOrAnotherSecretDoesNotVerify() throws Exception {
        WebhookChannel webhook = new WebhookChannel(server.uri("/h"), SECRET, HttpSender.withDefaults());
        webhook.deliver(SampleAlerts.idle("ml", "vllm"));
        RecordingHttpServer.Request request = server.requests().get(0);

        Mac other = Mac.getInstance("HmacSHA256");
        other.init(new SecretKeySpec("another-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertThat(request.header("X-Spend-Signature"))
                .isNotEqualTo("sha256=" + HexFormat.of().formatHex(other.doFinal(request.body())));
        String timestamp = request.header("X-Spend-Timestamp");
        byte[] tampered = request.text().replace("\"ml\"", "\"ads\"").getBytes(StandardCharsets.UTF_8);
        assertThat(request.header("X-Spend-Signature")).isNotEqualTo("sha256=" + webhook.sign(timestamp, tampered));
    }

    @Test
    void theTimestampIsSignedSoAReplayWithAFreshTimestampDoesNotVerify() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-03-02T10:16:30Z"), ZoneOffset.UTC);
        WebhookChannel webhook = new WebhookChannel(server.uri("/h"), SECRET, HttpSender.withDefaults(), clock);
        webhook.deliver(SampleAlerts.idle("ml", "vllm"));
        RecordingHttpServer.Request captured = server.requests().get(0);

        // the signature covers the body alone no more: it verifies only with the timestamp it was sent with
        Mac bodyOnly = Mac.getInstance("HmacSHA256");
        bodyOnly.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertThat(captured.header("X-Spend-Signature"))
                .isNotEqualTo("sha256=" + HexFormat.of().formatHex(bodyOnly.doFinal(captured.body())))
                .isEqualTo(receiverSignature(SECRET, "1772446590", captured.body()))
                // a replay an hour later must bring a fresh timestamp, which the captured signature does not cover
                .isNotEqualTo(receiverSignature(SECRET, "1772450190", captured.body()));
    }

    private static String receiverSignature(String secret, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void idempotencyKeyIsTheAlertIdOrAHashWhenAHeaderCannotCarryIt() {
        assertThat(WebhookChannel.idempotencyKey("ads|BUDGET|day:2026-03-02 80%|FIRING|1")).isEqualTo("ads|BUDGET|day:2026-03-02 80%|FIRING|1");
        assertThat(WebhookChannel.idempotencyKey("équipe|BUDGET|x|FIRING|1")).matches("sha256-[0-9a-f]{64}");
    }
}
