package io.spendmonitor.streams.cost;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the spend counters export ({@link LiveSpend}: final totals plus open windows) never goes
 * down, line by line, and always sums to exactly what was added: whatever the order of calls,
 * commits (when names get their keys) and windows becoming final, also past the cap of named keys
 * (a pool of 300 model names against {@link TeamState#MAX_KEYS} = 256).
 */
class LiveSpendPropertyTest {
    private static final long WINDOW_MS = 60_000;

    /** kind 0: a call (model, window, femto); kind 1: a commit (snapshot); kind 2: the oldest window becomes final. */
    record Op(int kind, int model, int window, long femto) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> call = Combinators.combine(Arbitraries.integers().between(0, 299), Arbitraries.integers().between(0, 2),
                Arbitraries.longs().between(0, 1_000_000_000L)).as((m, w, c) -> new Op(0, m, w, c));
        Arbitrary<Op> commit = Arbitraries.just(new Op(1, 0, 0, 0));
        Arbitrary<Op> close = Arbitraries.just(new Op(2, 0, 0, 0));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(20, call), net.jqwik.api.Tuple.of(4, commit),
                net.jqwik.api.Tuple.of(1, close)).list().ofMinSize(1).ofMaxSize(1500);
    }

    @Property(tries = 60)
    void theExportedSpendNeverGoesDownAndSumsExactly(@ForAll("ops") List<Op> ops) {
        TeamState state = new TeamState();
        ArrayDeque<TeamWindow> open = new ArrayDeque<>();
        long nextStart = 0;
        for (int i = 0; i < 3; i++) {
            open.addLast(new TeamWindow(nextStart));
            nextStart += WINDOW_MS;
        }
        long addedFemto = 0;
        long addedCalls = 0;
        Map<String, BigDecimal> lastCost = new HashMap<>();
        Map<String, Long> lastCalls = new HashMap<>();
        for (Op op : ops) {
            switch (op.kind()) {
                case 0 -> {
                    TeamWindow w = List.copyOf(open).get(op.window() % open.size());
                    w.addApiCall("openai", "m" + op.model(), new TokenCounts(1, 0, 0, 1), op.femto());
                    addedFemto += op.femto();
                    addedCalls++;
                }
                case 1 -> {
                    LiveSpend.giveKeys(state, open);
                    LiveSpend spend = LiveSpend.of(state, open);
                    BigDecimal total = BigDecimal.ZERO;
                    long calls = 0;
                    for (LiveSpend.ModelLine m : spend.models()) {
                        String key = m.provider() + "/" + m.model();
                        assertThat(m.costUsd()).as("cost of %s", key).isGreaterThanOrEqualTo(lastCost.getOrDefault(key, BigDecimal.ZERO));
                        assertThat(m.calls()).as("calls of %s", key).isGreaterThanOrEqualTo(lastCalls.getOrDefault(key, 0L));
                        lastCost.put(key, m.costUsd());
                        lastCalls.put(key, m.calls());
                        total = total.add(m.costUsd());
                        calls += m.calls();
                    }
                    // every femto-dollar added is exported once: femto / 1e15 USD
                    assertThat(total).isEqualByComparingTo(BigDecimal.valueOf(addedFemto).movePointLeft(15));
                    assertThat(calls).isEqualTo(addedCalls);
                    // a line once exported is exported at every later commit
                    assertThat(spend.models().stream().map(m -> m.provider() + "/" + m.model()).toList())
                            .containsAll(lastCost.keySet());
                }
                default -> {
                    TeamEvaluator.accumulate(state, open.removeFirst());
                    open.addLast(new TeamWindow(nextStart));
                    nextStart += WINDOW_MS;
                }
            }
        }
    }
}
