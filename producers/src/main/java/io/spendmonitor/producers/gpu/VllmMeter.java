package io.spendmonitor.producers.gpu;

import io.spendmonitor.avro.GpuUtilization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tokens each deployment's vLLM servers served between two rounds of the collector, put on
 * that deployment's GPU samples of the round: the whole delta on its first sample (by node and GPU
 * id), 0 on its others, so the deployment's samples add up to what it served.
 *
 * <p>A delta is only ever taken between two successful scrapes of consecutive rounds: after a
 * failed scrape, or a gap longer than the GPU samples claim ({@link GpuCollector#MAX_GAP_INTERVALS}
 * intervals), the next scrape is a new baseline and publishes nothing. So tokens and GPU time
 * always cover the same interval; what was not observed is not claimed.
 */
final class VllmMeter {
    private static final Logger log = LoggerFactory.getLogger(VllmMeter.class);

    /** One vLLM server and the deployment it serves. */
    record Target(String deployment, VllmSource source) {
    }

    private final List<Target> targets;
    private final VllmPage[] previous;
    private final long[] previousNanos;
    private final Set<String> reported = new HashSet<>();

    VllmMeter(List<Target> targets) {
        this.targets = List.copyOf(targets);
        this.previous = new VllmPage[targets.size()];
        this.previousNanos = new long[targets.size()];
    }

    boolean isEmpty() {
        return targets.isEmpty();
    }

    /**
     * Scrapes every server and puts the deltas on {@code samples} (replaced in place).
     *
     * @param maxGapNanos the longest time between two scrapes that still makes a delta
     */
    void attach(List<GpuUtilization> samples, long now, long maxGapNanos) {
        Map<String, VllmPage.Delta> byDeployment = new LinkedHashMap<>();
        Set<String> failed = new HashSet<>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            VllmPage page;
            try {
                page = target.source().read();
            } catch (GpuReadException e) {
                log.warn("no token counts for deployment {} this round: {}", target.deployment(), e.getMessage());
                previous[i] = null; // the next scrape starts afresh: its delta would span two intervals
                failed.add(target.deployment());
                continue;
            }
            VllmPage before = previous[i];
            long gap = now - previousNanos[i];
            previous[i] = page;
            previousNanos[i] = now;
            if (before == null || gap <= 0 || gap > maxGapNanos) {
                continue; // a baseline
            }
            VllmPage.Delta delta;
            try {
                delta = page.since(before);
            } catch (GpuReadException e) {
                log.warn("no token counts for deployment {} this round: {}", target.deployment(), e.getMessage());
                failed.add(target.deployment());
                continue;
            }
            log.debug("{}: +{} prompt, +{} generated tokens ({})", target.source().describe(), delta.promptTokens(),
                    delta.generationTokens(), page.describe());
            byDeployment.merge(target.deployment(), delta, VllmPage.Delta::plus);
        }
        // a deployment with one server of several unread is not measured this round: a partial sum would understate it
        failed.forEach(byDeployment::remove);
        for (Map.Entry<String, VllmPage.Delta> entry : byDeployment.entrySet()) {
            String deployment = entry.getKey();
            VllmPage.Delta delta = entry.getValue();
            boolean first = true;
            for (int i = 0; i < samples.size(); i++) {
                GpuUtilization s = samples.get(i);
                if (!deployment.equals(s.getDeployment())) {
                    continue;
                }
                samples.set(i, GpuUtilization.newBuilder(s)
                        .setPromptTokens(first ? delta.promptTokens() : 0L)
                        .setGenerationTokens(first ? delta.generationTokens() : 0L)
                        .setPrefixCacheQueries(delta.prefixQueries() == null ? null : first ? delta.prefixQueries() : 0L)
                        .setPrefixCacheHits(delta.prefixHits() == null ? null : first ? delta.prefixHits() : 0L)
                        .build());
                first = false;
            }
            if (first) {
                if (reported.add(deployment)) {
                    log.warn("vLLM serves deployment {} but no GPU sample of this collector names it: its tokens are not published "
                            + "(map its GPUs to deployment {})", deployment, deployment);
                }
            } else {
                reported.remove(deployment);
            }
        }
    }

    List<String> describe() {
        List<String> out = new ArrayList<>();
        targets.forEach(t -> out.add(t.deployment() + " <- " + t.source().describe()));
        return out;
    }
}
