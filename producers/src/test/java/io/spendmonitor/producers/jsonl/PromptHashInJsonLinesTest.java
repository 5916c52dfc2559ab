package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import static io.spendmonitor.producers.jsonl.EventLineParserTest.USAGE;
import static io.spendmonitor.producers.jsonl.EventLineParserTest.newParser;
import static org.assertj.core.api.Assertions.assertThat;

/** prompt_hash (TokenUsage v3) in JSON lines and HTTP ingest (the same parser). */
class PromptHashInJsonLinesTest {
    private static final String HASH = "ae67335d42044eb931506543fa22760daf315b49dfd4a573a68c689f69e43822";

    @Test
    void aHashIsReadAndAbsentIsNull() {
        assertThat(parsed(USAGE + ",\"event_id\":\"p-1\",\"prompt_hash\":\"" + HASH + "\"}").getPromptHash()).isEqualTo(HASH);
        assertThat(parsed(USAGE + ",\"event_id\":\"p-2\"}").getPromptHash()).isNull();
        assertThat(parsed(USAGE + ",\"event_id\":\"p-3\",\"prompt_hash\":null}").getPromptHash()).isNull();
    }

    @Test
    void aPromptInsteadOfAHashIsRejectedTyped() {
        assertThat(error(USAGE + ",\"prompt_hash\":\"What is the capital of France?\"}").reason()).isEqualTo("bad-prompt-hash");
        assertThat(error(USAGE + ",\"prompt_hash\":\"abc\"}").reason()).isEqualTo("bad-prompt-hash");
        assertThat(error(USAGE + ",\"prompt_hash\":42}").reason()).isEqualTo(LineError.WRONG_TYPE);
    }

    @Test
    void derivedIdsOfCallsWithoutAHashAreUnchanged() {
        String plain = USAGE + "}";
        String hashed = USAGE + ",\"prompt_hash\":\"" + HASH + "\"}";
        assertThat(new String(EventIds.canonicalContent(parsed(plain)), java.nio.charset.StandardCharsets.UTF_8)).endsWith(",{}]");
        assertThat(parsed(hashed).getEventId()).isNotEqualTo(parsed(plain).getEventId());
    }

    private static TokenUsage parsed(String line) {
        LineResult result = newParser().parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(ParsedEvent.class);
        return (TokenUsage) ((ParsedEvent) result).value();
    }

    private static LineError error(String line) {
        LineResult result = newParser().parse(1, line).orElseThrow();
        assertThat(result).as("line %s", line).isInstanceOf(LineError.class);
        return (LineError) result;
    }
}
