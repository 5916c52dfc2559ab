package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.query.ApiAnswers;
import io.spendmonitor.streams.query.TeamQueries;
import io.spendmonitor.streams.repeats.RepeatMath;
import io.spendmonitor.streams.repeats.RepeatTotals;
import io.spendmonitor.streams.repeats.RepeatWindow;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Issue 17, repeated prompts: the share of calls (and of spend) whose prompt was already seen. */
class RepeatedPromptsTopologyTest {
    private static final long MINUTE = 60_000;
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    /** A 64-hex-character stand-in for prompt i's SHA-256. */
    private static String hash(int prompt) {
        return String.format("%064x", 0xabcdef1234L * (prompt + 1));
    }

    @Test
    void twoHundredCallsOverTwentyPromptsAreNinetyPercentRepeats() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        Instant start = Instant.parse("2026-02-15T10:00:00Z");
        // call k (0..199) in minute k / 20 of 10, prompt k % 20: minute 0 sees each prompt once, minutes 1..9 repeat them.
        // prompt i has 1000 * (i + 1) input and 100 output tokens: it costs (150 * (i + 1) + 60) / 1e6 USD.
        // one round of the 20 prompts: 150 * (1 + ... + 20) + 60 * 20 = 150 * 210 + 1200 = 32,700 micro-USD = $0.0327
        for (int k = 0; k < 200; k++) {
            int prompt = k % 20;
            Instant at = start.plusMillis((k / 20) * MINUTE + (k % 20) * 1000L);
            f.send(f.call("search", "openai", "gpt-4o-mini", at).setInputTokens(1000L * (prompt + 1)).setOutputTokens(100)
                    .setPromptHash(hash(prompt)).build());
        }
        // 30 calls without a hash in minute 9 (the earlier minutes are final by then): not in the share
        for (int k = 0; k < 30; k++) {
            f.send(f.call("search", "openai", "gpt-4o-mini", start.plusSeconds(9 * 60 + k)).setInputTokens(1000).setOutputTokens(100)
                    .setCachedInputTokens(500).build());
        }
        f.tick(start.plusSeconds(3600));

        // the API answer over the horizon (60 minutes): 200 hashed calls, 20 distinct, (200 - 20) / 200 = 0.90
        ApiAnswers.RepeatsView view = TeamQueries.repeatsView(windows("search"), totals("search"), MINUTE, 60 * MINUTE);
        assertThat(view.calls()).isEqualTo(200);
        assertThat(view.distinct()).isEqualTo(20);
        assertThat(view.repeatShare()).isCloseTo(0.90, within(0.02));
        // hashed spend: 10 rounds * $0.0327 = $0.327; cacheable: the 9 repeated rounds at their own prices = $0.2943,
        // estimated as 0.327 * 0.90 = 0.2943 (exact here: every prompt repeats equally often)
        assertThat(new BigDecimal(view.hashedCostUsd())).isEqualByComparingTo("0.327");
        assertThat(new BigDecimal(view.cacheableUsd()).doubleValue()).isCloseTo(0.2943, within(0.2943 * 0.02));
        // provider caching next to it counts the hashed calls (none read cached tokens here); the 30 unhashed calls,
        // 500 cached tokens each, never reach the sketch's windows
        assertThat(view.providerCachedInputTokens()).isZero();

        // the counter, from final windows: minute 0 has no repeat (all 20 prompts new), minutes 1..9 are all repeats
        // at $0.0327 each: 9 * 0.0327 = $0.2943; the gauge: the share of the horizon ending at the last final window
        RepeatTotals t = totals("search");
        assertThat(RepeatMath.usd(t.cacheableFemto()).doubleValue()).isCloseTo(0.2943, within(0.2943 * 0.02));
        assertThat(t.repeatShare()).isCloseTo(0.90, within(0.02));
        // what llm_cacheable_cost_usd_total exports: the committed total (the driver commits at once)
        assertThat(f.committed.cacheableView()).containsEntry("search", t.cacheableFemto());
    }

    @Test
    void aPromptLastSeenBeyondTheHorizonIsNotARepeat() throws Exception {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        Instant start = Instant.parse("2026-02-15T10:00:00Z");
        // the same 10 prompts at 10:00, again at 10:30 (repeats: the 10:00 window is within 60 minutes)
        // and again at 11:40 (not repeats: the last sighting, 10:30, is 70 minutes before)
        for (int minute : new int[] {0, 30, 100}) {
            for (int p = 0; p < 10; p++) {
                f.send(f.call("search", "openai", "gpt-4o-mini", start.plusSeconds(minute * 60L + p)).setInputTokens(1000)
                        .setPromptHash(hash(p)).build());
            }
        }
        f.tick(start.plusSeconds(110 * 60)); // 11:50: the 11:40 window is final (end + 5 minutes of grace)

        // each call costs 1000 * 0.15 / 1e6 = $0.00015; only the 10:30 window repeats: 10 * 0.00015 = $0.0015
        RepeatTotals t = totals("search");
        assertThat(RepeatMath.usd(t.cacheableFemto())).isEqualByComparingTo("0.0015");
        // the horizon ending at 11:41 holds only the 11:40 window: 10 calls, 10 prompts, no repeats
        assertThat(t.repeatShare()).isZero();
        ApiAnswers.RepeatsView view = TeamQueries.repeatsView(windows("search"), t, MINUTE, 60 * MINUTE);
        assertThat(view.calls()).isEqualTo(10);
        assertThat(view.distinct()).isEqualTo(10);
        String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(view);
        assertThat(json).contains("\"calls\":10", "\"distinct\":10", "\"repeat_share\":0.0", "\"cacheable_usd\":\"0.000000000\"",
                "\"cacheable_usd_total\":\"0.001500000\"", "\"provider_cached_input_tokens\":0");
    }

    @Test
    void aTeamWithoutHashesHasNoRepeatShare() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        Instant at = Instant.parse("2026-02-15T10:00:05Z");
        f.send(f.call("plain", "openai", "gpt-4o-mini", at).setInputTokens(1000).build());
        f.tick(at.plusSeconds(3600));

        // no call with a hash: the sketch keeps nothing for the team (no window, no totals; the API shows no "repeats")
        assertThat(totals("plain")).isNull();
        assertThat(windows("plain")).isEmpty();
    }

    @Test
    void aBadHashIsDeadLettered() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        Instant at = Instant.parse("2026-02-15T10:00:05Z");
        f.send(f.call("search", "openai", "gpt-4o-mini", at).setInputTokens(1000).setPromptHash("tell me a joke").build());
        f.tick(at.plusSeconds(3600));

        assertThat(f.deadLetterReasons()).containsExactly("bad-prompt-hash");
    }

    private TreeMap<Long, RepeatWindow> windows(String team) {
        WindowStore<String, RepeatWindow> store = f.driver.getWindowStore(SpendTopology.REPEAT_STORE);
        TreeMap<Long, RepeatWindow> all = new TreeMap<>();
        try (WindowStoreIterator<RepeatWindow> it = store.fetch(team, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
        }
        return all;
    }

    private RepeatTotals totals(String team) {
        KeyValueStore<String, RepeatTotals> store = f.driver.getKeyValueStore(SpendTopology.REPEAT_TOTALS_STORE);
        return store.get(team);
    }
}
