package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.TeamCostWindow;
import io.spendmonitor.streams.cost.CountedEvents;
import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.Pricing;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.util.Set;

/**
 * The 1-minute tumbling window of one team: an incremental aggregate into the topology's own
 * {@link TeamWindow} (the same {@link CountedEvents} rule, the same exact femto-dollar sums and
 * attribution), emitted as the same Avro {@link TeamCostWindow} when the window fires.
 */
final class TeamWindows {
    private TeamWindows() {
    }

    /** The accumulator: the team's window, created with the first event (its start is the event's window start). */
    public static final class Acc {
        public TeamWindow window;

        public Acc() {
        }
    }

    static final class Add implements AggregateFunction<PricedEvent, Acc, Acc> {
        private static final long serialVersionUID = 1L;
        private final long windowMs;
        private final Set<String> attributionKeys;
        private final int attributionMaxValues;

        Add(long windowMs, Set<String> attributionKeys, int attributionMaxValues) {
            this.windowMs = windowMs;
            this.attributionKeys = attributionKeys;
            this.attributionMaxValues = attributionMaxValues;
        }

        @Override
        public Acc createAccumulator() {
            return new Acc();
        }

        @Override
        public Acc add(PricedEvent e, Acc acc) {
            if (acc.window == null) {
                long ts = e.timestampMs();
                acc.window = new TeamWindow(ts - Math.floorMod(ts, windowMs));
            }
            TeamWindow w = acc.window;
            if (e.call != null) {
                Pricing.PricedCall priced = e.call;
                LlmCall call = priced.call();
                CountedEvents.add(w, priced);
                if (!call.labels().isEmpty() && !attributionKeys.isEmpty()) {
                    w.addAttribution(call.labels(), attributionKeys, attributionMaxValues,
                            priced.outcome() == Pricing.Outcome.PRICED ? priced.costFemto() : 0, call.tokens());
                }
            } else {
                CountedEvents.add(w, e.sample);
                GpuSample s = e.sample.sample();
                if (s.measuredTokens() != null) {
                    w.addMeasuredTokens(s.deployment(), s.intervalSeconds(), s.utilization(), s.measuredTokens(),
                            s.prefixQueries(), s.prefixHits());
                }
            }
            return acc;
        }

        @Override
        public Acc getResult(Acc acc) {
            return acc;
        }

        @Override
        public Acc merge(Acc a, Acc b) {
            throw new UnsupportedOperationException("tumbling windows never merge");
        }
    }

    static final class Emit extends ProcessWindowFunction<Acc, TeamCostWindow, String, TimeWindow> {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.LongAdder EMITTED = new java.util.concurrent.atomic.LongAdder();

        @Override
        public void process(String team, Context context, Iterable<Acc> elements, Collector<TeamCostWindow> out) {
            for (Acc acc : elements) {
                if (acc.window != null) {
                    out.collect(acc.window.toAvro(team, context.window().getEnd() - context.window().getStart()));
                    EMITTED.increment();
                }
            }
        }
    }
}
