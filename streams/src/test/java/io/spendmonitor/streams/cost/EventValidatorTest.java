package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventValidatorTest {
    /** A fixed wall clock: 2026-11-27T12:00:00Z. */
    private static final long NOW = Instant.parse("2026-11-27T12:00:00Z").toEpochMilli();
    private final EventValidator validator = new EventValidator(Instant.parse("2020-01-01T00:00:00Z"), Duration.ofDays(7));

    @Test
    void aNameIsBadForExactlyTheCharactersOfTheRule() {
        // the rule as a regular expression (what the loop replaced, for speed): control characters,
        // the replacement character and the markup and quoting characters
        Pattern rule = Pattern.compile("[\\p{Cc}\\uFFFD<>\"'`\\\\]");
        for (int c = 0; c <= 0xFFFF; c++) {
            String name = "team" + (char) c + "x";
            assertThat(EventValidator.badName(name)).as("U+%04X", c).isEqualTo(rule.matcher(name).find());
        }
        assertThat(EventValidator.badName("search-api_v2.prod/eu:1 (beta)")).isFalse();
        assertThat(EventValidator.badName("\u0085")).isTrue();  // NEL, a C1 control
        assertThat(EventValidator.badName("\u00a0")).isFalse(); // no-break space is text
    }

    @Test
    void aNameIsBadWhenMissingOrLongerThan200Characters() {
        assertThat(EventValidator.badName(null)).isTrue();
        assertThat(EventValidator.badName("a".repeat(200))).isFalse();
        assertThat(EventValidator.badName("a".repeat(201))).isTrue();
    }

    @Test
    void aValidCallPasses() {
        assertThat(validator.check(call(1000, 600, 400, 200), NOW)).isEmpty();
        assertThat(validator.check(sample(60, "2.50"), NOW)).isEmpty();
    }

    @Test
    void anEventTooFarAheadOfTheWallClockIsAFutureTimestampNotAnAbsurdOne() {
        // now + 7 days = 2026-12-04T12:00:00Z is the last accepted time
        TokenUsage lastAccepted = call(1000, 0, 0, 200);
        lastAccepted.setTimestamp(Instant.parse("2026-12-04T12:00:00Z"));
        assertThat(validator.check(lastAccepted, NOW)).isEmpty();
        TokenUsage ahead = call(1000, 0, 0, 200);
        ahead.setTimestamp(Instant.parse("2026-12-04T12:00:00.001Z"));
        assertThat(validator.check(ahead, NOW)).contains("future-timestamp");
        TokenUsage before = call(1000, 0, 0, 200);
        before.setTimestamp(Instant.parse("2019-12-31T23:59:59.999Z"));
        assertThat(validator.check(before, NOW)).contains("absurd-timestamp");
        // both still keep the record's time out of stream time
        assertThat(validator.absurd(Instant.parse("2026-12-04T12:00:00.001Z").toEpochMilli(), NOW)).isTrue();
        assertThat(validator.absurd(Instant.parse("2019-12-31T23:59:59.999Z").toEpochMilli(), NOW)).isTrue();
        assertThat(validator.absurd(NOW, NOW)).isFalse();
        // no overflow at the far end: Long.MAX_VALUE is ahead of any clock
        assertThat(validator.absurd(Long.MAX_VALUE, Long.MAX_VALUE - 1)).isFalse();
        assertThat(validator.absurd(Long.MAX_VALUE, NOW)).isTrue();
    }

    @Test
    void cacheCountsThatWrapALongAreRejectedNotSummed() {
        // Long.MAX_VALUE + Long.MAX_VALUE wraps to -2 in a long, which is "not above" 1000 input tokens
        assertThat(validator.check(call(1000, Long.MAX_VALUE, Long.MAX_VALUE, 200), NOW)).contains("absurd-tokens");
        // each count is capped at 10M, not just input and output
        assertThat(validator.check(call(1000, 10_000_001, 0, 200), NOW)).contains("absurd-tokens");
        assertThat(validator.check(call(1000, 600, 401, 200), NOW)).contains("inconsistent-tokens");
    }

    @Test
    void aGpuSampleWhoseCostCannotBeHeldExactlyIsRejectedBeforeItIsPriced() {
        // a day at the largest hourly price: 86400 / 3600 * 10000 = $240,000 = 2.4e20 femto-dollars,
        // more than a long holds (9.22e18): the topology's pricing would throw
        assertThatThrownBy(() -> GpuSamplePricing.costFemto(86_400, new BigDecimal("10000")))
                .isInstanceOf(ArithmeticException.class);
        assertThat(validator.check(sample(86_400, "10000"), NOW)).contains("absurd-price");
        // $900 per sample is the cap: 86400 s at $37.50/h = 24 * 37.5 = $900 exactly passes, a cent more per hour not
        assertThat(validator.check(sample(86_400, "37.50"), NOW)).isEmpty();
        assertThat(validator.check(sample(86_400, "37.51"), NOW)).contains("absurd-price");
        assertThat(GpuSamplePricing.costFemto(86_400, new BigDecimal("37.50"))).isEqualTo(900 * Money.FEMTO_PER_USD);
    }

    @Test
    void namesHaveOneLimitEverywhere() {
        TokenUsage markup = call(1000, 0, 0, 200);
        markup.setTeam("<b>search</b>");
        assertThat(validator.check(markup, NOW)).contains("bad-name");
        TokenUsage longName = call(1000, 0, 0, 200);
        longName.setModel("m".repeat(201));
        assertThat(validator.check(longName, NOW)).contains("bad-name");
    }

    static TokenUsage call(long input, long cached, long cacheWrite, long output) {
        return TokenUsage.newBuilder().setEventId("e-1").setTimestamp(Instant.parse("2026-11-27T10:00:00Z"))
                .setTeam("search").setApplication("ranker").setProvider("openai").setModel("gpt-4o-mini")
                .setInputTokens(input).setCachedInputTokens(cached).setCacheWriteInputTokens(cacheWrite)
                .setOutputTokens(output).setAttributes(Map.of()).build();
    }

    static GpuUtilization sample(double intervalSeconds, String usdPerHour) {
        return GpuUtilization.newBuilder().setTimestamp(Instant.parse("2026-11-27T10:00:00Z")).setNode("n1")
                .setGpuId("0").setGpuModel("H100-80GB").setTeam("search").setUtilization(0.5)
                .setIntervalSeconds(intervalSeconds).setUsdPerHour(new BigDecimal(usdPerHour).setScale(9)).build();
    }
}
