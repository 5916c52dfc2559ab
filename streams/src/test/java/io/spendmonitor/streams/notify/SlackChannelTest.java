package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.databind.JsonNode;
import io.spendmonitor.avro.SpendAlert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SlackChannelTest {
    private static final String DASHBOARD = "https://grafana.example.com/d/spend?var-team={team}";
    private final RecordingHttpServer server = RecordingHttpServer.start();

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void postsAReadableMessageWithTeamSummaryNumbersSuggestionAndLink() throws Exception {
        SlackChannel slack = new SlackChannel(server.uri("/services/T000/B000/secret"), DASHBOARD, HttpSender.withDefaults());
        SpendAlert alert = SampleAlerts.cheaper("search", "FIRING");

        assertThat(slack.deliver(alert).kind()).isEqualTo(DeliveryOutcome.Kind.SENT);

        RecordingHttpServer.Request request = server.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.header("Content-Type")).startsWith("application/json");
        JsonNode body = request.json();
        assertThat(body.get("text").asText())
                .startsWith("🔥 FIRING Self-hosting would be cheaper than the API (team search): ")
                .contains(alert.getSummary());
        List<String> types = new ArrayList<>();
        body.get("blocks").forEach(b -> types.add(b.get("type").asText()));
        assertThat(types).containsExactly("section", "section", "section", "context");

        String head = body.at("/blocks/0/text/text").asText();
        assertThat(head).startsWith("*🔥 FIRING: Self-hosting would be cheaper than the API*")
                .contains("Team *search* · llama-3.1-8b on H100-80GB")
                .contains("search would save $3.65/h self-hosting llama-3.1-8b");
        List<String> fields = new ArrayList<>();
        body.at("/blocks/1/fields").forEach(f -> fields.add(f.get("text").asText()));
        assertThat(fields).containsExactly(
                "*API cost ÷ self-hosted cost*\n1.42x",
                "*API spend*\n$12.34 over 60 min",
                "*Self-hosted estimate*\n$8.69 over 60 min",
                "*Savings if switched*\n$3.65/h");
        assertThat(body.at("/blocks/2/text/text").asText()).isEqualTo(
                "*What to do:* Consider moving openai/gpt-4o-mini traffic to a self-hosted llama-3.1-8b replica on 1x H100-80GB.");
        assertThat(body.at("/blocks/3/elements/0/text").asText())
                .contains("Window ending 2026-03-02 10:15 UTC")
                .contains("<https://grafana.example.com/d/spend?var-team=search|Open the dashboard>");
    }

    @Test
    void wordsEachTypeAndState() {
        JsonNode resolved = SlackChannel.message(SampleAlerts.cheaper("search", "RESOLVED"), null);
        assertThat(resolved.get("text").asText()).startsWith("✅ RESOLVED");
        assertThat(resolved.at("/blocks/2/text/text").asText()).contains("Nothing to do");
        assertThat(resolved.at("/blocks/3/elements/0/text").asText()).doesNotContain("dashboard");

        JsonNode idle = SlackChannel.message(SampleAlerts.idle("ml", "vllm-llama"), null);
        assertThat(idle.at("/blocks/1/fields/0/text").asText()).isEqualTo("*GPU utilization*\n12%");
        assertThat(idle.at("/blocks/1/fields/1/text").asText()).isEqualTo("*Idle GPU cost*\n$2.11/h");
        assertThat(idle.at("/blocks/2/text/text").asText()).contains("Scale down or share vllm-llama");

        JsonNode budget = SlackChannel.message(SampleAlerts.budget("ads", "80%"), null);
        List<String> fields = new ArrayList<>();
        budget.at("/blocks/1/fields").forEach(f -> fields.add(f.get("text").asText()));
        assertThat(fields).containsExactly("*Spend*\n$85.25", "*Budget*\n$100.00", "*Used*\n85%");
    }

    @Test
    void escapesSlackControlCharacters() {
        SpendAlert alert = SpendAlert.newBuilder(SampleAlerts.idle("r&d", "<script>")).build();
        String head = SlackChannel.message(alert, null).at("/blocks/0/text/text").asText();
        assertThat(head).contains("Team *r&amp;d* · &lt;script&gt;").doesNotContain("<script>");
    }

    @Test
    void aTeamNameCannotMentionAChannel() {
        SpendAlert alert = SpendAlert.newBuilder(SampleAlerts.idle("<!channel> @here", "<!everyone>"))
                .setSummary("<!channel> summary").build();
        JsonNode message = SlackChannel.message(alert, "https://grafana.example.com/d/spend?var-team={team}");

        assertThat(message.toString()).doesNotContain("<!channel>").doesNotContain("<!everyone>");
        assertThat(message.get("text").asText()).contains("(team &lt;!channel&gt; @here): &lt;!channel&gt; summary");
        // every mrkdwn object: verbatim, so Slack does not turn @here or names into mentions
        List<JsonNode> mrkdwn = new ArrayList<>();
        message.findParents("type").forEach(node -> {
            if (node.get("type").asText().equals("mrkdwn")) {
                mrkdwn.add(node);
            }
        });
        assertThat(mrkdwn).hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(node -> assertThat(node.path("verbatim").asBoolean(false)).isTrue());
    }
}
