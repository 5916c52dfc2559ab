package io.spendmonitor.producers.client;

import io.spendmonitor.schemas.rules.EventRules;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * prompt_hash in the client library. The expected values were computed independently (Python's
 * hashlib / hmac over the same length-prefixed encoding: 4-byte big-endian length, then UTF-8 bytes, of
 * "spend-monitor prompt v1", the kind, the model, then the normalised texts).
 */
class PromptHashTest {
    private static final PromptHash PLAIN = PromptHash.unkeyed();

    @Test
    void knownVectorsForPlainAndKeyedHashes() {
        assertThat(PLAIN.ofPrompt("gpt-4o-mini", "  Hello \n\t world ")).isEqualTo("ae67335d42044eb931506543fa22760daf315b49dfd4a573a68c689f69e43822");
        assertThat(PromptHash.keyed("0123456789abcdef".getBytes(StandardCharsets.UTF_8)).ofPrompt("gpt-4o-mini", "Hello world"))
                .isEqualTo("8dc251b25609e21794952acd23e1227783b22f1c504c3f41e2ac6550367d3aeb");
        assertThat(PLAIN.of("gpt-4o", List.of(new PromptHash.Message("system", "Be brief."),
                new PromptHash.Message("user", "What is  2 + 2?"))))
                .isEqualTo("54f2f09c3bc4980488a4452aded851952cceb73a8d88f28008ef22cc04d0a6dc");
    }

    @Test
    void spacingDoesNotMatterAndEverythingElseDoes() {
        String base = PLAIN.of("gpt-4o", List.of(new PromptHash.Message("user", "What is 2 + 2?")));
        assertThat(PLAIN.of("gpt-4o", List.of(new PromptHash.Message("user", "What\u00a0is 2 +\n2? ")))).isEqualTo(base);
        assertThat(PLAIN.of("gpt-4o-mini", List.of(new PromptHash.Message("user", "What is 2 + 2?")))).isNotEqualTo(base);
        assertThat(PLAIN.of("gpt-4o", List.of(new PromptHash.Message("system", "What is 2 + 2?")))).isNotEqualTo(base);
        assertThat(PLAIN.of("gpt-4o", List.of(new PromptHash.Message("user", "What is 2 + 3?")))).isNotEqualTo(base);
        // parts are length-prefixed: moving text between messages changes the hash
        assertThat(PLAIN.of("m", List.of(new PromptHash.Message("user", "ab"), new PromptHash.Message("user", "c"))))
                .isNotEqualTo(PLAIN.of("m", List.of(new PromptHash.Message("user", "a"), new PromptHash.Message("user", "bc"))));
        // a chat with one user message is not the same request as a completion prompt
        assertThat(PLAIN.ofPrompt("gpt-4o", "What is 2 + 2?")).isNotEqualTo(base);
    }

    @Test
    void aKeyedHashDiffersByCompanyAndEveryHashPassesTheRules() {
        PromptHash a = PromptHash.keyed("company-a-secret-0001".getBytes(StandardCharsets.UTF_8));
        PromptHash b = PromptHash.keyed("company-b-secret-0001".getBytes(StandardCharsets.UTF_8));
        String ha = a.ofPrompt("m", "hello");
        assertThat(ha).isNotEqualTo(b.ofPrompt("m", "hello")).isNotEqualTo(PLAIN.ofPrompt("m", "hello")).hasSize(64);
        assertThat(EventRules.promptHashProblem(ha)).isEmpty();
        assertThatThrownBy(() -> PromptHash.keyed(new byte[8])).isInstanceOf(IllegalArgumentException.class);
    }
}
