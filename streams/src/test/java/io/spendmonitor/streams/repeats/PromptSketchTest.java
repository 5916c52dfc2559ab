package io.spendmonitor.streams.repeats;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The HyperLogLog sketch: accuracy at 10k and 100k distinct prompts, merging, serialization. */
class PromptSketchTest {

    /** Fixed seeds: the hashes are pseudo-random SHA-256 stand-ins (64 hex characters). */
    private static String hex(SplittableRandom random) {
        return String.format("%016x%016x%016x%016x", random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
    }

    @Test
    void tenThousandAndOneHundredThousandDistinctAreWithinTwoPercent() {
        for (int distinct : new int[] {10_000, 100_000}) {
            for (long seed = 1; seed <= 5; seed++) {
                SplittableRandom random = new SplittableRandom(seed);
                PromptSketch s = new PromptSketch();
                for (int i = 0; i < distinct; i++) {
                    String h = hex(random);
                    s.add(PromptSketch.hashOf(h));
                    s.add(PromptSketch.hashOf(h)); // a repeat changes nothing
                }
                // standard error 1.04 / sqrt(8192) = 1.15 %: 2 % is 1.7 standard errors; these seeds are fixed
                assertThat(s.estimate()).as("%d distinct, seed %d", distinct, seed).isCloseTo(distinct, within(distinct * 0.02));
            }
        }
    }

    @Test
    void smallCountsAreNearlyExactAndMergingIsAUnion() throws IOException {
        PromptSketch a = new PromptSketch();
        PromptSketch b = new PromptSketch();
        SplittableRandom random = new SplittableRandom(7);
        String[] hashes = new String[30];
        for (int i = 0; i < 30; i++) {
            hashes[i] = hex(random);
        }
        for (int i = 0; i < 20; i++) {
            a.add(PromptSketch.hashOf(hashes[i]));
        }
        for (int i = 10; i < 30; i++) {
            b.add(PromptSketch.hashOf(hashes[i]));
        }
        assertThat(Math.round(a.estimate())).isEqualTo(20);
        a.merge(b);
        assertThat(Math.round(a.estimate())).isEqualTo(30); // 0..19 ∪ 10..29

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.writeTo(new DataOutputStream(bytes));
        assertThat(bytes.size()).isLessThan(100); // sparse: 30 registers of 3 bytes and a header
        PromptSketch back = PromptSketch.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(back).isEqualTo(a);
    }

    @Test
    void aFullSketchStaysUnderNineKilobytes() throws IOException {
        PromptSketch s = new PromptSketch();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            s.add(random.nextLong());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        s.writeTo(new DataOutputStream(bytes));
        assertThat(bytes.size()).isEqualTo(1 + PromptSketch.M);
        assertThat(PromptSketch.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())))).isEqualTo(s);
    }

    @Test
    void anEmptySketchIsThreeBytesAndEstimatesZero() throws IOException {
        PromptSketch empty = new PromptSketch();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        empty.writeTo(new DataOutputStream(bytes));
        assertThat(bytes.size()).isEqualTo(3); // encoding byte + a count of 0
        PromptSketch back = PromptSketch.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(back.estimate()).isZero();
        assertThat(back.isEmpty()).isTrue();
        back.merge(empty);
        assertThat(back).isEqualTo(empty);
    }

    @Test
    void hashesDifferingOnlyPastTheFirstSixteenCharactersDiffer() {
        String a = "0".repeat(63) + "1";
        String b = "0".repeat(63) + "2";
        assertThat(PromptSketch.hashOf(a)).isNotEqualTo(PromptSketch.hashOf(b));
        assertThat(PromptSketch.hashOf("ABCDEF0123456789")).isEqualTo(PromptSketch.hashOf("abcdef0123456789"));
    }
}
