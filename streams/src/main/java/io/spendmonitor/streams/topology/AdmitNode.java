package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.streams.cost.EventValidator;
import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.TokenCounts;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code admit}: lets through only what may be counted. In order: an event stamped further ahead of
 * the wall clock than {@code spend.timestamp.max-ahead} is {@code future-timestamp} (the extractor
 * already kept it from moving stream time); one failing the event rules gets their reason; one for
 * a window already final is {@code late}; a copy of an id counted in an open window is a duplicate
 * (dropped, counted). What passes goes on to {@code price} as a domain event.
 */
final class AdmitNode implements Processor<byte[], SpecificRecord, byte[], Object> {
    private final TaskBuffers shared;
    private final EventValidator validator;
    private final long maxAheadMs;
    private final SpendListener listener;
    private ProcessorContext<byte[], Object> context;
    private OpenWindows windows;

    AdmitNode(TaskBuffers shared, EventValidator validator, long maxAheadMs, SpendListener listener) {
        this.shared = shared;
        this.validator = validator;
        this.maxAheadMs = maxAheadMs;
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        this.windows = shared.openWindows(context);
    }

    @Override
    public void process(Record<byte[], SpecificRecord> record) {
        SpecificRecord value = record.value();
        long now = context.currentSystemTimeMs();
        windows.recordSeen(now, context.currentStreamTimeMs());
        if (value instanceof TokenUsage u) {
            admit(record, u, now);
        } else if (value instanceof GpuUtilization g) {
            admit(record, g, now);
        }
        listener.processed();
    }

    private void admit(Record<byte[], SpecificRecord> record, TokenUsage u, long now) {
        String refused = refusal(u.getTimestamp(), now, u, null);
        if (refused != null) {
            deadLetter(context, listener, record, SpendTopology.DEAD_LETTER_TOKEN_SINK, refused);
            return;
        }
        long ts = u.getTimestamp().toEpochMilli();
        // A copy of a counted event lands in the same window: while that is open its id is known;
        // once it is final the copy is late (above). Ids re-used at another time are caught while
        // both windows are open.
        long idHash = EventIdSet.hash(u.getEventId());
        if (windows.isDuplicate(idHash)) {
            listener.duplicate(u.getTeam());
            return;
        }
        LlmCall call = new LlmCall(u.getTeam(), ts, u.getProvider(), u.getModel(), u.getServiceTier(), u.getDeployment(),
                new TokenCounts(u.getInputTokens(), u.getCachedInputTokens(), u.getCacheWriteInputTokens(), u.getOutputTokens()),
                u.getLabels(), u.getPromptHash());
        context.forward(record.withValue(new NodeMessages.Admitted(call, null, idHash, u)), SpendTopology.PRICE_NODE);
    }

    private void admit(Record<byte[], SpecificRecord> record, GpuUtilization g, long now) {
        String refused = refusal(g.getTimestamp(), now, null, g);
        if (refused != null) {
            deadLetter(context, listener, record, SpendTopology.DEAD_LETTER_GPU_SINK, refused);
            return;
        }
        long ts = g.getTimestamp().toEpochMilli();
        Long measured = g.getPromptTokens() == null || g.getGenerationTokens() == null ? null
                : Math.addExact(g.getPromptTokens(), g.getGenerationTokens()); // each below 1e15: the rules bound them
        GpuSample sample = new GpuSample(g.getTeam(), ts, g.getDeployment(), g.getModel(), g.getGpuModel(),
                g.getIntervalSeconds(), g.getUtilization(), g.getUsdPerHour(), measured, g.getPrefixCacheQueries(),
                g.getPrefixCacheHits());
        context.forward(record.withValue(new NodeMessages.Admitted(null, sample, 0, g)), SpendTopology.PRICE_NODE);
    }

    /**
     * Why the event cannot be counted, or null: stamped too far ahead of the wall clock (checked
     * first: such a time never reaches the window rules), against the event rules, or for a
     * window already final.
     */
    private String refusal(java.time.Instant timestamp, long now, TokenUsage usage, GpuUtilization sample) {
        if (timestamp != null && timestamp.toEpochMilli() > now + maxAheadMs) {
            return "future-timestamp";
        }
        Optional<String> invalid = usage != null ? validator.check(usage, now) : validator.check(sample, now);
        if (invalid.isPresent()) {
            return invalid.get();
        }
        return windows.isLate(timestamp.toEpochMilli()) ? "late" : null;
    }

    /**
     * Sends the original record to the dead-letter topic with the reason and source topic as headers, and counts it.
     * The key is the bytes the record came with: the input keys are never decoded (nothing counts by them).
     */
    static void deadLetter(ProcessorContext<byte[], Object> context, SpendListener listener, Record<byte[], ?> record,
                           String sink, String reason) {
        deadLetter(context, listener, record, record.value(), sink, reason);
    }

    static void deadLetter(ProcessorContext<byte[], Object> context, SpendListener listener, Record<byte[], ?> record,
                           Object original, String sink, String reason) {
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(Topics.DEAD_LETTER_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(Topics.DEAD_LETTER_TOPIC_HEADER, topic.getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<byte[], Object>(record.key(), original, record.timestamp(), headers), sink);
        listener.rejected(reason, topic);
    }
}
