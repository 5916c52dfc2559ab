package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.SpendAlert;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * A transition as JSON, field for field as in the Avro schema (snake_case): money as decimal
 * strings (exact, scale 9), {@code window_end} as an ISO-8601 instant, absent numbers as null.
 */
final class AlertJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private AlertJson() {
    }

    static ObjectNode toJson(SpendAlert alert) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("alert_id", alert.getAlertId());
        node.put("team", alert.getTeam());
        node.put("type", alert.getType());
        node.put("subject", alert.getSubject());
        node.put("state", alert.getState());
        node.put("window_end", alert.getWindowEnd().toString());
        Double ratio = alert.getRatio();
        if (ratio == null || !Double.isFinite(ratio)) {
            node.putNull("ratio");
        } else {
            node.put("ratio", ratio.doubleValue());
        }
        money(node, "actual_usd", alert.getActualUsd());
        money(node, "counterfactual_usd", alert.getCounterfactualUsd());
        money(node, "savings_usd_per_hour", alert.getSavingsUsdPerHour());
        money(node, "idle_usd_per_hour", alert.getIdleUsdPerHour());
        money(node, "budget_usd", alert.getBudgetUsd());
        money(node, "spend_usd", alert.getSpendUsd());
        node.put("summary", alert.getSummary());
        ObjectNode details = node.putObject("details");
        // sorted: the same transition always gives the same bytes (and the same signature)
        Map<String, String> sorted = new TreeMap<>(alert.getDetails() == null ? Map.of() : alert.getDetails());
        sorted.forEach(details::put);
        return node;
    }

    static void money(ObjectNode node, String field, BigDecimal usd) {
        if (usd == null) {
            node.putNull(field);
        } else {
            node.put(field, usd.toPlainString());
        }
    }
}
