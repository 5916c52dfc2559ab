package io.spendmonitor.streams.metrics;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LabelFoldTest {

    @Test
    void eachDataLabelKeepsItsFirstValuesAndFoldsTheRestIntoOther() {
        LabelFold fold = new LabelFold(3);
        Set<String> exported = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            exported.add(fold.of("model", "model-" + i));
        }
        // 3 names + "other", however many a client invents
        assertThat(exported).containsExactlyInAnyOrder("model-0", "model-1", "model-2", "other");
        assertThat(fold.of("model", "model-1")).isEqualTo("model-1"); // a kept value stays kept
        assertThat(fold.of("deployment", "d-0")).isEqualTo("d-0");    // each label has its own bound
        assertThat(fold.of("provider", "x".repeat(201))).isEqualTo("other"); // too long to be a name
        assertThat(fold.of("gpu_model", null)).isEqualTo("unknown");
        assertThat(fold.folded()).isTrue();
    }

    @Test
    void nothingFoldsUnderTheBound() {
        LabelFold fold = new LabelFold(50);
        fold.of("provider", "openai");
        fold.of("provider", "anthropic");
        assertThat(fold.folded()).isFalse();
    }
}
