package io.spendmonitor.streams.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.streams.topology.StateSerdes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TeamState.SpikeState}'s sorted arrays behave as the {@code TreeMap<Long, BigInteger>} they
 * replace, under any sequence of puts (appends, inserts, replacements), removals, sums and look-ups;
 * copies taken on the way stay as they were whichever side goes on; the JSON is the TreeMap's.
 */
class SpikeStatePropertyTest {
    private static final long W = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One operation; times are window indexes (times W), {@code a} and {@code b} as each kind reads them. */
    record Op(int kind, long a, long b, BigInteger cost) {
        static final int APPEND = 0, PUT = 1, REMOVE = 2, SUM = 3, GET = 4, COPY = 5, COPY_AND_SWITCH = 6, EXTREME = 7;
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> kind = Arbitraries.frequency(Tuple.of(30, Op.APPEND), Tuple.of(12, Op.PUT), Tuple.of(8, Op.REMOVE),
                Tuple.of(10, Op.SUM), Tuple.of(10, Op.GET), Tuple.of(2, Op.COPY), Tuple.of(2, Op.COPY_AND_SWITCH), Tuple.of(1, Op.EXTREME));
        Arbitrary<BigInteger> cost = Arbitraries.oneOf(
                Arbitraries.longs().between(1, 10_000_000_000_000L).map(BigInteger::valueOf),
                Arbitraries.bigIntegers().between(BigInteger.ONE, BigInteger.TEN.pow(40)),
                // sums that leave a long (sum's fast path) on either side
                Arbitraries.longs().between(Long.MAX_VALUE / 8, Long.MAX_VALUE / 2).map(BigInteger::valueOf),
                Arbitraries.longs().between(Long.MIN_VALUE / 2, Long.MIN_VALUE / 8).map(BigInteger::valueOf),
                Arbitraries.of(BigInteger.ZERO, BigInteger.ONE.negate()));
        return Combinators.combine(kind, Arbitraries.longs().between(-5, 150), Arbitraries.longs().between(-5, 150), cost)
                .as(Op::new).list().ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 300)
    void theArraysBehaveAsTheTreeMap(@ForAll("ops") List<Op> ops) throws Exception {
        TeamState.SpikeState s = new TeamState.SpikeState();
        TreeMap<Long, BigInteger> oracle = new TreeMap<>();
        List<TeamState.SpikeState> frozen = new ArrayList<>();
        List<TreeMap<Long, BigInteger>> frozenOracles = new ArrayList<>();
        long last = 0;
        for (Op op : ops) {
            switch (op.kind()) {
                case Op.APPEND -> {
                    // the common case: the next window, or one a few later
                    last += (1 + Math.floorMod(op.a(), 3)) * W;
                    s.put(last, op.cost());
                    oracle.put(last, op.cost());
                }
                case Op.PUT -> {
                    s.put(op.a() * W, op.cost());
                    oracle.put(op.a() * W, op.cost());
                }
                case Op.REMOVE -> {
                    long limit = op.a() * W + (op.b() % 2 == 0 ? 0 : 1); // on a window's end, or just after
                    s.removeUpTo(limit);
                    oracle.headMap(limit, true).clear();
                }
                case Op.SUM -> assertThat(s.sum(op.a() * W, op.b() * W)).isEqualTo(sum(oracle, op.a() * W, op.b() * W));
                case Op.GET -> assertThat(s.cost(op.a() * W)).isEqualTo(oracle.getOrDefault(op.a() * W, BigInteger.ZERO));
                case Op.COPY, Op.COPY_AND_SWITCH -> {
                    TeamState.SpikeState c = s.copy();
                    assertThat(c.getCosts()).containsExactlyEntriesOf(oracle);
                    if (op.kind() == Op.COPY_AND_SWITCH) { // the copy goes on, the original must stay
                        frozen.add(s);
                        s = c;
                    } else {
                        frozen.add(c);
                    }
                    frozenOracles.add(new TreeMap<>(oracle));
                }
                case Op.EXTREME -> {
                    long t = op.a() % 2 == 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
                    assertThat(s.cost(t)).isEqualTo(oracle.getOrDefault(t, BigInteger.ZERO));
                    assertThat(s.sum(Long.MIN_VALUE, t)).isEqualTo(sum(oracle, Long.MIN_VALUE, t));
                    if (op.b() % 5 == 0) {
                        s.removeUpTo(t);
                        oracle.headMap(t, true).clear();
                    }
                }
                default -> throw new IllegalStateException();
            }
            assertThat(s.size()).isEqualTo(oracle.size());
            assertThat(s.getCosts()).containsExactlyEntriesOf(oracle);
            for (int i = 0; i < frozen.size(); i++) {
                assertThat(frozen.get(i).getCosts()).containsExactlyEntriesOf(frozenOracles.get(i));
            }
        }
        // written as the TreeMap is, and read back the same
        TeamState state = new TeamState();
        state.spike = s;
        byte[] bytes = StateSerdes.teamState().serializer().serialize("t", state);
        String written = new String(bytes, StandardCharsets.UTF_8);
        assertThat(written).contains("\"spike\":{\"costs\":" + JSON.writeValueAsString(oracle) + ",\"firing\":false,");
        TeamState back = StateSerdes.teamState().deserializer().deserialize("t", bytes);
        assertThat(back.spike.getCosts()).containsExactlyEntriesOf(oracle);
    }

    /** The oracle's sum over ({@code after}, {@code upTo}]; subMap refuses after > upTo, where the range is empty. */
    private static BigInteger sum(TreeMap<Long, BigInteger> oracle, long after, long upTo) {
        if (after >= upTo) {
            return BigInteger.ZERO;
        }
        return oracle.subMap(after, false, upTo, true).values().stream().reduce(BigInteger.ZERO, BigInteger::add);
    }

    @Property(tries = 100)
    void anyOrderOfWindowsReadsSorted(@ForAll("ops") List<Op> ops) throws Exception {
        // JSON objects whose keys come in the order given (a LinkedHashMap), not sorted
        Map<Long, BigInteger> given = new java.util.LinkedHashMap<>();
        for (Op op : ops) {
            given.put(op.a() * W + op.b(), op.cost());
        }
        String json = "{\"spike\":{\"costs\":" + JSON.writeValueAsString(given) + "}}";
        TeamState state = StateSerdes.teamState().deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
        assertThat(state.spike.getCosts()).containsExactlyEntriesOf(new TreeMap<>(given));
    }
}
