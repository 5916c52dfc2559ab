package io.spendmonitor.producers.gpu;

import io.spendmonitor.avro.GpuUtilization;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** vLLM token counters from recorded /metrics pages (src/test/resources/vllm) to the deltas on GPU samples. */
class VllmMeterTest {
    private static final Instant T0 = Instant.parse("2025-06-20T10:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(15);
    private static final String UUID_0 = "GPU-0000";
    private static final String UUID_1 = "GPU-1111";

    private final GpuCollectorTest.HandClock clock = new GpuCollectorTest.HandClock(T0);

    static String page(String name) {
        try (InputStream in = VllmMeterTest.class.getResourceAsStream("/vllm/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource vllm/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves the named pages in order; null is a failed scrape. */
    private static final class RecordedServer implements VllmSource {
        private final Deque<String> pages = new ArrayDeque<>();

        RecordedServer(String... names) {
            for (String name : names) {
                pages.add(name == null ? "" : name);
            }
        }

        @Override
        public VllmPage read() throws GpuReadException {
            String name = pages.removeFirst();
            if (name.isEmpty()) {
                throw new GpuReadException("connection refused (recorded)");
            }
            return VllmPage.parse(page(name));
        }

        @Override
        public String describe() {
            return "recorded vLLM";
        }
    }

    /** Two H100s of deployment vllm-llama-8b, 80 % and 40 % busy. */
    private static final GpuSource TWO_GPUS = new GpuSource() {
        @Override
        public List<GpuReading> read() {
            return List.of(new GpuReading("1", UUID_1, "NVIDIA H100 80GB HBM3", 0.4, 0, 0, null, null, null, null, null),
                    new GpuReading("0", UUID_0, "NVIDIA H100 80GB HBM3", 0.8, 0, 0, null, null, null, null, null));
        }

        @Override
        public String describe() {
            return "two recorded GPUs";
        }
    };

    private GpuCollector collector(VllmSource... servers) {
        Map<VllmSource, String> vllm = new LinkedHashMap<>();
        for (VllmSource s : servers) {
            vllm.put(s, "vllm-llama-8b");
        }
        return new GpuCollector(TWO_GPUS, GpuMapping.of(new GpuMapping.Assignment("search", "vllm-llama-8b", "llama-3.1-8b", null, null)),
                "node-1", INTERVAL, clock, clock::nanos, vllm);
    }

    private List<GpuUtilization> nextRound(GpuCollector collector) throws GpuReadException {
        clock.advance(INTERVAL);
        return collector.collect();
    }

    @Test
    void theDeltaBetweenTwoScrapesGoesOnTheDeploymentsFirstGpuSample() throws GpuReadException {
        GpuCollector collector = collector(new RecordedServer("llama-8b-t0.txt", "llama-8b-t15.txt"));

        List<GpuUtilization> baseline = collector.collect();
        assertThat(baseline).hasSize(2).allSatisfy(s -> {
            assertThat(s.getPromptTokens()).isNull(); // one scrape is no delta
            assertThat(s.getGenerationTokens()).isNull();
        });

        List<GpuUtilization> second = nextRound(collector);
        // ordered by node, then GPU id: GPU-0000 carries the deployment's tokens
        assertThat(second).extracting(GpuUtilization::getGpuId).containsExactly(UUID_0, UUID_1);
        GpuUtilization first = second.get(0);
        assertThat(first.getPromptTokens()).isEqualTo(3000L);        // 4000 - 1000
        assertThat(first.getGenerationTokens()).isEqualTo(1600L);    // 2100 - 500
        assertThat(first.getPrefixCacheQueries()).isEqualTo(2200L);  // 3000 - 800
        assertThat(first.getPrefixCacheHits()).isEqualTo(1100L);     // 1300 - 200
        assertThat(first.getUtilization()).isEqualTo(0.8);
        assertThat(first.getIntervalSeconds()).isEqualTo(15.0);
        GpuUtilization other = second.get(1);
        assertThat(List.of(other.getPromptTokens(), other.getGenerationTokens(), other.getPrefixCacheQueries(), other.getPrefixCacheHits()))
                .containsOnly(0L);

        String json = GpuUtilizationJson.toJsonLine(first);
        assertThat(json).contains("\"prompt_tokens\":3000", "\"generation_tokens\":1600", "\"prefix_cache_hits\":1100");
        assertThat(GpuUtilizationJson.toJsonLine(baseline.get(0))).doesNotContain("prompt_tokens");
    }

    @Test
    void aCounterThatWentDownWasResetAndCountsFromZero() throws GpuReadException {
        GpuCollector collector = collector(new RecordedServer("llama-8b-t15.txt", "llama-8b-restarted.txt"));
        collector.collect();
        GpuUtilization first = nextRound(collector).get(0);
        // the server restarted: 4000 -> 150 is 150 tokens since the restart, not -3850
        assertThat(first.getPromptTokens()).isEqualTo(150L);
        assertThat(first.getGenerationTokens()).isEqualTo(40L);
        assertThat(first.getPrefixCacheQueries()).isEqualTo(100L);
        assertThat(first.getPrefixCacheHits()).isEqualTo(10L);
    }

    @Test
    void aFailedScrapePublishesNoTokensAndTheNextOneIsABaseline() throws GpuReadException {
        GpuCollector collector = collector(new RecordedServer("llama-8b-t0.txt", null, "llama-8b-t0.txt", "llama-8b-t15.txt"));
        collector.collect();
        List<GpuUtilization> failed = nextRound(collector);
        assertThat(failed).hasSize(2).allSatisfy(s -> assertThat(s.getPromptTokens()).isNull()); // GPU time still published
        List<GpuUtilization> rebaseline = nextRound(collector); // a delta here would span two intervals: none
        assertThat(rebaseline).allSatisfy(s -> assertThat(s.getPromptTokens()).isNull());
        assertThat(nextRound(collector).get(0).getPromptTokens()).isEqualTo(3000L);
    }

    @Test
    void aGapLongerThanTheGpuSamplesClaimMakesNoDelta() throws GpuReadException {
        GpuCollector collector = collector(new RecordedServer("llama-8b-t0.txt", "llama-8b-t15.txt"));
        collector.collect();
        clock.advance(INTERVAL.multipliedBy(10)); // the GPU sample claims 15 s, the counters grew over 165 s
        List<GpuUtilization> late = nextRound(collector);
        assertThat(late.get(0).getIntervalSeconds()).isEqualTo(15.0);
        assertThat(late.get(0).getPromptTokens()).isNull();
    }

    @Test
    void twoServersOfOneDeploymentAddUpAndOneDownMeasuresNothing() throws GpuReadException {
        GpuCollector both = collector(new RecordedServer("llama-8b-t0.txt", "llama-8b-t15.txt"),
                new RecordedServer("llama-8b-t15.txt", "llama-8b-restarted.txt"));
        both.collect();
        assertThat(nextRound(both).get(0).getPromptTokens()).isEqualTo(3150L); // 3000 + 150

        GpuCollector oneDown = collector(new RecordedServer("llama-8b-t0.txt", "llama-8b-t15.txt"),
                new RecordedServer("llama-8b-t0.txt", null));
        oneDown.collect();
        assertThat(nextRound(oneDown).get(0).getPromptTokens()).isNull(); // half the servers would understate it
    }

    @Test
    void olderVllmNamesAndMissingPrefixCacheCounters() throws GpuReadException {
        VllmPage older = VllmPage.parse(page("llama-8b-older-names.txt"));
        assertThat(VllmPage.total(older.prefixQueries())).isEqualTo(800.0);
        assertThat(VllmPage.total(older.prefixHits())).isEqualTo(200.0);
        assertThat(older.kvCacheUsage()).isEqualTo(0.25);
        assertThat(older.requestsRunning()).isEqualTo(3.0);

        VllmPage noPrefix = VllmPage.parse(page("llama-8b-no-prefix-cache.txt"));
        assertThat(noPrefix.prefixQueries()).isNull();
        VllmPage.Delta delta = VllmPage.parse(page("llama-8b-t15.txt")).since(noPrefix);
        assertThat(delta).isEqualTo(new VllmPage.Delta(3000, 1600, null, null)); // tokens still measured
    }

    @Test
    void aPageWithoutTheTokenCountersIsNoVllmPage() {
        assertThatThrownBy(() -> VllmPage.parse(page("llama-8b-no-prompt-counter.txt")))
                .isInstanceOf(GpuReadException.class).hasMessageContaining("vllm:prompt_tokens_total");
        assertThatThrownBy(() -> VllmPage.parse(GpuTestFiles.text("dcgm-exporter-h100x2.txt")))
                .isInstanceOf(GpuReadException.class).hasMessageContaining("no vLLM metrics page");
    }

    @Test
    void hostileValuesAreRefused() {
        String base = page("llama-8b-t0.txt");
        assertThatThrownBy(() -> VllmPage.parse(base.replace("vllm:prompt_tokens_total{model_name=\"meta-llama/Llama-3.1-8B-Instruct\",engine=\"0\"} 1000.0",
                "vllm:prompt_tokens_total{engine=\"0\"} -5")))
                .isInstanceOf(GpuReadException.class).hasMessageContaining("not a counter value");
        assertThatThrownBy(() -> VllmPage.parse(base + "vllm:generation_tokens_total{engine=\"9\"} NaN\n"))
                .isInstanceOf(GpuReadException.class);
        StringBuilder many = new StringBuilder(base);
        for (int i = 0; i < VllmPage.MAX_SERIES + 1; i++) {
            many.append("vllm:prompt_tokens_total{engine=\"").append(i).append("\"} 1\n");
        }
        assertThatThrownBy(() -> VllmPage.parse(many.toString())).isInstanceOf(GpuReadException.class)
                .hasMessageContaining("series");
        // a counter that jumps by 1e18 in 15 s is no server
        assertThatThrownBy(() -> VllmPage.parse(base.replace("} 1000.0", "} 1e18")).since(VllmPage.parse(base)))
                .isInstanceOf(GpuReadException.class).hasMessageContaining("implausible");
    }

    @Test
    void anOversizedPageIsRefusedAndCostsOneInterval() throws Exception {
        String huge = page("llama-8b-t0.txt") + "# padding\n".repeat(VllmSource.MAX_PAGE_BYTES / 10 + 10);
        try (HttpPage server = HttpPage.serve(huge)) {
            VllmSource source = VllmSource.http(server.uri(), Duration.ofSeconds(30));
            assertThatThrownBy(source::read).isInstanceOf(GpuReadException.class).hasMessageContaining("larger than");
        }
        try (HttpPage server = HttpPage.serve(page("llama-8b-t15.txt"))) {
            VllmPage read = VllmSource.http(server.uri(), Duration.ofSeconds(30)).read();
            assertThat(VllmPage.total(read.promptTokens())).isEqualTo(4000.0);
        }
    }

    @Property(tries = 300)
    void anyTextIsAPageOrATypedRefusal(@ForAll @StringLength(max = 400) String noise) {
        String text = page("llama-8b-t0.txt").substring(0, 600) + noise + "\n" + noise.replace(' ', '{');
        try {
            VllmPage p = VllmPage.parse(text);
            assertThat(p.promptTokens()).isNotNull();
        } catch (GpuReadException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
