package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.LiveSpend;
import io.spendmonitor.streams.cost.TeamState;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The spend counters' source: open windows count as soon as their commit is through, and nothing goes down. */
class LiveSpendTopologyTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void anOpenWindowsMoneyIsExportedBeforeTheWindowIsFinalAndStaysTheSameWhenItIs() {
        f = new TopologyFixture();
        f.apiPrice("openai", "gpt-4o-mini", "0.15", null, null, "0.60", "2024-07-18T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            f.send(f.call("search", "openai", "gpt-4o-mini", T0.plusSeconds(i)).setInputTokens(1000).setOutputTokens(500).build());
        }
        // each call: 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6 = 0.00015 + 0.0003 = $0.00045; three: $0.00135
        assertThat(f.costsOf("search")).as("the window is still open").isEmpty();
        LiveSpend.ModelLine open = line(f.committed.view().get("search"), "gpt-4o-mini");
        assertThat(open.costUsd()).isEqualByComparingTo("0.00135");
        assertThat(open.calls()).isEqualTo(3);
        assertThat(open.input()).isEqualTo(3000);
        assertThat(open.output()).isEqualTo(1500);

        // stream time past the end + 5 minutes' grace: the window is final, the same money moved to the totals
        f.tick(T0.plus(Duration.ofMinutes(7)));
        assertThat(f.costsOf("search").get(T0.toString()).getApiCostUsd()).isEqualByComparingTo("0.00135");
        LiveSpend.ModelLine closed = line(f.committed.view().get("search"), "gpt-4o-mini");
        assertThat(closed.costUsd()).isEqualByComparingTo("0.00135");
        assertThat(closed.calls()).isEqualTo(3);
        KeyValueStore<String, TeamState> states = f.driver.getKeyValueStore(SpendTopology.TEAM_STATE_STORE);
        assertThat(states.get("search").modelTotals.get("openai/gpt-4o-mini").costUsd).isEqualByComparingTo("0.00135");

        // a late call inside the grace of the next window simply adds: $0.00135 + $0.00045 = $0.0018
        f.send(f.call("search", "openai", "gpt-4o-mini", T0.plus(Duration.ofMinutes(3))).setInputTokens(1000).setOutputTokens(500).build());
        assertThat(line(f.committed.view().get("search"), "gpt-4o-mini").costUsd()).isEqualByComparingTo("0.0018");
    }

    @Test
    void gpuCostAndIdleCostOfOpenWindowsAreExported() {
        f = new TopologyFixture();
        f.gpuPrice("H100-80GB", "3.60", "2024-01-01T00:00:00Z");
        // one 60 s sample at 25 % utilization: 3.60 $/h * 60 s / 3600 = $0.06; idle 75 % of it = $0.045
        f.sample("research", "llama", "meta-llama/Llama-3.1-8B", "node-1", "0", "H100-80GB", 0.25, 60, T0.plusSeconds(60));
        LiveSpend.GpuLine gpu = f.committed.view().get("research").gpus().get(0);
        assertThat(gpu.deployment()).isEqualTo("llama");
        assertThat(gpu.costUsd()).isEqualByComparingTo("0.06");
        assertThat(gpu.idleCostUsd()).isEqualByComparingTo("0.045");
    }

    @Test
    void stagedSpendWaitsForTheTransactionAndAnAbortedOneNeverShows() {
        CommittedSpend committed = new CommittedSpend();
        MockProducer<byte[], byte[]> mock = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        var producer = committed.transactional(mock, true);
        producer.initTransactions();
        LiveSpend one = new LiveSpend(0, java.util.List.of(new LiveSpend.ModelLine("openai", "m", new BigDecimal("1"), 1, 1, 0, 0, 1)),
                java.util.List.of());
        LiveSpend two = new LiveSpend(0, java.util.List.of(new LiveSpend.ModelLine("openai", "m", new BigDecimal("2"), 2, 2, 0, 0, 2)),
                java.util.List.of());

        producer.beginTransaction();
        committed.stage("search", one);
        assertThat(committed.view()).as("staged, not committed").isEmpty();
        producer.commitTransaction();
        assertThat(committed.view().get("search")).isEqualTo(one);

        producer.beginTransaction();
        committed.stage("search", two);
        producer.abortTransaction();
        assertThat(committed.view().get("search")).as("the aborted value never shows").isEqualTo(one);

        // a commit that times out is retried by Kafka Streams: what was staged shows once it is through
        producer.beginTransaction();
        committed.stage("search", two);
        mock.commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("slow broker");
        assertThatThrownBy(producer::commitTransaction).isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        assertThat(committed.view().get("search")).as("a failed commit shows nothing new").isEqualTo(one);
        mock.commitTransactionException = null;
        producer.commitTransaction();
        assertThat(committed.view().get("search")).as("the retried commit shows it").isEqualTo(two);

        // a task whose uncommitted work is thrown away takes back what it staged
        producer.beginTransaction();
        committed.stage("search", one);
        committed.unstage(java.util.List.of("search"));
        producer.commitTransaction();
        assertThat(committed.view().get("search")).isEqualTo(two);
        committed.withdraw(java.util.List.of("search"));
        assertThat(committed.view()).isEmpty();
    }

    private static LiveSpend.ModelLine line(LiveSpend spend, String model) {
        return spend.models().stream().filter(m -> m.model().equals(model)).findFirst().orElseThrow();
    }

}
