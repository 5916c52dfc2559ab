package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The topology applies the same label rules as the edges: a producer that skips them meets them here. */
class LabelsTopologyTest {
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void hostileLabelsAreDeadLetteredAndLabelledCallsAreCountedLikeAnyOther() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        Map<String, String> tooMany = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            tooMany.put("k" + i, "v");
        }
        Instant at = Instant.parse("2026-02-15T10:00:05Z");

        f.send(f.call("search", "openai", "gpt-4o-mini", at).setInputTokens(1000).setLabels(tooMany).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", at).setInputTokens(1000).setLabels(Map.of("customer", "acme")).build());
        f.tick(at.plusSeconds(3600));

        assertThat(f.deadLetterReasons()).containsExactly("bad-labels");
        // the labelled call: 1000 * 0.15 per 1M = $0.00015
        assertThat(f.costsOf("search").values()).singleElement().satisfies(w ->
                assertThat(w.getApiCostUsd()).isEqualByComparingTo("0.000150000"));
    }
}
