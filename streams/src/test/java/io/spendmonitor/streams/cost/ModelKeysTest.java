package io.spendmonitor.streams.cost;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Provider and model names may both contain '/' (model names often do: "meta-llama/Llama-3.1-8B"):
 * provider "a" with model "b/c" and provider "a/b" with model "c" are two models, in the window,
 * through the window's serde, in the lifetime totals and on the metrics.
 */
class ModelKeysTest {
    private static final TokenCounts ONE_OUT = new TokenCounts(0, 0, 0, 1);

    @Test
    void pairsThatJoinToTheSameTextAreTwoModels() throws IOException {
        TeamWindow w = new TeamWindow(0);
        w.addApiCall("a", "b/c", ONE_OUT, 1_000L);
        w.addApiCall("a/b", "c", ONE_OUT, 20_000L);
        w.addApiCall("a/b", "c", ONE_OUT, 300_000L);
        w.addApiCall("openai", "gpt-4o-mini", ONE_OUT, 4_000_000L);
        assertModels(w);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        w.writeTo(new DataOutputStream(bytes));
        TeamWindow back = TeamWindow.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertModels(back);
        back.addApiCall("a/b", "c", ONE_OUT, 5_000_000L); // read back, a call goes where it went before
        assertThat(back.apiModels().values()).filteredOn(m -> m.provider.equals("a/b"))
                .extracting(m -> m.cost.value().longValueExact()).containsExactly(5_320_000L); // 20,000 + 300,000 + 5,000,000

        // the lifetime totals (and so the metric labels) keep each pair under its own names
        TeamState state = new TeamState();
        TeamEvaluator.accumulate(state, w);
        assertThat(state.modelTotals.values()).extracting(t -> t.provider + " | " + t.model + " | " + t.calls)
                .containsExactlyInAnyOrder("a | b/c | 1", "a/b | c | 2", "openai | gpt-4o-mini | 1");
        // the common case keeps its "provider/model" key: a self-host profile's api_equivalent names it so
        assertThat(w.apiModels()).containsKey("openai/gpt-4o-mini");
    }

    private static void assertModels(TeamWindow w) {
        // a: 1,000 fd in 1 call; a/b: 20,000 + 300,000 = 320,000 fd in 2 calls; openai: 4,000,000 in 1
        assertThat(w.apiModels().values()).extracting(m -> m.provider + " | " + m.model + " | " + m.calls + " | " + m.cost.value())
                .containsExactlyInAnyOrderElementsOf(List.of("a | b/c | 1 | 1000", "a/b | c | 2 | 320000",
                        "openai | gpt-4o-mini | 1 | 4000000"));
    }
}
