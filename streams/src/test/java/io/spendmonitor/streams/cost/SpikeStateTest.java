package io.spendmonitor.streams.cost;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TeamState.SpikeState}'s copy (what the evaluate node puts back) is independent of the state it was taken from. */
class SpikeStateTest {
    private static final long W = 60_000;

    private static TeamState.SpikeState threeWindows() {
        TeamState.SpikeState s = new TeamState.SpikeState();
        s.put(1 * W, BigInteger.valueOf(10));
        s.put(2 * W, BigInteger.valueOf(20));
        s.put(3 * W, BigInteger.valueOf(30));
        return s;
    }

    @Test
    void changingTheCopyLeavesTheOriginal() {
        TeamState.SpikeState original = threeWindows();
        TeamState.SpikeState copy = original.copy();
        copy.put(4 * W, BigInteger.valueOf(40)); // past the copy's exact-size arrays: they grow
        copy.put(2 * W, BigInteger.valueOf(21));
        copy.put(W / 2, BigInteger.valueOf(5));
        copy.removeUpTo(1 * W);
        copy.firing = true;
        assertThat(original.getCosts()).containsExactly(
                java.util.Map.entry(1 * W, BigInteger.valueOf(10)), java.util.Map.entry(2 * W, BigInteger.valueOf(20)),
                java.util.Map.entry(3 * W, BigInteger.valueOf(30)));
        assertThat(original.sum(0, 3 * W)).isEqualTo(BigInteger.valueOf(60));
        assertThat(original.firing).isFalse();
        assertThat(copy.getCosts()).containsExactly(
                java.util.Map.entry(2 * W, BigInteger.valueOf(21)), java.util.Map.entry(3 * W, BigInteger.valueOf(30)),
                java.util.Map.entry(4 * W, BigInteger.valueOf(40)));
    }

    @Test
    void changingTheOriginalLeavesTheCopy() {
        TeamState.SpikeState original = threeWindows();
        TeamState.SpikeState copy = original.copy();
        original.removeUpTo(2 * W);
        original.put(3 * W, BigInteger.valueOf(31));
        original.put(4 * W, BigInteger.valueOf(40));
        assertThat(copy.size()).isEqualTo(3);
        assertThat(copy.cost(1 * W)).isEqualTo(BigInteger.valueOf(10));
        assertThat(copy.cost(3 * W)).isEqualTo(BigInteger.valueOf(30));
        assertThat(copy.cost(4 * W)).isZero();
        assertThat(original.getCosts().keySet()).containsExactly(3 * W, 4 * W);
    }

    @Test
    void theWholeStatesCopiesCopyTheHistory() {
        TeamState state = new TeamState();
        state.spike = threeWindows();
        TeamState copy = state.copy();
        TeamState before = state.copyForEvaluation();
        state.spike.put(4 * W, BigInteger.ONE);
        state.spike.removeUpTo(2 * W);
        assertThat(copy.spike.getCosts().keySet()).containsExactly(1 * W, 2 * W, 3 * W);
        assertThat(before.spike.getCosts().keySet()).containsExactly(1 * W, 2 * W, 3 * W);
    }

    @Test
    void anEmptyHistoryCopiesAndGrows() {
        TeamState.SpikeState copy = new TeamState.SpikeState().copy();
        for (int m = 1; m <= 100; m++) {
            copy.put(m * W, BigInteger.valueOf(m));
        }
        copy.removeUpTo(37 * W);
        assertThat(copy.size()).isEqualTo(63);
        assertThat(copy.sum(37 * W, 100 * W)).isEqualTo(BigInteger.valueOf((38 + 100) * 63 / 2));
    }

    @Test
    void aNullCostIsRefused() {
        TeamState.SpikeState s = threeWindows();
        assertThatThrownBy(() -> s.put(4 * W, null)).isInstanceOf(NullPointerException.class);
        assertThat(s.size()).isEqualTo(3);
    }
}
