package io.spendmonitor.producers.gpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class GpuModelNamesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            NVIDIA H100 80GB HBM3     | H100-80GB
            NVIDIA A100-SXM4-80GB     | A100-80GB
            NVIDIA A100-SXM4-40GB     | A100-40GB
            NVIDIA A100-PCIE-40GB     | A100-40GB
            NVIDIA A100 80GB PCIe     | A100-80GB
            NVIDIA L4                 | L4
            Tesla T4                  | T4
            Tesla V100-SXM2-16GB      | V100-16GB
            NVIDIA H200               | H200-141GB
            NVIDIA H100 NVL           | H100-NVL
            NVIDIA H100 PCIe          | H100-80GB
            NVIDIA L40S               | L40S
            NVIDIA A10G               | A10G
            NVIDIA GeForce RTX 4090   | GeForce-RTX-4090
            NVIDIA RTX A6000          | RTX-A6000
            '  NVIDIA  B200  '        | B200
            """)
    void normalisesDeviceNamesToCatalogNames(String deviceName, String catalogName) {
        assertThat(GpuModelNames.normalize(deviceName)).isEqualTo(catalogName);
    }

    @org.junit.jupiter.api.Test
    void nothingInNothingOut() {
        assertThat(GpuModelNames.normalize(null)).isNull();
        assertThat(GpuModelNames.normalize(" ")).isNull();
        assertThat(GpuModelNames.normalize("NVIDIA")).isEqualTo("NVIDIA");
    }
}
