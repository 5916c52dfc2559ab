package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.InMemorySchemaRegistryClient;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaEventSinkTest {
    private static SimulatedEvent sample(String team) {
        return SimulatedEvent.of(GpuUtilization.newBuilder().setTimestamp(Instant.parse("2026-03-02T09:00:00Z"))
                .setNode("n").setGpuId("0").setGpuModel("L4").setTeam(team).setUtilization(0.5).setIntervalSeconds(15).build());
    }

    @Test
    void eventsGoToTheirTopicKeyedByTeamAndAFailedDeliveryStopsTheNextSend() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        Topics topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, "t."), registry);
        MockProducer<String, Object> producer = new MockProducer<>(false, null, new StringSerializer(), (topic, value) -> new byte[0]);
        KafkaEventSink sink = new KafkaEventSink(registry, topics, producer, null);

        sink.send(sample("research"));
        sink.send(sample("search"));
        assertThat(producer.history()).extracting(r -> r.topic() + " " + r.key())
                .containsExactly("t.gpu.utilization research", "t.gpu.utilization search");
        assertThat(producer.history().get(0).timestamp()).as("Kafka stamps produce time").isNull();
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.errorNext(new TimeoutException("Topic t.gpu.utilization not present in metadata after 60000 ms."))).isTrue();
        assertThat(sink.acknowledged()).isEqualTo(1);
        assertThat(sink.failed()).isEqualTo(1);

        assertThatThrownBy(() -> sink.send(sample("support")))
                .isInstanceOf(SimulatorException.class)
                .hasMessage("Kafka did not accept an event for t.gpu.utilization: Topic t.gpu.utilization not present in metadata after 60000 ms.");
        assertThat(producer.history()).hasSize(2);
        sink.close();
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void theProducerIsIdempotentAndLeavesOurOwnSettingsOut() {
        Map<String, Object> config = KafkaEventSink.producerConfig(Map.of("bootstrap.servers", "k:9092",
                "schema.registry.url", "http://r", "spend.topic.prefix", "p.", "security.protocol", "SASL_SSL",
                "acks", "1", "linger.ms", "50"));
        assertThat(config).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("linger.ms", "50")
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .doesNotContainKeys("schema.registry.url", "spend.topic.prefix");
    }
}
