package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/** Transitions as the topology writes them (ids, subjects, summaries and details in its format). */
final class SampleAlerts {
    static final Instant WINDOW_END = Instant.parse("2026-03-02T10:15:00Z");

    private SampleAlerts() {
    }

    static SpendAlert cheaper(String team, String state) {
        return cheaper(team, state, WINDOW_END);
    }

    static SpendAlert cheaper(String team, String state, Instant windowEnd) {
        boolean firing = state.equals("FIRING");
        return base(team, "SELF_HOSTING_CHEAPER", "llama-3.1-8b on H100-80GB", state, windowEnd)
                .setRatio(firing ? 1.42 : 0.93)
                .setActualUsd(usd("12.34"))
                .setCounterfactualUsd(usd(firing ? "8.69" : "13.27"))
                .setSavingsUsdPerHour(usd(firing ? "3.65" : "-0.93"))
                .setSummary(firing
                        ? team + " would save $3.65/h self-hosting llama-3.1-8b on 1x H100-80GB (API spend is 1.42x the self-hosted cost)"
                        : team + ": self-hosting llama-3.1-8b is no longer cheaper than openai/gpt-4o-mini (ratio 0.93x)")
                .setDetails(Map.of("profile", "llama-3.1-8b", "gpu_model", "H100-80GB", "api_model", "openai/gpt-4o-mini",
                        "minutes", "60", "replicas", "1", "gpus", "1"))
                .build();
    }

    static SpendAlert idle(String team, String deployment) {
        return base(team, "IDLE_CAPACITY", deployment, "FIRING", WINDOW_END)
                .setRatio(0.12)
                .setIdleUsdPerHour(usd("2.112"))
                .setSummary(team + "'s deployment " + deployment + " is idle: 12% GPU utilization for 15 min, $2.11/h of idle GPUs")
                .setDetails(Map.of("utilization", "0.1200"))
                .build();
    }

    /** {@code threshold}: {@code 80%}, {@code 100%} or {@code forecast}. */
    static SpendAlert budget(String team, String threshold) {
        String period = "day:2026-03-02";
        return base(team, "BUDGET", period + " " + threshold, "FIRING", WINDOW_END)
                .setBudgetUsd(usd("100"))
                .setSpendUsd(usd(threshold.equals("100%") ? "101.5" : "85.25"))
                .setSummary(team + " has spent 85% of its daily budget ($85.25 of $100.00)")
                .setDetails(Map.of("period", period, "threshold", threshold))
                .build();
    }

    private static SpendAlert.Builder base(String team, String type, String subject, String state, Instant windowEnd) {
        return SpendAlert.newBuilder()
                .setAlertId(team + "|" + type + "|" + subject + "|" + state + "|" + windowEnd.toEpochMilli())
                .setTeam(team).setType(type).setSubject(subject).setState(state).setWindowEnd(windowEnd);
    }

    static BigDecimal usd(String amount) {
        return new BigDecimal(amount).setScale(9);
    }
}
