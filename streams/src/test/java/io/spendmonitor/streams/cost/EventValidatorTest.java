package io.spendmonitor.streams.cost;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class EventValidatorTest {

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
}
