package io.spendmonitor.streams.notify;

import io.spendmonitor.cluster.MisbehavingHttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HttpSenderTest {
    private final RecordingHttpServer server = RecordingHttpServer.start();
    private final HttpSender http = HttpSender.withDefaults();
    private final byte[] body = "{}".getBytes(StandardCharsets.UTF_8);

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void sortsAnswersIntoSentRetryableAndPermanent() throws Exception {
        assertThat(post(200)).isEqualTo(DeliveryOutcome.Kind.SENT);
        assertThat(post(202)).isEqualTo(DeliveryOutcome.Kind.SENT);
        assertThat(post(429)).isEqualTo(DeliveryOutcome.Kind.RETRYABLE);
        assertThat(post(500)).isEqualTo(DeliveryOutcome.Kind.RETRYABLE);
        assertThat(post(503)).isEqualTo(DeliveryOutcome.Kind.RETRYABLE);
        assertThat(post(400)).isEqualTo(DeliveryOutcome.Kind.PERMANENT);
        assertThat(post(404)).isEqualTo(DeliveryOutcome.Kind.PERMANENT);
        assertThat(post(410)).isEqualTo(DeliveryOutcome.Kind.PERMANENT);
    }

    @Test
    void aFailureNamesTheHostNeverThePath() throws Exception {
        server.answer("/services/T0/B0/SECRET", 403);
        DeliveryOutcome refused = http.postJson(server.uri("/services/T0/B0/SECRET"), body, Map.of());
        assertThat(refused.detail()).startsWith("http://127.0.0.1:").contains("HTTP 403").doesNotContain("SECRET");

        URI gone = server.uri("/services/T0/B0/SECRET");
        server.close();
        DeliveryOutcome unreachable = http.postJson(gone, body, Map.of());
        assertThat(unreachable.kind()).isEqualTo(DeliveryOutcome.Kind.RETRYABLE);
        assertThat(unreachable.detail()).contains("unreachable").doesNotContain("SECRET");
    }

    // @Timeout: a guard against the hang of an unbounded read, not an assertion about speed
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSuccessIsSentWithoutReadingItsBody() throws Exception {
        try (MisbehavingHttpServer stalled = MisbehavingHttpServer.start(200, MisbehavingHttpServer.Body.STALL)) {
            assertThat(http.postJson(stalled.uri("/hook"), body, Map.of()).kind()).isEqualTo(DeliveryOutcome.Kind.SENT);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anErrorBodyThatTricklesForeverTimesOutAsRetryable() throws Exception {
        HttpSender bounded = new HttpSender(Duration.ofSeconds(5), Duration.ofMillis(300));
        try (MisbehavingHttpServer trickling = MisbehavingHttpServer.start(503, MisbehavingHttpServer.Body.TRICKLE)) {
            DeliveryOutcome outcome = bounded.postJson(trickling.uri("/hook"), body, Map.of());
            assertThat(outcome.kind()).isEqualTo(DeliveryOutcome.Kind.RETRYABLE);
            assertThat(outcome.detail()).contains("timed out");
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFloodedErrorBodyIsCutToASnippet() throws Exception {
        try (MisbehavingHttpServer flooding = MisbehavingHttpServer.start(400, MisbehavingHttpServer.Body.FLOOD)) {
            DeliveryOutcome outcome = http.postJson(flooding.uri("/hook"), body, Map.of());
            assertThat(outcome.kind()).isEqualTo(DeliveryOutcome.Kind.PERMANENT);
            assertThat(outcome.detail()).contains("HTTP 400: {\"x\":").hasSizeLessThan(300);
        }
    }

    private DeliveryOutcome.Kind post(int status) throws InterruptedException {
        String path = "/status-" + status;
        server.answer(path, status);
        return http.postJson(server.uri(path), body, Map.of()).kind();
    }
}
