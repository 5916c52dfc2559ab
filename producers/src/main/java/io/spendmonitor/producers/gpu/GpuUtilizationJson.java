package io.spendmonitor.producers.gpu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spendmonitor.avro.GpuUtilization;

import java.io.UncheckedIOException;

/**
 * A {@link GpuUtilization} as one JSON line of the format {@code spend-monitor publish} reads:
 * {@code {"type":"gpu_utilization", ...}} with the schema's snake_case field names, the timestamp in
 * ISO-8601, money as a decimal string; absent optional fields are left out.
 */
public final class GpuUtilizationJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GpuUtilizationJson() {
    }

    public static String toJsonLine(GpuUtilization event) {
        ObjectNode line = JSON.createObjectNode();
        line.put("type", "gpu_utilization");
        line.put("timestamp", event.getTimestamp().toString());
        line.put("node", event.getNode());
        line.put("gpu_id", event.getGpuId());
        line.put("gpu_model", event.getGpuModel());
        line.put("team", event.getTeam());
        if (event.getDeployment() != null) {
            line.put("deployment", event.getDeployment());
        }
        if (event.getModel() != null) {
            line.put("model", event.getModel());
        }
        line.put("utilization", event.getUtilization());
        line.put("memory_used_bytes", event.getMemoryUsedBytes());
        line.put("memory_total_bytes", event.getMemoryTotalBytes());
        if (event.getPowerWatts() != null) {
            line.put("power_watts", event.getPowerWatts());
        }
        line.put("interval_seconds", event.getIntervalSeconds());
        if (event.getUsdPerHour() != null) {
            line.put("usd_per_hour", event.getUsdPerHour().toPlainString());
        }
        if (event.getPromptTokens() != null) {
            line.put("prompt_tokens", event.getPromptTokens());
        }
        if (event.getGenerationTokens() != null) {
            line.put("generation_tokens", event.getGenerationTokens());
        }
        if (event.getPrefixCacheQueries() != null) {
            line.put("prefix_cache_queries", event.getPrefixCacheQueries());
        }
        if (event.getPrefixCacheHits() != null) {
            line.put("prefix_cache_hits", event.getPrefixCacheHits());
        }
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
