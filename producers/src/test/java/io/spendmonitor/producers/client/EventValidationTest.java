package io.spendmonitor.producers.client;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client library refuses what the topology would dead-letter (issue 12 defect 9): the same EventRules. */
class EventValidationTest {
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static TokenUsage call() {
        TokenUsage u = new TokenUsage();
        u.setTeam("search");
        u.setApplication("ranker");
        u.setProvider("openai");
        u.setModel("gpt-4o-mini");
        u.setInputTokens(1000L);
        u.setCachedInputTokens(0L);
        u.setCacheWriteInputTokens(0L);
        u.setOutputTokens(200L);
        return u;
    }

    private static GpuUtilization sample(double intervalSeconds, String usdPerHour) {
        return GpuUtilization.newBuilder().setNode("n1").setGpuId("0").setGpuModel("H100-80GB").setTeam("search")
                .setUtilization(0.5).setIntervalSeconds(intervalSeconds).setTimestamp(NOW)
                .setUsdPerHour(usdPerHour == null ? null : new BigDecimal(usdPerHour).setScale(9)).build();
    }

    @Test
    void aGoodCallGetsItsDefaultsAndTheCallersObjectIsUntouched() {
        TokenUsage mine = call();
        mine.setReportedCostUsd(new BigDecimal("0.15"));
        TokenUsage prepared = EventValidation.prepare(mine, CLOCK);
        assertThat(prepared.getTimestamp()).isEqualTo(NOW);
        assertThat(prepared.getEventId()).isNotBlank();
        assertThat(prepared.getAttributes()).isEmpty();
        assertThat(prepared.getReportedCostUsd()).isEqualTo(new BigDecimal("0.150000000")); // scale 9, as Avro needs
        assertThat(mine.getTimestamp()).isNull();
        assertThat(mine.getReportedCostUsd()).isEqualTo(new BigDecimal("0.15"));
    }

    @Test
    void namesFollowTheTopologysRule() {
        TokenUsage markup = call();
        markup.setTeam("<b>search</b>");
        assertThatThrownBy(() -> EventValidation.prepare(markup, CLOCK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token_usage: team contains '<' (no markup or quoting characters in names) [bad-name]");
        TokenUsage longModel = call();
        longModel.setModel("m".repeat(201));
        assertThatThrownBy(() -> EventValidation.prepare(longModel, CLOCK)).hasMessageEndingWith("[bad-name]");
    }

    @Test
    void timesFollowTheTopologysRule() {
        TokenUsage ahead = call();
        ahead.setTimestamp(Instant.parse("2026-11-27T12:01:00.001Z")); // now + 1 minute + 1 ms
        assertThatThrownBy(() -> EventValidation.prepare(ahead, CLOCK))
                .hasMessage("token_usage: timestamp 2026-11-27T12:01:00.001Z is more than 1 minute in the future [future-timestamp]");
        TokenUsage old = call();
        old.setTimestamp(Instant.parse("2019-12-31T23:59:59.999Z"));
        assertThatThrownBy(() -> EventValidation.prepare(old, CLOCK)).hasMessageEndingWith("[absurd-timestamp]");
    }

    @Test
    void aGpuSampleTheTopologyCannotPriceExactlyIsRefused() {
        // 86400 s / 3600 * $10,000/h = $240,000 in one sample: more than the topology's femto-dollar long holds
        assertThatThrownBy(() -> EventValidation.prepare(sample(86_400, "10000"), CLOCK)).hasMessageEndingWith("[absurd-price]");
        assertThat(EventValidation.prepare(sample(15, "2.5"), CLOCK).getUsdPerHour()).isEqualTo(new BigDecimal("2.500000000"));
    }

    @Test
    void hostileValuesAreRefusedWithoutWork() {
        TokenUsage bomb = call();
        bomb.setReportedCostUsd(new BigDecimal("1e-999999999")); // setScale(9) on it would be fine; as 9 decimals it is not exact
        assertThatThrownBy(() -> EventValidation.prepare(bomb, CLOCK)).hasMessageEndingWith("[bad-reported-cost]");
        TokenUsage huge = call();
        huge.setReportedCostUsd(new BigDecimal("1e999999999")); // setScale(9) would write a billion digits
        assertThatThrownBy(() -> EventValidation.prepare(huge, CLOCK)).hasMessageEndingWith("[bad-reported-cost]");
        Map<String, String> attributes = new HashMap<>();
        attributes.put("k", null);
        TokenUsage nullValue = call();
        nullValue.setAttributes(attributes);
        assertThatThrownBy(() -> EventValidation.prepare(nullValue, CLOCK)).hasMessageEndingWith("[bad-attributes]");
    }
}
