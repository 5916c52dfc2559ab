package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.SpendAlert;

import java.net.URI;
import java.util.Map;

/**
 * PagerDuty Events API v2. FIRING sends {@code event_action: trigger}, RESOLVED sends
 * {@code resolve}; both carry the same {@code dedup_key}, stable per (team, type, subject), so a
 * RESOLVED closes the incident its FIRING opened, and a redelivered FIRING while the incident is
 * open is merged into it by PagerDuty. BUDGET alerts only ever fire (once per threshold and
 * period): their incidents are resolved by hand.
 *
 * <p>Severity, chosen so that only money being lost now is an {@code error}:
 * <ul>
 *   <li>{@code error}: SELF_HOSTING_CHEAPER and SELF_HOSTING_DEARER (the team pays more than it
 *       needs to, every hour), BUDGET at 100 % (the budget is spent), and any other type;</li>
 *   <li>{@code warning}: IDLE_CAPACITY, and BUDGET below 100 % (the early-warning threshold,
 *       80 % by default, and the forecast).</li>
 * </ul>
 * The routing key is a secret: it is never logged.
 */
public final class PagerDutyChannel implements AlertChannel {
    public static final String NAME = "pagerduty";
    public static final URI DEFAULT_URL = URI.create("https://events.pagerduty.com/v2/enqueue");
    private static final int MAX_SUMMARY = 1024;
    private static final int MAX_DEDUP_KEY = 255;

    private final URI url;
    private final String routingKey;
    private final String dashboardUrl;
    private final HttpSender http;

    /**
     * @param dashboardUrl link template ({@code {team}} is replaced by the team), or null for none
     */
    public PagerDutyChannel(URI url, String routingKey, String dashboardUrl, HttpSender http) {
        if (routingKey == null || routingKey.isBlank()) {
            throw new IllegalArgumentException("the PagerDuty channel needs a routing key");
        }
        this.url = url;
        this.routingKey = routingKey;
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
            body = AlertJson.MAPPER.writeValueAsBytes(event(alert));
        } catch (JsonProcessingException e) {
            return DeliveryOutcome.permanent("cannot write the PagerDuty event: " + e.getOriginalMessage());
        }
        return http.postJson(url, body, Map.of());
    }

    ObjectNode event(SpendAlert alert) {
        ObjectNode event = AlertJson.MAPPER.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("dedup_key", dedupKey(alert));
        if (AlertWording.RESOLVED.equals(alert.getState())) {
            event.put("event_action", "resolve");
            return event;
        }
        event.put("event_action", "trigger");
        ObjectNode payload = event.putObject("payload");
        String summary = alert.getSummary();
        payload.put("summary", summary.length() <= MAX_SUMMARY ? summary : summary.substring(0, MAX_SUMMARY - 1) + "…");
        payload.put("source", "spend-monitor");
        payload.put("severity", severity(alert));
        payload.put("timestamp", alert.getWindowEnd().toString());
        payload.put("component", alert.getSubject());
        payload.put("group", alert.getTeam());
        payload.put("class", alert.getType());
        ObjectNode custom = AlertJson.toJson(alert);
        custom.put("what_to_do", AlertWording.suggestion(alert));
        payload.set("custom_details", custom);
        event.put("client", "spend-monitor");
        if (dashboardUrl != null) {
            String link = AlertWording.dashboardLink(dashboardUrl, alert.getTeam());
            event.put("client_url", link);
            ObjectNode href = event.putArray("links").addObject();
            href.put("href", link);
            href.put("text", "spend-monitor dashboard for " + alert.getTeam());
        }
        return event;
    }

    /** Stable per (team, type, subject): the FIRING and the RESOLVED of one alert share it. */
    static String dedupKey(SpendAlert alert) {
        String key = "spend-monitor/" + alert.getTeam() + "/" + alert.getType() + "/" + alert.getSubject();
        return key.length() <= MAX_DEDUP_KEY ? key
                : "spend-monitor/" + WebhookChannel.sha256Hex(alert.getTeam() + "\n" + alert.getType() + "\n" + alert.getSubject());
    }

    /** {@code error} or {@code warning}; see the class comment for why. */
    static String severity(SpendAlert alert) {
        return switch (alert.getType()) {
            case "IDLE_CAPACITY" -> "warning";
            case "BUDGET" -> isBudgetExhausted(alert) ? "error" : "warning";
            default -> "error";
        };
    }

    private static boolean isBudgetExhausted(SpendAlert alert) {
        Map<String, String> details = alert.getDetails();
        String threshold = details == null ? null : details.get("threshold");
        if (threshold == null) {
            // the subject is "<period> <threshold>", e.g. "day:2026-11-27 100%"
            threshold = alert.getSubject().substring(alert.getSubject().lastIndexOf(' ') + 1);
        }
        return "100%".equals(threshold);
    }
}
