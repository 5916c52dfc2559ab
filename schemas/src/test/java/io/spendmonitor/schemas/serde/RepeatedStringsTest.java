package io.spendmonitor.schemas.serde;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RepeatedStringsTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aNameThatComesAgainIsTheSameInstance() {
        RepeatedStrings strings = new RepeatedStrings();
        byte[] record = utf8("..team-7..");
        String first = strings.get(record, 2, 6);
        String again = strings.get(utf8("team-7"), 0, 6);
        assertThat(first).isEqualTo("team-7");
        assertThat(again).isSameAs(first);
        assertThat(strings.get(utf8("team-8"), 0, 6)).isEqualTo("team-8").isNotSameAs(first);
    }

    @Test
    void namesWithTheSameHashAndLengthAreToldApart() {
        // "Aa" and "BB" hash alike (31 * 'A' + 'a' = 31 * 'B' + 'B' = 2112): same slot, same length
        RepeatedStrings strings = new RepeatedStrings();
        String aa = strings.get(utf8("Aa"), 0, 2);
        assertThat(strings.get(utf8("BB"), 0, 2)).isEqualTo("BB");
        assertThat(strings.get(utf8("Aa"), 0, 2)).isEqualTo("Aa").isNotSameAs(aa); // BB took the slot
    }

    @Test
    void longStringsAreDecodedButNotKept() {
        RepeatedStrings strings = new RepeatedStrings();
        byte[] longName = utf8("x".repeat(RepeatedStrings.MAX_BYTES + 1));
        String first = strings.get(longName, 0, longName.length);
        assertThat(first).isEqualTo("x".repeat(RepeatedStrings.MAX_BYTES + 1));
        assertThat(strings.get(longName, 0, longName.length)).isEqualTo(first).isNotSameAs(first);
    }

    @Test
    void aFieldOfUniqueValuesRestsAndIsTriedAgain() {
        RepeatedStrings strings = new RepeatedStrings();
        for (int i = 0; i < RepeatedStrings.TRIAL; i++) {
            assertThat(strings.get(utf8("evt-" + i), 0, utf8("evt-" + i).length)).isEqualTo("evt-" + i);
        }
        assertThat(strings.resting()).isTrue();
        // while resting, values are decoded plainly, and correctly; a repeated one is not kept
        String a = strings.get(utf8("team-1"), 0, 6);
        assertThat(a).isEqualTo("team-1");
        assertThat(strings.get(utf8("team-1"), 0, 6)).isNotSameAs(a);
        for (int i = 2; i < RepeatedStrings.REST; i++) {
            strings.get(utf8("x"), 0, 1);
        }
        assertThat(strings.resting()).isFalse();
        String b = strings.get(utf8("team-1"), 0, 6);
        assertThat(strings.get(utf8("team-1"), 0, 6)).isSameAs(b);
    }

    @Test
    void aFieldOfFewNamesKeepsBeingCached() {
        RepeatedStrings strings = new RepeatedStrings();
        for (int i = 0; i < 3 * RepeatedStrings.TRIAL; i++) {
            String name = "model-" + (i % 20);
            assertThat(strings.get(utf8(name), 0, name.length())).isEqualTo(name);
        }
        assertThat(strings.resting()).isFalse();
    }

    /** Whatever the bytes (invalid UTF-8 included), the answer is what a new String of them is. */
    @Property(tries = 300, seed = "20261130")
    void alwaysTheStringOfTheBytes(@ForAll("sequences") List<byte[]> values) {
        RepeatedStrings strings = new RepeatedStrings();
        for (byte[] v : values) {
            assertThat(strings.get(v, 0, v.length)).isEqualTo(new String(v, StandardCharsets.UTF_8));
        }
    }

    @Provide
    Arbitrary<List<byte[]>> sequences() {
        Arbitrary<byte[]> few = Arbitraries.of("openai", "gpt-4o", "team-1", "team-2", "é", "").map(RepeatedStringsTest::utf8);
        Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMaxSize(80);
        return Arbitraries.oneOf(few, few, any).list().ofMaxSize(200);
    }
}
