package io.spendmonitor.schemas;

import io.spendmonitor.avro.TokenUsage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/** Records the tests write; values chosen so each field is distinguishable. */
public final class Fixtures {
    private Fixtures() {
    }

    public static TokenUsage tokenUsage(String eventId) {
        return TokenUsage.newBuilder()
                .setEventId(eventId)
                .setTimestamp(Instant.parse("2026-11-27T10:15:30.123Z"))
                .setTeam("search")
                .setApplication("query-rewriter")
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setInputTokens(1200)
                .setCachedInputTokens(1024)
                .setCacheWriteInputTokens(0)
                .setOutputTokens(85)
                .setServiceTier("default")
                .setLatencyMs(412L)
                .setReportedCostUsd(new BigDecimal("0.000146100"))
                .setAttributes(Map.of("region", "eu-west-1"))
                .build();
    }
}
