package io.spendmonitor.producers.client;

import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client library fills labels (TokenUsage v2) through the generated builder and checks them with EventRules. */
class LabelsInClientTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void labelsSetOnTheBuilderArePublishedAndNoneMeansEmpty() {
        TokenUsage labelled = SpendPublisher.tokenUsageBuilder().setTimestamp(CLOCK.instant()).setTeam("search")
                .setApplication("ranker").setProvider("openai").setModel("gpt-4o-mini").setInputTokens(10).setOutputTokens(2)
                .setLabels(Map.of("customer", "acme")).build();
        TokenUsage plain = new TokenUsage();
        plain.setTeam("search");
        plain.setApplication("ranker");
        plain.setProvider("openai");
        plain.setModel("gpt-4o-mini");
        plain.setInputTokens(10L);
        plain.setCachedInputTokens(0L);
        plain.setCacheWriteInputTokens(0L);
        plain.setOutputTokens(2L);

        assertThat(EventValidation.prepare(labelled, CLOCK).getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme"));
        assertThat(EventValidation.prepare(plain, CLOCK).getLabels()).isNotNull().isEmpty(); // a v1-style record gets {}
        assertThat(plain.getLabels()).isNull(); // the caller's object is not modified
    }

    @Test
    void hostileLabelsFailAtTheCallerWithTheRulesReason() {
        TokenUsage u = SpendPublisher.tokenUsageBuilder().setTimestamp(CLOCK.instant()).setTeam("search")
                .setApplication("ranker").setProvider("openai").setModel("gpt-4o-mini").setInputTokens(10).setOutputTokens(2)
                .setLabels(Map.of("customer", "x".repeat(201))).build();

        assertThatThrownBy(() -> EventValidation.prepare(u, CLOCK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token_usage: labels.customer is longer than 200 characters [bad-labels]");
    }
}
