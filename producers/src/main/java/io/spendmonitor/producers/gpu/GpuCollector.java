package io.spendmonitor.producers.gpu;

import io.spendmonitor.avro.GpuUtilization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Samples a node's GPUs every interval and turns each into a {@link GpuUtilization} event:
 * mapped to its team / deployment / model ({@link GpuMapping}), its device name normalised
 * ({@link GpuModelNames}) unless the mapping names the model.
 *
 * <p>{@code interval_seconds} is the real time elapsed since the same GPU's previous sample
 * (monotonic clock), so GPU-hours add up even when polls drift; a GPU's first sample covers the
 * configured interval, as does a sample after a gap of more than {@value #MAX_GAP_INTERVALS}
 * intervals (the collector was stopped or its source was down: that time was not observed and is
 * not claimed). Nothing false is published: a GPU whose utilization is unknown, or that no team
 * claims, is skipped and logged; a failed read publishes nothing and is retried next interval.
 */
public final class GpuCollector {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);
    static final int MAX_GAP_INTERVALS = 4;

    private static final Logger log = LoggerFactory.getLogger(GpuCollector.class);

    private final GpuSource source;
    private final GpuMapping mapping;
    private final String node;
    private final Duration interval;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final String localHost;
    private final Map<String, Long> lastSampleNanos = new HashMap<>();
    /** GPUs already reported as skipped, so a GPU that stays unusable is logged once, not every interval. */
    private final Set<String> reported = new HashSet<>();
    private final VllmMeter vllm;

    /**
     * @param node the node name to publish; null for the source's own (DCGM's {@code Hostname} label)
     *             or else this machine's host name
     */
    public GpuCollector(GpuSource source, GpuMapping mapping, String node, Duration interval) {
        this(source, mapping, node, interval, Clock.systemUTC(), System::nanoTime);
    }

    /**
     * A collector that also scrapes vLLM servers: {@code vllm} maps each server's metrics URL
     * source to the deployment it serves (see {@link VllmMeter}).
     */
    public GpuCollector(GpuSource source, GpuMapping mapping, String node, Duration interval, Map<VllmSource, String> vllm) {
        this(source, mapping, node, interval, Clock.systemUTC(), System::nanoTime, vllm);
    }

    GpuCollector(GpuSource source, GpuMapping mapping, String node, Duration interval, Clock clock, LongSupplier nanoTime) {
        this(source, mapping, node, interval, clock, nanoTime, Map.of());
    }

    GpuCollector(GpuSource source, GpuMapping mapping, String node, Duration interval, Clock clock, LongSupplier nanoTime,
                 Map<VllmSource, String> vllm) {
        if (interval == null || interval.toMillis() < 1) {
            throw new IllegalArgumentException("interval must be at least 1 ms");
        }
        this.source = source;
        this.mapping = mapping;
        this.node = node == null || node.isBlank() ? null : node.trim();
        this.interval = interval;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.localHost = this.node != null ? this.node : localHostName();
        List<VllmMeter.Target> targets = new ArrayList<>();
        vllm.forEach((server, deployment) -> targets.add(new VllmMeter.Target(deployment, server)));
        this.vllm = new VllmMeter(targets);
    }

    /** Whether vLLM servers are scraped: then a sample's tokens are a delta, which takes two rounds. */
    public boolean measuresTokens() {
        return !vllm.isEmpty();
    }

    public Duration interval() {
        return interval;
    }

    public GpuSource source() {
        return source;
    }

    /** Reads the GPUs once and returns their samples (possibly none: every GPU skipped). */
    public synchronized List<GpuUtilization> collect() throws GpuReadException {
        List<GpuReading> readings = source.read();
        long now = nanoTime.getAsLong();
        Instant timestamp = clock.instant();
        List<GpuUtilization> samples = new ArrayList<>(readings.size());
        for (GpuReading gpu : readings) {
            String gpuNode = node != null ? node : gpu.hostname() != null ? gpu.hostname() : localHost;
            String key = gpuNode + "/" + gpu.gpuId();
            if (gpu.gpuId() == null) {
                reportOnce(key + "/id", "skipping a GPU on {} without index or UUID ({})", gpuNode, gpu.name());
                continue;
            }
            if (gpu.utilization() == null) {
                reportOnce(key + "/utilization", "skipping GPU {} ({}) on {}: {} does not report its utilization",
                        gpu.gpuId(), gpu.name(), gpuNode, source.describe());
                continue;
            }
            Optional<GpuMapping.Assignment> assignment = mapping.assign(gpuNode, gpu);
            if (assignment.isEmpty()) {
                reportOnce(key + "/team", "skipping GPU {} on {}{}: no team (pass --team or add a mapping rule)", gpu.gpuId(), gpuNode,
                        gpu.pod() == null ? "" : " (pod " + gpu.namespace() + "/" + gpu.pod() + ")");
                continue;
            }
            GpuMapping.Assignment a = assignment.get();
            String gpuModel = a.gpuModel() != null ? a.gpuModel() : GpuModelNames.normalize(gpu.name());
            if (gpuModel == null) {
                reportOnce(key + "/model", "skipping GPU {} on {}: its model is unknown (pass --gpu-model)", gpu.gpuId(), gpuNode);
                continue;
            }
            reported.removeIf(r -> r.startsWith(key + "/"));
            samples.add(GpuUtilization.newBuilder()
                    .setTimestamp(timestamp)
                    .setNode(gpuNode)
                    .setGpuId(gpu.gpuId())
                    .setGpuModel(gpuModel)
                    .setTeam(a.team())
                    .setDeployment(a.deployment())
                    .setModel(a.model())
                    .setUtilization(gpu.utilization())
                    .setMemoryUsedBytes(gpu.memoryUsedBytes())
                    .setMemoryTotalBytes(gpu.memoryTotalBytes())
                    .setPowerWatts(gpu.powerWatts())
                    .setIntervalSeconds(intervalSeconds(key, now))
                    .setUsdPerHour(a.usdPerHour())
                    .build());
        }
        if (!vllm.isEmpty()) {
            // the samples' order decides which carries a deployment's tokens: make it stable
            samples.sort(java.util.Comparator.comparing(GpuUtilization::getNode).thenComparing(GpuUtilization::getGpuId));
            vllm.attach(samples, now, MAX_GAP_INTERVALS * interval.toNanos());
        }
        return samples;
    }

    /**
     * Collects every interval until {@code stop} counts down, handing each round's samples to
     * {@code sink}. A failed read is logged and retried next interval.
     */
    public void run(Consumer<List<GpuUtilization>> sink, CountDownLatch stop) throws InterruptedException {
        long intervalNanos = interval.toNanos();
        long next = nanoTime.getAsLong();
        log.info("collecting GPU samples from {} every {} s", source.describe(), interval.toMillis() / 1000.0);
        while (true) {
            try {
                sink.accept(collect());
            } catch (GpuReadException e) {
                log.warn("no GPU samples this round: {}; retrying in {} s", e.getMessage(), interval.toMillis() / 1000.0);
            } catch (RuntimeException e) {
                log.error("GPU samples could not be handled this round; retrying in {} s", interval.toMillis() / 1000.0, e);
            }
            next += intervalNanos;
            long wait = next - nanoTime.getAsLong();
            if (wait < 0) {
                // a round took longer than the interval: start the next one now, and count from it
                next = nanoTime.getAsLong();
                wait = 0;
            }
            if (stop.await(wait, TimeUnit.NANOSECONDS)) {
                return;
            }
        }
    }

    private double intervalSeconds(String key, long now) {
        Long previous = lastSampleNanos.put(key, now);
        double configured = interval.toNanos() / 1e9;
        if (previous == null) {
            return configured;
        }
        double elapsed = (now - previous) / 1e9;
        if (elapsed <= 0) {
            return configured;
        }
        if (elapsed > MAX_GAP_INTERVALS * configured) {
            log.info("GPU {}: {} s since its previous sample; this sample covers the last {} s only",
                    key, String.format(Locale.ROOT, "%.1f", elapsed), configured);
            return configured;
        }
        return elapsed;
    }

    private void reportOnce(String key, String message, Object... args) {
        if (reported.add(key)) {
            log.warn(message, args);
        }
    }

    /** This machine's host name ({@code HOSTNAME} where the lookup fails). */
    public static String localHostName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            if (name != null && !name.isBlank()) {
                return name;
            }
        } catch (UnknownHostException e) {
            // fall through
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "localhost" : env;
    }
}
