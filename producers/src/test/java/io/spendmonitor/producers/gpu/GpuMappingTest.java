package io.spendmonitor.producers.gpu;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GpuMappingTest {
    private static final GpuReading VLLM_POD = new GpuReading("0", "GPU-aa", "NVIDIA H100 80GB HBM3", 0.5, 0, 0, null,
            "gpu-node-7", "search", "vllm-llama-8b-6d5f8c7b9-x2kqp", "vllm");
    private static final GpuReading BARE = new GpuReading("1", "GPU-bb", "NVIDIA H100 80GB HBM3", 0.5, 0, 0, null,
            null, null, null, null);

    private static GpuMapping parse(String json, GpuMapping.Assignment defaults) {
        return GpuMapping.parse(json, defaults, "mapping.json");
    }

    @Test
    void theFirstMatchingRuleWinsAndDefaultsFillTheRest() {
        GpuMapping mapping = parse("""
                {"defaults": {"team": "platform", "model": "from-file"},
                 "rules": [
                   {"match": {"namespace": "search", "pod_prefix": "vllm-llama-8b-"}, "team": "search", "deployment": "vllm-llama-8b"},
                   {"match": {"namespace": "search"}, "team": "search-other"},
                   {"match": {"node": "gpu-node-9", "index": "1"}, "team": "never"}
                 ]}""", new GpuMapping.Assignment(null, null, "from-options", null, null));

        assertThat(mapping.assign("gpu-node-7", VLLM_POD)).contains(
                new GpuMapping.Assignment("search", "vllm-llama-8b", "from-options", null, null));
        assertThat(mapping.assign("gpu-node-7", BARE)).contains(
                new GpuMapping.Assignment("platform", null, "from-options", null, null));
    }

    @Test
    void withoutATeamAGpuIsNotAssigned() {
        GpuMapping mapping = parse("{\"rules\":[{\"match\":{\"uuid\":\"gpu-aa\"},\"team\":\"search\"}]}", null);
        assertThat(mapping.assign("n", VLLM_POD)).isPresent();
        assertThat(mapping.assign("n", BARE)).isEmpty();
        assertThat(mapping.assignsAnyTeam()).isTrue();
        assertThat(GpuMapping.of(GpuMapping.Assignment.NONE).assignsAnyTeam()).isFalse();
    }

    @Test
    void pricesAreReadExactly() {
        GpuMapping mapping = parse("{\"rules\":[{\"match\":{\"index\":\"1\"},\"team\":\"t\",\"usd_per_hour\":2.49},"
                + "{\"match\":{\"index\":\"0\"},\"team\":\"t\",\"usd_per_hour\":\"0.000000001\"}]}", null);
        assertThat(mapping.assign("n", BARE).orElseThrow().usdPerHour()).isEqualTo(new BigDecimal("2.490000000"));
        assertThat(mapping.assign("n", VLLM_POD).orElseThrow().usdPerHour()).isEqualTo(new BigDecimal("0.000000001"));
    }

    @Test
    void mistakesAreExplained() {
        assertThatThrownBy(() -> parse("{\"rules\":[{\"match\":{\"pod-prefix\":\"vllm\"},\"team\":\"t\"}]}", null))
                .hasMessageContaining("rule 1 match: unknown field(s) [pod-prefix]");
        assertThatThrownBy(() -> parse("{\"rules\":[{\"match\":{},\"team\":\"t\"}]}", null))
                .hasMessageContaining("needs a non-empty \"match\"");
        assertThatThrownBy(() -> parse("{\"rules\":[{\"match\":{\"index\":\"0\"},\"teem\":\"t\"}]}", null))
                .hasMessageContaining("unknown field(s) [teem]");
        assertThatThrownBy(() -> parse("{\"rules\":[{\"match\":{\"index\":\"0\"},\"team\":\"t\",\"usd_per_hour\":\"1.0000000001\"}]}", null))
                .hasMessageContaining("more than 9 decimals");
        assertThatThrownBy(() -> parse("{\"rules\":[{\"match\":{\"index\":\"0\"},\"team\":\"t\",\"usd_per_hour\":-1}]}", null))
                .hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> parse("{nope", null)).hasMessageContaining("not valid JSON");
    }
}
