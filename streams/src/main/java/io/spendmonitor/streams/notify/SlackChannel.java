package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.SpendAlert;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Posts a readable message to a Slack incoming webhook: a section with the headline, team, subject
 * and summary; a section of fields with the numbers; a section with what to do; a context line
 * with the window, the alert id and the dashboard link. {@code text} carries a plain fallback
 * (notifications, clients without blocks). The webhook URL is a secret: it is never logged.
 *
 * <p>Every text comes partly from the data (team, subject, summary, alert id), so every text is
 * escaped ({@code & < >}) and every mrkdwn object is {@code verbatim}: a team named
 * {@code <!channel>} or {@code @here} is shown as written and notifies nobody. Only the dashboard
 * link, which we write ourselves, uses Slack's {@code <url|label>} syntax.
 */
public final class SlackChannel implements AlertChannel {
    public static final String NAME = "slack";
    /** Slack refuses section texts over 3000 characters and fields over 2000. */
    private static final int MAX_TEXT = 2900;

    private final URI webhook;
    private final String dashboardUrl;
    private final HttpSender http;

    /**
     * @param dashboardUrl link template ({@code {team}} is replaced by the team), or null for none
     */
    public SlackChannel(URI webhook, String dashboardUrl, HttpSender http) {
        this.webhook = webhook;
        this.dashboardUrl = dashboardUrl;
        this.http = http;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeliveryOutcome deliver(SpendAlert alert) throws InterruptedException {
        byte[] body;
        try {
            body = AlertJson.MAPPER.writeValueAsBytes(message(alert, dashboardUrl));
        } catch (JsonProcessingException e) {
            return DeliveryOutcome.permanent("cannot write the Slack message: " + e.getOriginalMessage());
        }
        return http.postJson(webhook, body, Map.of());
    }

    /** The Slack payload for one transition. */
    static ObjectNode message(SpendAlert alert, String dashboardUrl) {
        ObjectNode root = AlertJson.MAPPER.createObjectNode();
        root.put("text", escape(AlertWording.emoji(alert.getState()) + " " + alert.getState() + " "
                + AlertWording.typeInWords(alert.getType()) + " (team " + alert.getTeam() + "): " + alert.getSummary()));
        ArrayNode blocks = root.putArray("blocks");

        String head = "*" + escape(AlertWording.headline(alert)) + "*\n"
                + "Team *" + escape(alert.getTeam()) + "* · " + escape(alert.getSubject()) + "\n"
                + escape(alert.getSummary());
        section(blocks).set("text", mrkdwn(truncate(head)));

        List<AlertWording.Figure> figures = AlertWording.figures(alert);
        if (!figures.isEmpty()) {
            ArrayNode fields = section(blocks).putArray("fields");
            // Slack shows at most 10 fields
            figures.stream().limit(10).forEach(f ->
                    fields.add(mrkdwn("*" + escape(f.label()) + "*\n" + escape(f.value()))));
        }

        section(blocks).set("text", mrkdwn(truncate("*What to do:* " + escape(AlertWording.suggestion(alert)))));

        StringBuilder context = new StringBuilder("Window ending ").append(AlertWording.windowEnd(alert))
                .append(" · alert `").append(escape(alert.getAlertId())).append('`');
        if (dashboardUrl != null) {
            String link = AlertWording.dashboardLink(dashboardUrl, alert.getTeam()).replace("|", "%7C").replace(">", "%3E");
            context.append(" · <").append(link).append("|Open the dashboard>");
        }
        ObjectNode contextBlock = blocks.addObject();
        contextBlock.put("type", "context");
        contextBlock.putArray("elements").add(mrkdwn(truncate(context.toString())));
        return root;
    }

    private static ObjectNode section(ArrayNode blocks) {
        ObjectNode section = blocks.addObject();
        section.put("type", "section");
        return section;
    }

    private static ObjectNode mrkdwn(String text) {
        ObjectNode node = AlertJson.MAPPER.createObjectNode();
        node.put("type", "mrkdwn");
        node.put("text", text);
        // no automatic parsing of names, @mentions or channel links in what the data put there
        node.put("verbatim", true);
        return node;
    }

    /** Slack's mrkdwn control characters; everything else is shown as is. */
    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String truncate(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "…";
    }
}
