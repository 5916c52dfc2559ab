package io.spendmonitor.streams.replay;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.CountedEvents;
import io.spendmonitor.streams.cost.EventValidator;
import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.Pricing;
import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.TokenCounts;
import io.spendmonitor.streams.topology.EventIdSet;
import org.apache.avro.specific.SpecificRecord;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * One live task (partition {@code p} of llm.token-usage and gpu.utilization) replayed without Kafka
 * Streams: the rules of {@code admit → price → window} in the same order, over objects only.
 * <ul>
 *   <li>event time from the payload; an absurd one (before the minimum, or further ahead of "now"
 *       than allowed) does not move the task's time (the timestamp extractor's rule);</li>
 *   <li>refused in order: {@code future-timestamp}, the event rules, {@code late} (its window already
 *       final), then a duplicate event id of an open window is dropped;</li>
 *   <li>priced with {@link Pricing} at the event's own time; {@code absurd-cost} is not counted;
 *       an unpriced call is counted without cost;</li>
 *   <li>windows become final when the task's time passes their end plus the grace, checked after
 *       each counted event (as {@code window} does); with {@code wallMs} given, the quiet-partition
 *       rule closes them too while the task is live.</li>
 * </ul>
 * "Now" is the wall time the record was processed at: a replay from Kafka passes the record's
 * produce time (it was processed then when the app kept up), a replay of a file passes the event
 * time (nothing in a file is in its own future). Memory: the open windows and their ids only.
 */
public final class ReplayTask {
    /** Receives every window when it is final (and, at {@link #finish()}, every window still open), oldest first. */
    /** Every counted API call (priced or not), with its window and labels: FOCUS rows split by labels. */
    public interface CallSink {
        void counted(String team, long windowStartMs, io.spendmonitor.streams.cost.Pricing.PricedCall call, java.util.Map<String, String> labels);
    }

    public interface WindowSink {
        void closed(String team, TeamWindow window);
    }

    private final Pricing pricing;
    private final EventValidator validator;
    private final long maxAheadMs;
    private final long windowMs;
    private final long graceMs;
    private final boolean quietRule;
    private final WindowSink sink;

    /** The task's stream time: the largest event time it has seen (-1: none yet, as Kafka Streams starts). */
    private long streamTime = -1;
    /** End of the last final window; null before the first admitted event. */
    private Long finalizedUpTo;
    private long lastWall = -1;
    private long lastStream = -1;
    private final TreeMap<Long, Map<String, Open>> open = new TreeMap<>();
    private final EventIdSet ids = new EventIdSet();
    private long refused;
    private long duplicates;

    private static final class Open {
        final TeamWindow window;
        long[] idHashes = new long[8];
        int idCount;

        Open(long start) {
            this.window = new TeamWindow(start);
        }

        void addId(long hash) {
            if (idCount == idHashes.length) {
                idHashes = java.util.Arrays.copyOf(idHashes, idHashes.length * 2);
            }
            idHashes[idCount++] = hash;
        }
    }

    /**
     * @param quietRule whether {@code wallMs} is a real processing time (a Kafka replay): then a live
     *                  task's windows also close as the wall clock moves, as {@code window}'s punctuation does
     */
    public ReplayTask(Pricing pricing, EventValidator validator, long maxAheadMs, long windowMs, long graceMs,
                      boolean quietRule, WindowSink sink) {
        this.pricing = pricing;
        this.validator = validator;
        this.maxAheadMs = maxAheadMs;
        this.windowMs = windowMs;
        this.graceMs = graceMs;
        this.quietRule = quietRule;
        this.sink = sink;
    }

    private CallSink callSink;

    /** Also hands every counted API call to {@code sink}, as it is counted. */
    public ReplayTask onCall(CallSink sink) {
        this.callSink = sink;
        return this;
    }

    /** The timestamp Kafka Streams gives the record (see PayloadTimestampExtractor). */
    public long extractedTime(SpecificRecord value, long wallMs) {
        Long payload = null;
        if (value instanceof TokenUsage u && u.getTimestamp() != null) {
            payload = u.getTimestamp().toEpochMilli();
        } else if (value instanceof GpuUtilization g && g.getTimestamp() != null) {
            payload = g.getTimestamp().toEpochMilli();
        }
        if (payload != null && !validator.absurd(payload, wallMs)) {
            return payload;
        }
        return Math.max(0, streamTime);
    }

    /** Processes one record of the task, in the task's order. */
    public void offer(SpecificRecord value, long wallMs) {
        if (quietRule) {
            quietCheck(wallMs);
        }
        streamTime = Math.max(streamTime, extractedTime(value, wallMs));
        lastWall = wallMs;
        lastStream = streamTime;
        if (value instanceof TokenUsage u) {
            admit(u, wallMs);
        } else if (value instanceof GpuUtilization g) {
            admit(g, wallMs);
        }
    }

    private void admit(TokenUsage u, long now) {
        if (refused(u.getTimestamp(), now, validator.check(u, now).orElse(null))) {
            return;
        }
        long ts = u.getTimestamp().toEpochMilli();
        long idHash = EventIdSet.hash(u.getEventId());
        if (ids.contains(idHash)) {
            duplicates++;
            return;
        }
        LlmCall call = new LlmCall(u.getTeam(), ts, u.getProvider(), u.getModel(), u.getServiceTier(), u.getDeployment(),
                new TokenCounts(u.getInputTokens(), u.getCachedInputTokens(), u.getCacheWriteInputTokens(), u.getOutputTokens()));
        Pricing.PricedCall priced = pricing.price(call);
        if (priced.outcome() == Pricing.Outcome.REJECTED) {
            refused++;
            return;
        }
        Open ow = window(call.team(), ts);
        CountedEvents.add(ow.window, priced);
        if (callSink != null && priced.outcome() != Pricing.Outcome.SELF_HOSTED) {
            callSink.counted(call.team(), ow.window.windowStartMs(), priced, u.getLabels() == null ? java.util.Map.of() : u.getLabels());
        }
        ids.add(idHash);
        ow.addId(idHash);
        closeUpTo(streamTime);
    }

    private void admit(GpuUtilization g, long now) {
        if (refused(g.getTimestamp(), now, validator.check(g, now).orElse(null))) {
            return;
        }
        long ts = g.getTimestamp().toEpochMilli();
        GpuSample sample = new GpuSample(g.getTeam(), ts, g.getDeployment(), g.getModel(), g.getGpuModel(),
                g.getIntervalSeconds(), g.getUtilization(), g.getUsdPerHour());
        Pricing.PricedSample priced = pricing.price(sample);
        if (priced.outcome() == Pricing.Outcome.REJECTED) {
            refused++;
            return;
        }
        CountedEvents.add(window(sample.team(), ts).window, priced);
        closeUpTo(streamTime);
    }

    /** admit's order: future-timestamp first, then the event rules, then late. */
    private boolean refused(java.time.Instant timestamp, long now, String ruleViolation) {
        if ((timestamp != null && timestamp.toEpochMilli() > now + maxAheadMs) || ruleViolation != null || isLate(timestamp.toEpochMilli())) {
            refused++;
            return true;
        }
        return false;
    }

    private long windowStart(long ts) {
        return ts - Math.floorMod(ts, windowMs);
    }

    private boolean isLate(long ts) {
        if (finalizedUpTo == null) {
            // the task's first event: windows already final at its time are behind us
            finalizedUpTo = windowStart(ts - graceMs);
        }
        return windowStart(ts) + windowMs <= finalizedUpTo;
    }

    private Open window(String team, long ts) {
        long start = windowStart(ts);
        return open.computeIfAbsent(start, s -> new HashMap<>()).computeIfAbsent(team, t -> new Open(start));
    }

    private void quietCheck(long wallNow) {
        if (lastWall < 0 || lastStream < 0 || wallNow <= lastWall) {
            return;
        }
        if (lastWall - lastStream <= graceMs) {
            closeUpTo(lastStream + (wallNow - lastWall));
        }
    }

    /** Closes every window whose end plus the grace is at or before {@code time}, oldest first. */
    private void closeUpTo(long time) {
        if (finalizedUpTo == null || time < 0) {
            return;
        }
        long finalEnd = windowStart(time - graceMs);
        if (finalEnd <= finalizedUpTo) {
            return;
        }
        Iterator<Map.Entry<Long, Map<String, Open>>> it = open.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Map<String, Open>> e = it.next();
            if (e.getKey() + windowMs > finalEnd) {
                break;
            }
            it.remove();
            close(e.getValue());
        }
        finalizedUpTo = finalEnd;
    }

    private void close(Map<String, Open> windows) {
        new TreeMap<>(windows).forEach((team, ow) -> {
            for (int i = 0; i < ow.idCount; i++) {
                ids.remove(ow.idHashes[i]);
            }
            sink.closed(team, ow.window);
        });
    }

    /** The end of the input: every window still open is handed over as it stands (the live store holds them too). */
    public void finish() {
        while (!open.isEmpty()) {
            close(open.pollFirstEntry().getValue());
        }
    }

    /** Events not counted: refused by a rule or as late, or priced as absurd. */
    public long refused() {
        return refused;
    }

    public long duplicates() {
        return duplicates;
    }
}
