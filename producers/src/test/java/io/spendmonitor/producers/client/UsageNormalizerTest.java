package io.spendmonitor.producers.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Recorded usage payloads of each provider (src/test/resources/usage), each checked against the
 * four numbers of our schema with the arithmetic spelt out. Ours: input = ALL input tokens (cache
 * reads and writes included), cached = cache reads, cache_write = cache writes, output = all output
 * (reasoning / thinking included).
 */
class UsageNormalizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode usage(String file) {
        try (InputStream in = UsageNormalizerTest.class.getResourceAsStream("/usage/" + file)) {
            assertThat(in).as(file).isNotNull();
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertCounts(NormalizedUsage usage, long input, long cached, long cacheWrite, long output) {
        assertThat(new long[]{usage.inputTokens(), usage.cachedInputTokens(), usage.cacheWriteInputTokens(), usage.outputTokens()})
                .as("input, cached, cache_write, output").containsExactly(input, cached, cacheWrite, output);
    }

    @Test
    void openAiChatCompletionsWithCachedPrompt() {
        NormalizedUsage usage = UsageNormalizer.normalize("openai", usage("openai-chat-cached.json"));
        assertThat(usage.format()).isEqualTo(UsageFormat.OPENAI_CHAT_COMPLETIONS);
        // input  = prompt_tokens 2006 (its 1920 cached tokens are already inside: NOT 2006 + 1920)
        // cached = prompt_tokens_details.cached_tokens 1920; uncached = 2006 - 1920 = 86
        // output = completion_tokens 300
        assertCounts(usage, 2006, 1920, 0, 300);
        assertThat(usage.uncachedInputTokens()).isEqualTo(86);
        assertThat(usage.serviceTier()).as("'default' is the standard tier").isNull();
    }

    @Test
    void openAiChatCompletionsReasoningIsAlreadyInCompletionTokens() {
        NormalizedUsage usage = UsageNormalizer.normalize("openai", usage("openai-chat-reasoning.json"));
        // output = completion_tokens 2542, which already holds the 2304 reasoning tokens (NOT 2542 + 2304)
        assertCounts(usage, 1117, 0, 0, 2542);
    }

    @Test
    void openAiCompatibleServersWithoutDetails() {
        // a vLLM / self-hosted answer: no prompt_tokens_details at all, so nothing cached
        NormalizedUsage usage = UsageNormalizer.normalize("self-hosted", usage("openai-chat-minimal.json"));
        assertThat(usage.format()).isEqualTo(UsageFormat.OPENAI_CHAT_COMPLETIONS);
        assertCounts(usage, 42, 0, 0, 3);
    }

    @Test
    void openAiResponsesWithCacheAndReasoning() {
        NormalizedUsage usage = UsageNormalizer.normalize("openai", usage("openai-responses-reasoning.json"));
        assertThat(usage.format()).isEqualTo(UsageFormat.OPENAI_RESPONSES);
        // input  = input_tokens 5328 (cached 4864 inside; uncached 5328 - 4864 = 464)
        // output = output_tokens 1211 (reasoning 960 inside)
        assertCounts(usage, 5328, 4864, 0, 1211);
        assertThat(usage.serviceTier()).as("the response's service_tier").isEqualTo("flex");
    }

    @Test
    void anthropicCacheReadsAndWritesAreAddedToInput() {
        NormalizedUsage usage = UsageNormalizer.normalize("anthropic", usage("anthropic-cache-read-write.json"));
        assertThat(usage.format()).isEqualTo(UsageFormat.ANTHROPIC_MESSAGES);
        // Anthropic's input_tokens (21) EXCLUDES the cache:  input = 21 + 2048 (read) + 188 (write) = 2257
        // cached = cache_read_input_tokens 2048, cache_write = cache_creation_input_tokens 188, output = 393
        assertCounts(usage, 2257, 2048, 188, 393);
        assertThat(usage.uncachedInputTokens()).as("back to Anthropic's own input_tokens").isEqualTo(21);
        assertThat(usage.serviceTier()).isNull();
        assertThat(usage.attributes()).isEmpty();
    }

    @Test
    void anthropicOneHourCacheWritesAndPriorityTier() {
        NormalizedUsage usage = UsageNormalizer.normalize("anthropic", usage("anthropic-cache-1h-priority.json"));
        // input = 50 + 0 (read) + 6000 (write: 1000 for 5 min + 5000 for 1 h) = 6050
        assertCounts(usage, 6050, 0, 6000, 120);
        assertThat(usage.serviceTier()).isEqualTo("priority");
        assertThat(usage.attributes()).containsExactly(Map.entry("cache_write_1h_input_tokens", "5000"));
    }

    @Test
    void anthropicCacheWriteFromItsBreakdownWhenTheTotalIsAbsent() {
        NormalizedUsage usage = UsageNormalizer.normalize("anthropic", json(
                "{\"input_tokens\":10,\"output_tokens\":5,\"cache_creation\":{\"ephemeral_5m_input_tokens\":30,\"ephemeral_1h_input_tokens\":70}}"));
        // write = 30 + 70 = 100; input = 10 + 0 + 100 = 110
        assertCounts(usage, 110, 0, 100, 5);
    }

    @Test
    void anthropicThinkingIsAlreadyInOutputTokens() {
        NormalizedUsage usage = UsageNormalizer.normalize("anthropic", usage("anthropic-thinking-no-cache.json"));
        // no cache fields: input = 64 + 0 + 0; output = 1536 (thinking included, no separate count)
        assertCounts(usage, 64, 0, 0, 1536);
    }

    @Test
    void geminiCachedContentAndThoughts() {
        NormalizedUsage usage = UsageNormalizer.normalize("google", usage("gemini-cached-thoughts.json"));
        assertThat(usage.format()).isEqualTo(UsageFormat.GEMINI);
        // input  = promptTokenCount 12000 (its 10240 cached tokens inside: uncached 12000 - 10240 = 1760)
        // output = candidatesTokenCount 350 + thoughtsTokenCount 1400 = 1750 (thinking is billed as output)
        // check: totalTokenCount 13750 = 12000 + 1750
        assertCounts(usage, 12000, 10240, 0, 1750);
    }

    @Test
    void geminiToolUsePromptCountsAsInput() {
        NormalizedUsage usage = UsageNormalizer.normalize("gemini", usage("gemini-tool-use.json"));
        // input = promptTokenCount 800 + toolUsePromptTokenCount 450 = 1250; output = 200 + 0
        // check: totalTokenCount 1450 = 1250 + 200
        assertCounts(usage, 1250, 0, 0, 200);
    }

    @Test
    void geminiPythonSdkSnakeCase() {
        NormalizedUsage usage = UsageNormalizer.normalize("vertex-ai", json(
                "{\"usage_metadata\":{\"prompt_token_count\":900,\"cached_content_token_count\":512,"
                        + "\"candidates_token_count\":40,\"thoughts_token_count\":60,\"total_token_count\":1000}}"));
        assertCounts(usage, 900, 512, 0, 100);
    }

    /**
     * The bug users leave other tools over. One call, 10,000 input tokens of which 8,000 are read from
     * the cache, told by OpenAI (cached inside prompt_tokens) and by Anthropic (cache outside
     * input_tokens): both must come out as the same four numbers, and the same cost.
     */
    @Test
    void cachedTokensAreCountedOnceWhateverTheProvidersConvention() {
        NormalizedUsage openAi = UsageNormalizer.normalize("openai", json(
                "{\"prompt_tokens\":10000,\"completion_tokens\":500,\"total_tokens\":10500,"
                        + "\"prompt_tokens_details\":{\"cached_tokens\":8000}}"));
        NormalizedUsage anthropic = UsageNormalizer.normalize("anthropic", json(
                "{\"input_tokens\":2000,\"cache_read_input_tokens\":8000,\"cache_creation_input_tokens\":0,\"output_tokens\":500}"));
        // OpenAI: NOT 10000 + 8000 = 18000 (cached added twice).  Anthropic: NOT 2000 (cache reads dropped)
        assertCounts(openAi, 10000, 8000, 0, 500);
        assertCounts(anthropic, 10000, 8000, 0, 500);

        // priced with DESIGN.md's formula at $3 / $0.30 / $3.75 / $15 per 1M tokens:
        // (10000 - 8000 - 0) * 3 + 8000 * 0.30 + 0 * 3.75 + 500 * 15 = 6000 + 2400 + 0 + 7500 = 15900 -> $0.015900
        assertThat(apiCostUsd(openAi)).isEqualByComparingTo("0.0159");
        assertThat(apiCostUsd(anthropic)).isEqualByComparingTo("0.0159");
        // the classic mistakes, for contrast:
        // OpenAI's cache added again: input 18000 -> 10000 * 3 + 8000 * 0.30 + 500 * 15 = 39900 -> $0.0399
        assertThat(apiCostUsd(new NormalizedUsage(UsageFormat.OPENAI_CHAT_COMPLETIONS, 18000, 8000, 0, 500, null, Map.of())))
                .isEqualByComparingTo("0.0399");
        // Anthropic's cache reads dropped: input 2000 -> 2000 * 3 + 500 * 15 = 13500 -> $0.0135
        assertThat(apiCostUsd(new NormalizedUsage(UsageFormat.ANTHROPIC_MESSAGES, 2000, 0, 0, 500, null, Map.of())))
                .isEqualByComparingTo("0.0135");
    }

    @Test
    void anthropicCacheReadsAreNotDoubleCounted() {
        NormalizedUsage usage = UsageNormalizer.normalize("anthropic", usage("anthropic-cache-read-write.json"));
        // the full-price input is Anthropic's own input_tokens, 21: each cache read is billed once, at the cache price
        assertThat(usage.inputTokens() - usage.cachedInputTokens() - usage.cacheWriteInputTokens()).isEqualTo(21);
        // (21 * 3 + 2048 * 0.30 + 188 * 3.75 + 393 * 15) / 1e6 = (63 + 614.4 + 705 + 5895) / 1e6 = 0.0072774
        assertThat(apiCostUsd(usage)).isEqualByComparingTo("0.0072774");
    }

    @Test
    void openAiCachedTokensAreNotAddedTwice() {
        NormalizedUsage usage = UsageNormalizer.normalize("openai", usage("openai-chat-cached.json"));
        assertThat(usage.inputTokens()).as("prompt_tokens as reported, not prompt + cached").isEqualTo(2006);
        assertThat(usage.inputTokens() - usage.cachedInputTokens()).isEqualTo(86);
    }

    @Test
    void theUsageOfAnotherProviderIsRejectedNamingTheFields() {
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", usage("anthropic-cache-read-write.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cache_creation_input_tokens").hasMessageContaining("cache_read_input_tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("anthropic", usage("openai-chat-cached.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prompt_tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("anthropic", json("{\"prompt_tokens\":1}")))
                .hasMessageContaining("prompt_tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("anthropic", json("{\"foo\":1}")))
                .hasMessageContaining("missing input_tokens, output_tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("google", usage("openai-chat-minimal.json")))
                .hasMessageContaining("missing promptTokenCount");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", json("{\"total_tokens\":5}")))
                .hasMessageContaining("missing prompt_tokens, completion_tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("mystery-provider", json("{\"tokens\":5}")))
                .hasMessageContaining("no known format").hasMessageContaining("tokens");
    }

    @Test
    void impossibleCountsAreRejected() {
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", json("{\"prompt_tokens\":-1,\"completion_tokens\":2}")))
                .hasMessageContaining("prompt_tokens is negative");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", json("{\"prompt_tokens\":1.5,\"completion_tokens\":2}")))
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", json("{\"prompt_tokens\":\"12\",\"completion_tokens\":2}")))
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai",
                json("{\"prompt_tokens\":10,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":11}}")))
                .hasMessageContaining("exceed all input tokens");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", json("{\"prompt_tokens\":10,\"completion_tokens\":2,\"prompt_tokens_details\":7}")))
                .hasMessageContaining("must be an object");
        assertThatThrownBy(() -> UsageNormalizer.normalize("openai", (JsonNode) null)).hasMessageContaining("no usage");
        assertThatThrownBy(() -> UsageNormalizer.normalize(" ", json("{}"))).hasMessageContaining("provider is empty");
    }

    @Test
    void missingOptionalFieldsAndNullsReadAsZero() {
        NormalizedUsage usage = UsageNormalizer.normalize("openai",
                json("{\"prompt_tokens\":7,\"completion_tokens\":1,\"prompt_tokens_details\":null}"));
        assertCounts(usage, 7, 0, 0, 1);
    }

    @Test
    void unknownProvidersAreRecognisedByTheirFields() {
        // Claude through Bedrock's InvokeModel returns Anthropic's own usage object
        assertThat(UsageNormalizer.formatFor("bedrock", usage("anthropic-cache-read-write.json"))).isEqualTo(UsageFormat.ANTHROPIC_MESSAGES);
        assertThat(UsageNormalizer.formatFor("mistral", usage("openai-chat-minimal.json"))).isEqualTo(UsageFormat.OPENAI_CHAT_COMPLETIONS);
        assertThat(UsageNormalizer.formatFor("vertex-partner", usage("gemini-tool-use.json"))).isEqualTo(UsageFormat.GEMINI);
        assertThat(UsageNormalizer.normalize(UsageFormat.ANTHROPIC_MESSAGES, usage("anthropic-cache-read-write.json")).inputTokens())
                .isEqualTo(2257);
    }

    /** DESIGN.md's per-call API cost at $3 input / $0.30 cached / $3.75 cache write / $15 output per 1M tokens. */
    private static BigDecimal apiCostUsd(NormalizedUsage u) {
        BigDecimal perMillion = BigDecimal.valueOf(u.uncachedInputTokens()).multiply(new BigDecimal("3"))
                .add(BigDecimal.valueOf(u.cachedInputTokens()).multiply(new BigDecimal("0.30")))
                .add(BigDecimal.valueOf(u.cacheWriteInputTokens()).multiply(new BigDecimal("3.75")))
                .add(BigDecimal.valueOf(u.outputTokens()).multiply(new BigDecimal("15")));
        return perMillion.divide(BigDecimal.valueOf(1_000_000), 9, RoundingMode.UNNECESSARY);
    }
}
