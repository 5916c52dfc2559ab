package io.spendmonitor.producers.gpu;

/**
 * One GPU as a source saw it, before it is mapped to a team. Unknown values are null (utilization,
 * power) or 0 (memory, as in the schema).
 *
 * @param index       the GPU's index on its node ({@code 0}, {@code 1}, ...)
 * @param uuid        its UUID ({@code GPU-...}), stable across reboots; null when the source does not give it
 * @param name        the device name as reported, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param utilization busy fraction 0..1, or null when the source could not tell
 * @param hostname    the node the source names (DCGM's {@code Hostname} label), or null
 * @param namespace   Kubernetes namespace of the pod the GPU is allocated to (DCGM exporter), or null
 * @param pod         that pod's name, or null
 * @param container   that container's name, or null
 */
public record GpuReading(String index, String uuid, String name, Double utilization, long memoryUsedBytes,
                         long memoryTotalBytes, Double powerWatts, String hostname, String namespace, String pod,
                         String container) {

    /** The id published as gpu_id: the UUID where known (indexes change when GPUs are added or fail), else the index. */
    public String gpuId() {
        return uuid != null && !uuid.isBlank() ? uuid : index;
    }
}
