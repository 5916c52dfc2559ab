package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;

import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * The GPUs of one self-hosted deployment, as the GPU collector reports them: one sample per GPU every
 * {@value #SAMPLE_SECONDS} simulated seconds, each covering those 15 seconds ({@code interval_seconds}).
 */
final class GpuSamples implements TeamTraffic {
    static final int SAMPLE_SECONDS = 15;
    static final long GIB = 1L << 30;

    /**
     * A deployment's GPUs and how busy they are.
     *
     * @param memoryUsedFraction of each GPU's memory (vLLM reserves most of it for the KV cache up front)
     */
    record Deployment(String team, String deployment, String model, String node, String gpuModel, int gpus,
                      double minUtilization, double maxUtilization, long memoryTotalBytes, double memoryUsedFraction,
                      double idleWatts, double maxWatts) {
        Deployment {
            if (gpus < 1 || minUtilization < 0 || maxUtilization > 1 || minUtilization > maxUtilization) {
                throw new IllegalArgumentException("bad GPU deployment " + deployment);
            }
        }
    }

    private final Deployment deployment;
    private final Random random;

    GpuSamples(Deployment deployment, ScenarioContext context) {
        this.deployment = deployment;
        this.random = context.random("gpu/" + deployment.team() + "/" + deployment.deployment());
    }

    @Override
    public void minute(long index, Instant minuteStart, List<SimulatedEvent> out) {
        Deployment d = deployment;
        long startMs = minuteStart.toEpochMilli();
        for (int slot = 0; slot < 60 / SAMPLE_SECONDS; slot++) {
            for (int gpu = 0; gpu < d.gpus(); gpu++) {
                // the collector reads all GPUs of a node in one go: a few ms apart, a little jitter per poll
                long offsetMs = slot * SAMPLE_SECONDS * 1000L + gpu * 5L + random.nextInt(200);
                double utilization = d.minUtilization() + (d.maxUtilization() - d.minUtilization()) * random.nextDouble();
                double memoryFraction = Math.min(1, d.memoryUsedFraction() * (0.99 + 0.02 * random.nextDouble()));
                double watts = d.idleWatts() + (d.maxWatts() - d.idleWatts()) * utilization + 10 * random.nextGaussian();
                out.add(SimulatedEvent.of(GpuUtilization.newBuilder()
                        .setTimestamp(Instant.ofEpochMilli(startMs + offsetMs))
                        .setNode(d.node())
                        .setGpuId(String.valueOf(gpu))
                        .setGpuModel(d.gpuModel())
                        .setTeam(d.team())
                        .setDeployment(d.deployment())
                        .setModel(d.model())
                        .setUtilization(Math.round(utilization * 10_000) / 10_000.0)
                        .setMemoryUsedBytes((long) (d.memoryTotalBytes() * memoryFraction))
                        .setMemoryTotalBytes(d.memoryTotalBytes())
                        .setPowerWatts((double) Math.round(Math.max(d.idleWatts() * 0.8, watts)))
                        .setIntervalSeconds(SAMPLE_SECONDS)
                        .build()));
            }
        }
    }
}
