package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.Pricing;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.util.Map;

/**
 * {@code window}: adds a priced event to its team's open window ({@link OpenWindows}), and closes
 * windows when they are final: each team window goes to {@code spend.team-costs}, and the closed
 * minute goes on to {@code evaluate}.
 *
 * <p>When is a window final? When the task's time passes its end plus the grace. The task's time
 * is its stream time; and when the task was live (its last record's event time within the grace of
 * the wall clock) and then hears nothing, its time moves on with the wall clock from that record:
 * a quiet partition still finishes its windows. A replay of old data is never live, so only its own
 * events finish its windows, never the wall clock. No client's clock can move the task's time past
 * the wall clock plus {@code spend.timestamp.max-ahead} (the extractor and {@code admit} see to it).
 */
final class WindowNode implements Processor<byte[], NodeMessages.Priced, String, Object> {
    /** How often the wall clock is looked at for quiet partitions. */
    static final Duration QUIET_CHECK = Duration.ofSeconds(1);

    private final TaskBuffers shared;
    private final long windowMs;
    private final long graceMs;
    private final SpendListener listener;
    private ProcessorContext<String, Object> context;
    private OpenWindows windows;
    private RepeatBuffer repeats;
    private final boolean[] created = new boolean[1];

    private final java.util.Set<String> attributionKeys;
    private final int attributionMaxValues;

    WindowNode(TaskBuffers shared, long windowMs, long graceMs, SpendListener listener, java.util.Set<String> attributionKeys,
               int attributionMaxValues) {
        this.attributionKeys = attributionKeys;
        this.attributionMaxValues = attributionMaxValues;
        this.shared = shared;
        this.windowMs = windowMs;
        this.graceMs = graceMs;
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.windows = shared.openWindows(context);
        this.repeats = shared.repeats(context);
        context.schedule(QUIET_CHECK, PunctuationType.WALL_CLOCK_TIME, this::quietCheck);
    }

    @Override
    public void process(Record<byte[], NodeMessages.Priced> record) {
        NodeMessages.Priced priced = record.value();
        if (priced.call() != null) {
            add(priced.call(), priced.idHash());
        } else {
            add(priced.sample());
        }
        closeUpTo(context.currentStreamTimeMs());
    }

    private void add(Pricing.PricedCall priced, long idHash) {
        LlmCall call = priced.call();
        OpenWindows.Open ow = open(call.team(), call.timestampMs());
        io.spendmonitor.streams.cost.CountedEvents.add(ow.window, priced);
        if (!call.labels().isEmpty() && !attributionKeys.isEmpty()) {
            ow.window.addAttribution(call.labels(), attributionKeys, attributionMaxValues,
                    priced.outcome() == Pricing.Outcome.PRICED ? priced.costFemto() : 0, call.tokens());
        }
        windows.changed(ow, idHash, true);
        if (call.promptHash() != null) {
            // only calls with a prompt hash: a team that sends none costs the repeat sketch nothing
            long cost = priced.outcome() == Pricing.Outcome.PRICED ? priced.costFemto() : 0;
            repeats.add(call.team(), ow.window.windowStartMs(), call.promptHash(), cost, call.tokens().cached(), call.tokens().input());
        }
    }

    private void add(Pricing.PricedSample priced) {
        GpuSample s = priced.sample();
        OpenWindows.Open ow = open(s.team(), s.timestampMs());
        io.spendmonitor.streams.cost.CountedEvents.add(ow.window, priced);
        if (s.measuredTokens() != null) {
            ow.window.addMeasuredTokens(s.deployment(), s.intervalSeconds(), s.utilization(), s.measuredTokens(),
                    s.prefixQueries(), s.prefixHits());
        }
        windows.changed(ow, 0, false);
    }

    private OpenWindows.Open open(String team, long ts) {
        long start = windows.windowStart(ts);
        created[0] = false;
        OpenWindows.Open ow = windows.window(team, start, created);
        if (created[0]) {
            // the team is listed (and its open window shown) before any of its windows is final
            context.forward(new Record<>(team, new NodeMessages.TeamOpened(team, start + windowMs), ts), SpendTopology.EVALUATE_NODE);
        }
        return ow;
    }

    /** The quiet-partition rule (see the class comment). */
    private void quietCheck(long wallNow) {
        long lastWall = windows.lastRecordWallMs();
        long lastStream = windows.lastRecordStreamMs();
        if (lastWall < 0 || lastStream < 0 || wallNow <= lastWall) {
            return;
        }
        boolean live = lastWall - lastStream <= graceMs;
        if (!live) {
            return; // a replay (or a backlog): only its own events finish its windows
        }
        closeUpTo(lastStream + (wallNow - lastWall));
    }

    private void closeUpTo(long time) {
        if (time < 0) {
            return;
        }
        windows.closeUpTo(time, this::closed);
    }

    private void closed(long windowEnd, Map<String, TeamWindow> teams) {
        repeats.close(windowEnd - windowMs, teams.keySet());
        for (Map.Entry<String, TeamWindow> e : teams.entrySet()) {
            context.forward(new Record<>(e.getKey(), e.getValue().toAvro(e.getKey(), windowMs), windowEnd - 1),
                    SpendTopology.TEAM_COSTS_SINK);
            listener.windowFinalized(e.getKey(), e.getValue(), windowMs);
        }
        context.forward(new Record<>("", new NodeMessages.WindowsClosed(windowEnd, teams), windowEnd - 1),
                SpendTopology.EVALUATE_NODE);
    }
}
