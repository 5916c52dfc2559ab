package io.spendmonitor.producers.gpu;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.spendmonitor.cluster.MisbehavingHttpServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A DCGM exporter page served over HTTP, as the collector scrapes it. */
class DcgmExporterSourceTest {
    private static final long MIB = 1024L * 1024L;
    private static final String UUID_0 = "GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c";
    private static final String UUID_1 = "GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b";

    private final AtomicReference<String> page = new AtomicReference<>(GpuTestFiles.text("dcgm-exporter-h100x2.txt"));
    private final AtomicInteger status = new AtomicInteger(200);
    private HttpServer server;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = page.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(status.get(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private DcgmExporterSource source() {
        return new DcgmExporterSource(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"), Duration.ofSeconds(5));
    }

    @Test
    void readsTwoGpusWithTheirPods() throws GpuReadException {
        List<GpuReading> gpus = source().read();

        assertThat(gpus).containsExactly(
                // engine active 0.734512 wins over GPU_UTIL 78; memory 71234 used, total 71234 + 9810 + 515 = 81559 MiB
                new GpuReading("0", UUID_0, "NVIDIA H100 80GB HBM3", 0.734512, 71234 * MIB, 81559 * MIB, 612.451,
                        "gpu-node-7", "search", "vllm-llama-8b-6d5f8c7b9-x2kqp", "vllm"),
                // no pod holds GPU 1: total 0 + 81044 + 515 = 81559 MiB
                new GpuReading("1", UUID_1, "NVIDIA H100 80GB HBM3", 0.0, 0, 81559 * MIB, 68.92,
                        "gpu-node-7", null, null, null));
    }

    @Test
    void fallsBackToGpuUtilWithoutProfilingMetrics() throws GpuReadException {
        page.set("""
                # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
                # TYPE DCGM_FI_DEV_GPU_UTIL gauge
                DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-aa",device="nvidia0",modelName="NVIDIA L4",Hostname="l4-node",pod_name="tgi-0",pod_namespace="chat",container_name="tgi"} 35
                # HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
                # TYPE DCGM_FI_DEV_FB_USED gauge
                DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-aa",device="nvidia0",modelName="NVIDIA L4",Hostname="l4-node"} 1000
                """);

        assertThat(source().read()).containsExactly(
                new GpuReading("0", "GPU-aa", "NVIDIA L4", 0.35, 1000 * MIB, 0, null, "l4-node", "chat", "tgi-0", "tgi"));
    }

    @Test
    void anExporterThatIsDownOrFailingIsAReadError() {
        status.set(503);
        assertThatThrownBy(() -> source().read()).isInstanceOf(GpuReadException.class).hasMessageContaining("HTTP 503");
        status.set(200);
        page.set("# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n");
        assertThatThrownBy(() -> source().read()).isInstanceOf(GpuReadException.class).hasMessageContaining("no DCGM GPU metrics");
        DcgmExporterSource source = source();
        server.stop(0);
        assertThatThrownBy(source::read).isInstanceOf(GpuReadException.class).hasMessageContaining("cannot read the DCGM exporter");
    }

    @Test
    void prometheusTextLabelsWithEscapesAndSpecialValues() {
        assertThat(PrometheusText.parseLine("m{a=\"x\\\"y\",b=\"c\\\\d\\ne\",} 1.5e3 1718000000000"))
                .isEqualTo(new PrometheusText.Sample("m", java.util.Map.of("a", "x\"y", "b", "c\\d\ne"), 1500.0));
        assertThat(PrometheusText.parseLine("up NaN").value()).isNaN();
        assertThat(PrometheusText.parseLine("m{a=\"unterminated} 1")).isNull();
        assertThat(PrometheusText.parseLine("m{a=\"x\"} not-a-number")).isNull();
    }

    // @Timeout guards against the hang of an unbounded read; the assertions are about the outcome, not speed
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPageThatNeverEndsOrNeverStopsIsAReadError() {
        try (MisbehavingHttpServer stalling = MisbehavingHttpServer.start(200, MisbehavingHttpServer.Body.STALL);
             MisbehavingHttpServer flooding = MisbehavingHttpServer.start(200, MisbehavingHttpServer.Body.FLOOD)) {
            DcgmExporterSource stalled = new DcgmExporterSource(stalling.uri("/metrics"), Duration.ofMillis(300));
            assertThatThrownBy(stalled::read).isInstanceOf(GpuReadException.class).hasMessageContaining("HttpTimeoutException");

            DcgmExporterSource flood = new DcgmExporterSource(flooding.uri("/metrics"), Duration.ofSeconds(30));
            assertThatThrownBy(flood::read).isInstanceOf(GpuReadException.class)
                    .hasMessageContaining("larger than " + DcgmExporterSource.MAX_PAGE_BYTES);
        }
    }
}
