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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attribution labels (TokenUsage v2): whatever a client sends, the rules answer with nothing or a
 * {@code bad-labels} Violation, never an exception, and what passes is small and printable.
 */
class LabelRulesProperties {
    private static final EventRules RULES = EventRules.defaults();
    private static final long NOW = Instant.parse("2026-11-27T10:16:00Z").toEpochMilli();

    @Property(tries = 400, seed = "20261130")
    void hostileLabelsAreRejectedTypedAndWhatPassesIsBounded(@ForAll("hostileLabels") Map<String, String> labels) {
        TokenUsage u = Fixtures.tokenUsage("labels-1");
        u.setLabels(labels);

        Optional<Violation> verdict = RULES.check(u, NOW);

        Statistics.collect(verdict.map(v -> v.reason().wire()).orElse("accepted"));
        verdict.ifPresent(v -> {
            assertThat(v.reason()).isEqualTo(RejectReason.BAD_LABELS);
            assertThat(v.message()).hasSizeLessThan(400).doesNotContain("\n");
        });
        if (verdict.isEmpty()) {
            assertThat(labels).hasSizeLessThanOrEqualTo(EventRules.MAX_LABELS);
            labels.forEach((k, v) -> {
                assertThat(k).hasSizeBetween(1, EventRules.MAX_LABEL_KEY_LENGTH).matches("[A-Za-z0-9_.\\-]+");
                assertThat(v).hasSizeBetween(1, EventRules.MAX_LABEL_VALUE_LENGTH);
                assertThat(EventRules.badName(v)).isFalse();
            });
        }
    }

    @Property(tries = 200, seed = "20261130")
    void wellFormedLabelsAlwaysPass(@ForAll("goodLabels") Map<String, String> labels) {
        TokenUsage u = Fixtures.tokenUsage("labels-2");
        u.setLabels(labels);

        assertThat(RULES.check(u, NOW)).isEmpty();
    }

    @Example
    void thirtyThreeLabelsAreOneTooMany() {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < 33; i++) {
            labels.put("k" + i, "v");
        }
        TokenUsage u = Fixtures.tokenUsage("labels-3");
        u.setLabels(labels);

        Violation v = RULES.check(u, NOW).orElseThrow();

        assertThat(v.reason().wire()).isEqualTo("bad-labels");
        assertThat(v.message()).isEqualTo("labels has 33 entries, at most 32 are allowed");
    }

    @Example
    void keysAndValuesAreCheckedForLengthAndCharacters() {
        assertThat(problem(Map.of("customer", "acme"))).isEmpty();
        assertThat(problem(Map.of())).isEmpty();
        assertThat(problem(null)).isEmpty();
        assertThat(problem(Map.of("k".repeat(65), "v"))).contains("longer than 64 characters (65)");
        assertThat(problem(Map.of("k".repeat(64), "v".repeat(200)))).isEmpty();
        assertThat(problem(Map.of("customer", "v".repeat(201)))).contains("labels.customer is longer than 200 characters");
        assertThat(problem(Map.of("cust omer", "acme"))).contains("contains U+0020");
        assertThat(problem(Map.of("customer", "<script>"))).contains("no markup");
        assertThat(problem(Map.of("customer", ""))).contains("labels.customer is empty");
        assertThat(problem(Map.of("", "acme"))).contains("empty key");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("customer", null);
        assertThat(problem(nullValue)).contains("labels.customer is empty");
    }

    private static String problem(Map<String, String> labels) {
        return EventRules.labelsProblem(labels).map(v -> v.reason().wire() + ": " + v.message()).orElse("");
    }

    @Provide
    Arbitrary<Map<String, String>> hostileLabels() {
        Arbitrary<String> anything = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(0).ofMaxLength(80),
                Arbitraries.of("", " ", "customer", "a\u0000b", "\uFFFD", "x<y", "k".repeat(65)));
        return Arbitraries.maps(anything, anything.injectNull(0.05)).ofMaxSize(40).map(HashMap::new);
    }

    @Provide
    Arbitrary<Map<String, String>> goodLabels() {
        Arbitrary<String> key = Arbitraries.strings().withCharRange('a', 'z').withChars('_', '.', '-', '0', '9')
                .ofMinLength(1).ofMaxLength(EventRules.MAX_LABEL_KEY_LENGTH);
        Arbitrary<String> value = Arbitraries.strings().withCharRange(' ', '~').excludeChars('<', '>', '"', '\'', '`', '\\')
                .ofMinLength(1).ofMaxLength(EventRules.MAX_LABEL_VALUE_LENGTH).filter(s -> !s.isBlank());
        return Arbitraries.maps(key, value).ofMaxSize(EventRules.MAX_LABELS);
    }
}
