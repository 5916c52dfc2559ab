package io.spendmonitor.flinkpeer;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.GpuSample;
import io.spendmonitor.streams.cost.LlmCall;
import io.spendmonitor.streams.cost.TokenCounts;

import java.math.BigDecimal;
import java.util.Map;

/**
 * One admitted input event between the source and the pricing operator: a flat Flink POJO (public
 * fields, no-arg constructor), so the shuffle by team serializes it with Flink's own POJO serializer
 * rather than Kryo. Either a call ({@link #call} true) or a GPU sample.
 */
public class PeerEvent {
    public boolean call;
    public String team;
    public long timestampMs;
    /** Calls only: the id duplicates are found by. */
    public String eventId;
    public String provider;
    public String model;
    public String serviceTier;
    public String deployment;
    public long inputTokens;
    public long cachedInputTokens;
    public long cacheWriteInputTokens;
    public long outputTokens;
    public Map<String, String> labels;
    public String promptHash;
    public String gpuModel;
    public double intervalSeconds;
    public double utilization;
    public BigDecimal usdPerHour;
    public Long measuredTokens;
    public Long prefixQueries;
    public Long prefixHits;

    public PeerEvent() {
    }

    static PeerEvent of(TokenUsage u) {
        PeerEvent e = new PeerEvent();
        e.call = true;
        e.team = u.getTeam();
        e.timestampMs = u.getTimestamp().toEpochMilli();
        e.eventId = u.getEventId();
        e.provider = u.getProvider();
        e.model = u.getModel();
        e.serviceTier = u.getServiceTier();
        e.deployment = u.getDeployment();
        e.inputTokens = u.getInputTokens();
        e.cachedInputTokens = u.getCachedInputTokens();
        e.cacheWriteInputTokens = u.getCacheWriteInputTokens();
        e.outputTokens = u.getOutputTokens();
        e.labels = u.getLabels() == null || u.getLabels().isEmpty() ? null : Map.copyOf(u.getLabels());
        e.promptHash = u.getPromptHash();
        return e;
    }

    static PeerEvent of(GpuUtilization g) {
        PeerEvent e = new PeerEvent();
        e.team = g.getTeam();
        e.timestampMs = g.getTimestamp().toEpochMilli();
        e.deployment = g.getDeployment();
        e.model = g.getModel();
        e.gpuModel = g.getGpuModel();
        e.intervalSeconds = g.getIntervalSeconds();
        e.utilization = g.getUtilization();
        e.usdPerHour = g.getUsdPerHour();
        // as the topology's admit node: prompt + generation tokens, measured only when both are there
        e.measuredTokens = g.getPromptTokens() == null || g.getGenerationTokens() == null ? null
                : Math.addExact(g.getPromptTokens(), g.getGenerationTokens());
        e.prefixQueries = g.getPrefixCacheQueries();
        e.prefixHits = g.getPrefixCacheHits();
        return e;
    }

    LlmCall toCall() {
        return new LlmCall(team, timestampMs, provider, model, serviceTier, deployment,
                new TokenCounts(inputTokens, cachedInputTokens, cacheWriteInputTokens, outputTokens), labels, promptHash);
    }

    GpuSample toSample() {
        return new GpuSample(team, timestampMs, deployment, model, gpuModel, intervalSeconds, utilization, usdPerHour,
                measuredTokens, prefixQueries, prefixHits);
    }
}
