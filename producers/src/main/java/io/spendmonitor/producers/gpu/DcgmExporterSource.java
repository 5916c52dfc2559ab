package io.spendmonitor.producers.gpu;

import io.spendmonitor.schemas.http.BoundedHttp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GPUs from an NVIDIA DCGM exporter's {@code /metrics} page (Prometheus text format).
 * Utilization is {@code DCGM_FI_PROF_GR_ENGINE_ACTIVE} (0..1, the fraction of time the graphics
 * engine was busy over the exporter's sampling period) where the exporter has profiling metrics,
 * else {@code DCGM_FI_DEV_GPU_UTIL} (0..100). Memory is {@code DCGM_FI_DEV_FB_USED} and
 * {@code DCGM_FI_DEV_FB_FREE} (+ {@code DCGM_FI_DEV_FB_RESERVED} where exported), in MiB; power is
 * {@code DCGM_FI_DEV_POWER_USAGE} (W). Labels: {@code gpu}, {@code UUID}, {@code modelName},
 * {@code Hostname}, and with Kubernetes pod mapping {@code namespace}, {@code pod}, {@code container}
 * (older exporters: {@code pod_namespace}, {@code pod_name}, {@code container_name}).
 *
 * <p>The timeout bounds the whole scrape, body included, and a page above
 * {@value #MAX_PAGE_BYTES} bytes is refused ({@link BoundedHttp}): a hung or runaway exporter
 * costs one interval, never the collector.
 */
public final class DcgmExporterSource implements GpuSource {
    static final String ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
    static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";
    static final String FB_USED = "DCGM_FI_DEV_FB_USED";
    static final String FB_FREE = "DCGM_FI_DEV_FB_FREE";
    static final String FB_RESERVED = "DCGM_FI_DEV_FB_RESERVED";
    static final String POWER = "DCGM_FI_DEV_POWER_USAGE";
    /** A node with 8 GPUs and pod labels exports well under 1 MiB; 16 MiB is no metrics page. */
    static final int MAX_PAGE_BYTES = 16 * 1024 * 1024;

    private final URI url;
    private final Duration timeout;
    private final HttpClient http;

    public DcgmExporterSource(URI url, Duration timeout) {
        if (url == null || url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
            throw new IllegalArgumentException("DCGM exporter URL must be http:// or https://, got " + url);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("DCGM exporter timeout must be positive");
        }
        this.url = url;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String describe() {
        return "DCGM exporter (" + url + ")";
    }

    @Override
    public List<GpuReading> read() throws GpuReadException {
        HttpResponse<byte[]> response;
        try {
            response = BoundedHttp.send(http, HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "text/plain").GET().build(),
                    timeout, info -> info.statusCode() == 200 ? MAX_PAGE_BYTES : 0, BoundedHttp.Overflow.FAIL);
        } catch (IOException e) {
            throw new GpuReadException("cannot read the DCGM exporter at " + url + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GpuReadException("interrupted while reading the DCGM exporter at " + url, e);
        }
        if (response.statusCode() != 200) {
            throw new GpuReadException("the DCGM exporter at " + url + " answered HTTP " + response.statusCode());
        }
        return parse(new String(response.body(), StandardCharsets.UTF_8));
    }

    /** The GPUs on a metrics page, ordered by index; a page without DCGM GPU metrics is a {@link GpuReadException}. */
    static List<GpuReading> parse(String page) throws GpuReadException {
        Map<String, Gpu> gpus = new LinkedHashMap<>();
        for (PrometheusText.Sample sample : PrometheusText.parse(page)) {
            if (!sample.name().startsWith("DCGM_FI_")) {
                continue;
            }
            String index = sample.label("gpu");
            String uuid = sample.label("UUID");
            if (index == null && uuid == null) {
                continue;
            }
            // MIG instances of one GPU share its UUID: keep the instance apart
            String key = (sample.label("Hostname") + "/" + (uuid != null ? uuid : index)) + "/" + sample.label("GPU_I_ID");
            gpus.computeIfAbsent(key, k -> new Gpu()).add(sample);
        }
        if (gpus.isEmpty()) {
            throw new GpuReadException("the page holds no DCGM GPU metrics (DCGM_FI_* with a gpu or UUID label)");
        }
        List<GpuReading> readings = new ArrayList<>();
        gpus.values().forEach(gpu -> readings.add(gpu.reading()));
        readings.sort(Comparator.comparing((GpuReading r) -> r.hostname() == null ? "" : r.hostname())
                .thenComparing(r -> indexOrder(r.index())));
        return readings;
    }

    private static long indexOrder(String index) {
        try {
            return index == null ? Long.MAX_VALUE : Long.parseLong(index);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The metrics of one GPU, gathered from its lines. */
    private static final class Gpu {
        private final Map<String, String> labels = new LinkedHashMap<>();
        private final Map<String, Double> values = new LinkedHashMap<>();

        void add(PrometheusText.Sample sample) {
            sample.labels().forEach((k, v) -> {
                if (!v.isBlank()) {
                    labels.putIfAbsent(k, v);
                }
            });
            if (Double.isFinite(sample.value())) {
                values.putIfAbsent(sample.name(), sample.value());
            }
        }

        GpuReading reading() {
            Double utilization = null;
            Double engineActive = values.get(ENGINE_ACTIVE);
            Double percent = values.get(GPU_UTIL);
            if (engineActive != null && engineActive >= 0 && engineActive <= 1) {
                utilization = engineActive;
            } else if (percent != null && percent >= 0 && percent <= 100) {
                utilization = percent / 100.0;
            }
            Double used = values.get(FB_USED);
            Double free = values.get(FB_FREE);
            double reserved = values.getOrDefault(FB_RESERVED, 0.0);
            long usedBytes = used == null || used < 0 ? 0 : Math.round(used * NvidiaSmiSource.MIB);
            long totalBytes = used == null || free == null || used < 0 || free < 0 ? 0
                    : Math.round((used + free + Math.max(0, reserved)) * NvidiaSmiSource.MIB);
            Double power = values.get(POWER);
            return new GpuReading(labels.get("gpu"), labels.get("UUID"), labels.get("modelName"), utilization,
                    usedBytes, totalBytes, power == null || power < 0 ? null : power, blankToNull(labels.get("Hostname")),
                    label("namespace", "pod_namespace"), label("pod", "pod_name"), label("container", "container_name"));
        }

        private String label(String name, String olderName) {
            String value = blankToNull(labels.get(name));
            return value != null ? value : blankToNull(labels.get(olderName));
        }

        private static String blankToNull(String value) {
            return value == null || value.isBlank() ? null : value;
        }
    }
}
