package io.spendmonitor.schemas.rules;

import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Fixtures;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * prompt_hash (TokenUsage v3): whatever a client sends, the rules answer with nothing or a
 * {@code bad-prompt-hash} Violation, never an exception; what passes is 16..128 hex characters.
 */
class PromptHashRulesProperties {
    private static final EventRules RULES = EventRules.defaults();
    private static final long NOW = Instant.parse("2026-11-27T10:16:00Z").toEpochMilli();

    @Property(tries = 500, seed = "20261130")
    void anyStringIsAcceptedAsHexOrRejectedTyped(@ForAll("hostileHashes") String hash) {
        TokenUsage u = Fixtures.tokenUsage("hash-1");
        u.setPromptHash(hash);

        Optional<Violation> verdict = RULES.check(u, NOW);

        Statistics.collect(verdict.map(v -> v.reason().wire()).orElse("accepted"));
        boolean wellFormed = hash.matches("[0-9a-fA-F]{16,128}");
        if (wellFormed) {
            assertThat(verdict).isEmpty();
        } else {
            assertThat(verdict).isPresent();
            assertThat(verdict.get().reason()).isEqualTo(RejectReason.BAD_PROMPT_HASH);
            // the message never echoes the value: a hostile client may have sent the prompt itself
            assertThat(verdict.get().message()).hasSizeLessThan(200).doesNotContain("\n");
        }
    }

    @Property(tries = 200, seed = "20261130")
    void hexOfAnyAllowedLengthPasses(@ForAll("goodHashes") String hash) {
        TokenUsage u = Fixtures.tokenUsage("hash-2");
        u.setPromptHash(hash);

        assertThat(RULES.check(u, NOW)).isEmpty();
    }

    @Example
    void noHashIsFineAndTheBoundsAreSixteenAndOneHundredTwentyEight() {
        TokenUsage u = Fixtures.tokenUsage("hash-3");
        assertThat(RULES.check(u, NOW)).isEmpty();
        assertThat(EventRules.promptHashProblem("a".repeat(15)).map(v -> v.reason().wire())).contains("bad-prompt-hash");
        assertThat(EventRules.promptHashProblem("a".repeat(16))).isEmpty();
        assertThat(EventRules.promptHashProblem("F".repeat(128))).isEmpty();
        assertThat(EventRules.promptHashProblem("0".repeat(129))).isPresent();
        assertThat(EventRules.promptHashProblem("What is the capital of France?")).isPresent();
        assertThat(EventRules.promptHashProblem("")).isPresent();
    }

    @Provide
    Arbitrary<String> goodHashes() {
        return Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofMinLength(16).ofMaxLength(128);
    }

    @Provide
    Arbitrary<String> hostileHashes() {
        return Arbitraries.oneOf(
                goodHashes(),
                Arbitraries.strings().withChars("0123456789abcdef").ofMinLength(0).ofMaxLength(300),
                goodHashes().map(h -> h.substring(0, h.length() / 2) + "g" + h.substring(h.length() / 2)),
                Arbitraries.strings().all().ofMaxLength(200),
                Arbitraries.strings().withChars("0123456789abcdef \n\u0000\uFFFD").ofMinLength(10).ofMaxLength(140));
    }
}
