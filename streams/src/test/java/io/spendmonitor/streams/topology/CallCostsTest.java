package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.CallCost;
import io.spendmonitor.avro.TokenUsage;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code spend.call-costs.enabled=true}: every priced call, once, with the price entry used and the exact cost. */
class CallCostsTest {
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void everyPricedCallIsWrittenOnceWithThePriceEntryInForceAtItsTime() {
        f = new TopologyFixture(Map.of("spend.call-costs.enabled", "true"));
        TestOutputTopic<String, CallCost> callCosts = f.driver.createOutputTopic(f.topics.callCosts().name(),
                new StringDeserializer(), f.topics.callCosts().valueSerde().deserializer());
        f.apiPrice("openai", "gpt-4o-mini", "0.15", "0.075", null, "0.60", "2026-01-01T00:00:00Z");
        f.apiPrice("openai", "gpt-4o-mini", "0.30", null, null, "0.60", "2026-03-01T00:00:00Z");

        TokenUsage first = f.call("search", "openai", "gpt-4o-mini", Instant.parse("2026-02-15T10:00:05Z"))
                .setInputTokens(1200).setCachedInputTokens(1024).setOutputTokens(85)
                .setLabels(Map.of("customer", "acme")).build();
        f.send(first);
        f.send(first); // a re-sent copy: one call
        f.send(f.call("search", "openai", "no-such-model", Instant.parse("2026-02-15T10:00:06Z")).setInputTokens(5).build());
        f.send(f.call("search", "self-hosted", "llama-3.1-8b", Instant.parse("2026-02-15T10:00:07Z"))
                .setDeployment("vllm-8b").setInputTokens(5).build());
        f.send(f.call("search", "openai", "gpt-4o-mini", Instant.parse("2026-03-02T09:00:00Z")).setInputTokens(1000).build());

        List<CallCost> written = callCosts.readValuesToList();

        assertThat(written).hasSize(2); // not the copy, the unpriced call or the self-hosted one
        CallCost a = written.get(0);
        assertThat(a.getEventId()).isEqualTo(first.getEventId());
        assertThat(a.getTeam()).isEqualTo("search");
        assertThat(a.getLabels()).containsExactlyEntriesOf(Map.of("customer", "acme"));
        assertThat(List.of(a.getInputTokens(), a.getCachedInputTokens(), a.getOutputTokens())).containsExactly(1200L, 1024L, 85L);
        assertThat(a.getPriceSubject()).isEqualTo("api|openai|gpt-4o-mini|");
        assertThat(a.getPriceEffectiveFrom()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        // (1200 - 1024) * 0.15 + 1024 * 0.075 + 85 * 0.60 = 26.4 + 76.8 + 51 = 154.2 per 1M -> $0.0001542
        assertThat(a.getCostUsd()).isEqualTo(new BigDecimal("0.000154200000000"));
        CallCost b = written.get(1);
        assertThat(b.getPriceEffectiveFrom()).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
        assertThat(b.getCostUsd()).isEqualTo(new BigDecimal("0.000300000000000")); // 1000 * 0.30 per 1M
        assertThat(b.getLabels()).isEmpty();
    }

    @Test
    void aCallCostIsKeyedByItsTeamWhateverKeyTheCallCameWith() {
        f = new TopologyFixture(Map.of("spend.call-costs.enabled", "true"));
        TestOutputTopic<String, CallCost> callCosts = f.driver.createOutputTopic(f.topics.callCosts().name(),
                new StringDeserializer(), f.topics.callCosts().valueSerde().deserializer());
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2026-01-01T00:00:00Z");
        TokenUsage call = f.call("search", "openai", "gpt-4o-mini", Instant.parse("2026-02-15T10:00:05Z")).build();
        f.tokens.pipeInput("request-7f3a", call, call.getTimestamp()); // a service keying by request id

        assertThat(callCosts.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("search");
    }

    @Test
    void offByDefaultTheTopologyHasNoSuchSink() {
        f = new TopologyFixture();

        assertThat(f.driver.producedTopicNames()).doesNotContain(f.topics.callCosts().name());
        assertThat(SpendTopology.build(io.spendmonitor.streams.config.SpendConfig.of(Map.of()), f.topics, f.catalog, f.listener)
                .describe().toString()).doesNotContain(SpendTopology.CALL_COSTS_SINK);
        assertThat(SpendTopology.build(io.spendmonitor.streams.config.SpendConfig.of(Map.of("spend.call-costs.enabled", "true")),
                f.topics, f.catalog, f.listener).describe().toString()).contains(SpendTopology.CALL_COSTS_SINK);
    }
}
