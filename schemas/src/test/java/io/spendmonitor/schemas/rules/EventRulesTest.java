package io.spendmonitor.schemas.rules;

import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class EventRulesTest {
    private final EventRules rules = new EventRules(Instant.parse("2020-01-01T00:00:00Z"), Duration.ofDays(7));

    @Test
    void theWireStringsAreTheOnesDashboardsAndDeadLettersUse() {
        assertThat(Arrays.stream(RejectReason.values()).map(RejectReason::wire)).containsExactly(
                "missing-team", "missing-field", "bad-name", "negative-tokens", "absurd-tokens", "inconsistent-tokens",
                "absurd-timestamp", "future-timestamp", "bad-utilization", "bad-interval", "negative-price", "absurd-price",
                "bad-latency", "bad-memory", "bad-power", "bad-reported-cost", "bad-attributes", "bad-labels", "bad-prompt-hash");
    }

    @Test
    void timeBoundsAreTheMinimumAndTheWallClockPlusMaxAhead() {
        long now = Instant.parse("2026-11-27T12:00:00Z").toEpochMilli();
        long weekAhead = now + Duration.ofDays(7).toMillis(); // 2026-12-04T12:00:00Z
        assertThat(rules.checkTime("timestamp", weekAhead, now)).isEmpty();
        assertThat(rules.checkTime("timestamp", weekAhead + 1, now)).get().extracting(Violation::reason)
                .isEqualTo(RejectReason.FUTURE_TIMESTAMP);
        long min = Instant.parse("2020-01-01T00:00:00Z").toEpochMilli();
        assertThat(rules.checkTime("timestamp", min, now)).isEmpty();
        assertThat(rules.checkTime("timestamp", min - 1, now)).get().extracting(Violation::reason)
                .isEqualTo(RejectReason.ABSURD_TIMESTAMP);
        // now + 7 days would wrap past Long.MAX_VALUE here: saturates instead
        assertThat(rules.tooFarAhead(Long.MAX_VALUE, Long.MAX_VALUE - 5)).isFalse();
        // a huge max-ahead does not overflow either
        assertThat(new EventRules(Instant.EPOCH, Duration.ofSeconds(Long.MAX_VALUE)).tooFarAhead(Long.MAX_VALUE, 0)).isFalse();
    }

    @Test
    void anInstantBeyondALongOfMillisecondsIsOutOfBoundsNotAnError() {
        long now = Instant.parse("2026-11-27T12:00:00Z").toEpochMilli();
        TokenUsage far = TokenUsage.newBuilder().setEventId("e").setTimestamp(Instant.parse("2026-11-27T10:00:00Z"))
                .setTeam("search").setApplication("a").setProvider("openai").setModel("m").setInputTokens(1)
                .setOutputTokens(1).build();
        far.setTimestamp(Instant.MAX); // Instant.MAX.toEpochMilli() throws ArithmeticException
        assertThat(rules.check(far, now)).get().extracting(Violation::reason).isEqualTo(RejectReason.FUTURE_TIMESTAMP);
        far.setTimestamp(Instant.MIN);
        assertThat(rules.check(far, now)).get().extracting(Violation::reason).isEqualTo(RejectReason.ABSURD_TIMESTAMP);
    }

    @Test
    void decimalsAreBoundedBeforeAnyArithmetic() {
        assertThat(Decimals.bounded(new BigDecimal("1e999999999"))).isEmpty();
        assertThat(Decimals.bounded(new BigDecimal("1e-999999999"))).isEmpty();
        // 0E+2147483647 is zero: bounded, and its preview is "0", not two billion zeros
        BigDecimal zero = new BigDecimal("0E+2147483647");
        assertThat(Decimals.bounded(zero)).contains(BigDecimal.ZERO);
        assertThat(Decimals.preview(zero)).isEqualTo("0");
        assertThat(Decimals.preview(new BigDecimal("1e999999999"))).isEqualTo("1E+999999999");
        assertThat(Decimals.preview(new BigDecimal("0.1234567890123456789012345678901234567890123")))
                .isEqualTo("0.12345678901234567890123456789012345678…");
        // 2.50 at 9 decimals is 2.500000000; 0.1234567891 has a tenth decimal
        assertThat(Decimals.atScale(new BigDecimal("2.50"), 9)).contains(new BigDecimal("2.500000000"));
        assertThat(Decimals.atScale(new BigDecimal("0.1234567891"), 9)).isEmpty();
        assertThat(Decimals.fits(new BigDecimal("999999999.999999999"), 9, EventRules.MONEY_LIMIT)).isTrue();
        assertThat(Decimals.fits(new BigDecimal("1000000000"), 9, EventRules.MONEY_LIMIT)).isFalse();
    }
}
