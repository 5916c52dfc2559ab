package io.spendmonitor.schemas.http;

import io.spendmonitor.cluster.MisbehavingHttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

// @Timeout only guards against a hang (what an unbounded read does); no assertion is about speed
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BoundedHttpTest {
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<MisbehavingHttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(MisbehavingHttpServer::close);
    }

    private HttpRequest get(MisbehavingHttpServer.Body body, int status) {
        MisbehavingHttpServer server = MisbehavingHttpServer.start(status, body);
        servers.add(server);
        // the request timeout alone ends at the headers, which these servers send at once
        return HttpRequest.newBuilder(server.uri("/x")).timeout(Duration.ofSeconds(30)).GET().build();
    }

    @Test
    void aBodyThatTricklesForeverEndsAtTheDeadline() {
        HttpRequest request = get(MisbehavingHttpServer.Body.TRICKLE, 200);
        assertThatThrownBy(() -> BoundedHttp.send(client, request, Duration.ofMillis(300), 1 << 20, BoundedHttp.Overflow.FAIL))
                .isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void aStalledBodyEndsAtTheDeadline() {
        HttpRequest request = get(MisbehavingHttpServer.Body.STALL, 500);
        assertThatThrownBy(() -> BoundedHttp.send(client, request, Duration.ofMillis(300), 100, BoundedHttp.Overflow.TRUNCATE))
                .isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void aFloodedBodyFailsAtTheCapOrIsTruncatedToIt() throws Exception {
        HttpRequest request = get(MisbehavingHttpServer.Body.FLOOD, 200);
        assertThatThrownBy(() -> BoundedHttp.send(client, request, Duration.ofSeconds(30), 100_000, BoundedHttp.Overflow.FAIL))
                .isInstanceOf(BoundedHttp.BodyTooLargeException.class)
                .hasMessageContaining("100000 bytes");

        HttpResponse<byte[]> truncated = BoundedHttp.send(client, get(MisbehavingHttpServer.Body.FLOOD, 503),
                Duration.ofSeconds(30), 200, BoundedHttp.Overflow.TRUNCATE);
        assertThat(truncated.statusCode()).isEqualTo(503);
        assertThat(truncated.body()).hasSize(200);
        assertThat(new String(truncated.body())).startsWith("{\"x\":");
    }

    @Test
    void aBodyNobodyNeedsIsNotRead() throws Exception {
        // headers at once, then a body that never comes: a limit of 0 answers without waiting for it
        HttpResponse<byte[]> answer = BoundedHttp.send(client, get(MisbehavingHttpServer.Body.STALL, 204),
                Duration.ofSeconds(30), info -> info.statusCode() < 300 ? 0 : 100, BoundedHttp.Overflow.TRUNCATE);
        assertThat(answer.statusCode()).isEqualTo(204);
        assertThat(answer.body()).isEmpty();
    }
}
