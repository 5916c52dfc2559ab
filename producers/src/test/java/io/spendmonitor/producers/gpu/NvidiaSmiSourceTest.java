package io.spendmonitor.producers.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** nvidia-smi run for real: fake executables print recorded output (src/test/resources/gpu). */
class NvidiaSmiSourceTest {
    private static final long MIB = 1024L * 1024L;
    private static final String UUID_0 = "GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c";
    private static final String UUID_1 = "GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b";

    @TempDir
    Path dir;

    private NvidiaSmiSource source(String script) {
        return new NvidiaSmiSource(GpuTestFiles.executable(dir, script).toString(), Duration.ofSeconds(10));
    }

    @Test
    void readsATwoGpuH100Node() throws GpuReadException {
        List<GpuReading> gpus = source("nvidia-smi-h100x2.sh").read();

        assertThat(gpus).containsExactly(
                // 87 % busy; 61440 of 81559 MiB; 512.34 W
                new GpuReading("0", UUID_0, "NVIDIA H100 80GB HBM3", 0.87, 61440 * MIB, 81559 * MIB, 512.34, null, null, null, null),
                new GpuReading("1", UUID_1, "NVIDIA H100 80GB HBM3", 0.0, 4 * MIB, 81559 * MIB, 71.2, null, null, null, null));
        assertThat(gpus.get(0).gpuId()).isEqualTo(UUID_0);
    }

    @Test
    void readsARealH200NodeAsTheCatalogsH200() throws GpuReadException {
        // recorded on a real H200 node (gpu/h200/README.md): the driver names it just "NVIDIA H200"
        List<GpuReading> gpus = source("nvidia-smi-h200-busy.sh").read();

        assertThat(gpus).containsExactly(new GpuReading("0", "GPU-9f85821e-377a-0393-30b8-c6c1d3c380bb", "NVIDIA H200",
                1.0, 1011 * MIB, 143771 * MIB, 692.13, null, null, null, null));
        // the default catalog prices it as H200-141GB: before, "H200" left every sample unpriced
        assertThat(GpuModelNames.normalize(gpus.get(0).name())).isEqualTo("H200-141GB");
    }

    @Test
    void unknownFieldsAreUnknownNotZeroAndNoiseIsSkipped() throws GpuReadException {
        List<GpuReading> gpus = source("nvidia-smi-not-available.sh").read();

        assertThat(gpus).containsExactly(
                new GpuReading("0", UUID_0, "NVIDIA H100 80GB HBM3", null, 61440 * MIB, 81559 * MIB, null, null, null, null, null),
                new GpuReading("1", UUID_1, "NVIDIA H100 80GB HBM3", 0.45, 0, 0, null, null, null, null, null));
    }

    @Test
    void aFailingNvidiaSmiIsAReadErrorWithItsMessage() {
        assertThatThrownBy(() -> source("nvidia-smi-driver-down.sh").read())
                .isInstanceOf(GpuReadException.class)
                .hasMessageContaining("exited with 9")
                .hasMessageContaining("couldn't communicate with the NVIDIA driver");
    }

    @Test
    void aHangingNvidiaSmiIsKilledAtTheTimeout() {
        NvidiaSmiSource source = new NvidiaSmiSource(GpuTestFiles.executable(dir, "nvidia-smi-hangs.sh").toString(), Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThatThrownBy(source::read).isInstanceOf(GpuReadException.class).hasMessageContaining("did not answer within");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aMissingExecutableIsAReadError() {
        NvidiaSmiSource source = new NvidiaSmiSource(dir.resolve("no-such-nvidia-smi").toString(), Duration.ofSeconds(1));
        assertThatThrownBy(source::read).isInstanceOf(GpuReadException.class).hasMessageContaining("cannot run");
    }

    @Test
    void outputWithoutAnyGpuLineIsAReadError() {
        assertThatThrownBy(() -> NvidiaSmiSource.parse("No devices were found\n"))
                .isInstanceOf(GpuReadException.class).hasMessageContaining("No devices were found");
        assertThatThrownBy(() -> NvidiaSmiSource.parse("")).isInstanceOf(GpuReadException.class);
        assertThatThrownBy(() -> NvidiaSmiSource.parse("[N/A], [N/A], [N/A], [N/A], [N/A], [N/A], [N/A]"))
                .isInstanceOf(GpuReadException.class);
    }

    @Test
    void outOfRangeUtilizationIsUnknown() throws GpuReadException {
        List<GpuReading> gpus = NvidiaSmiSource.parse("0, GPU-x, NVIDIA L4, 101, 10, 22491, 30.5\n1, GPU-y, Tesla T4, 12.5, 10, 15360, [Unknown Error]");
        assertThat(gpus.get(0).utilization()).isNull();
        assertThat(gpus.get(1).utilization()).isEqualTo(0.125);
        assertThat(gpus.get(1).powerWatts()).isNull();
    }
}
