package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** A broker of its own (never the shared one): stopped and restarted, it keeps its address, identity and data. */
class BrokerRestartTest {

    @Test
    void restartKeepsPortsIdentityAndData() throws Exception {
        Path dir;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            dir = broker.directory();
            String bootstrap = broker.bootstrapServers();
            int controllerPort = broker.controllerPort();
            String clusterId = broker.clusterId();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic("restart", 1, (short) 1))).all().get();
            }
            produce(bootstrap, "before");

            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            assertThat(dir).isDirectory();
            broker.stop(); // idempotent

            broker.restart();
            assertThat(broker.isRunning()).isTrue();
            assertThat(broker.bootstrapServers()).isEqualTo(bootstrap);
            assertThat(broker.controllerPort()).isEqualTo(controllerPort);
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
            }
            produce(bootstrap, "after");
            assertThat(consume(bootstrap, 2)).containsExactly("before", "after");
        }
        assertThat(Files.exists(dir)).as("close() deletes the data dir").isFalse();
    }

    @Test
    void aClosedBrokerCannotBeRestarted() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        broker.stop();
        broker.close(); // closes a stopped broker
        assertThat(Files.exists(broker.directory())).isFalse();
        assertThatThrownBy(broker::restart).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(broker::stop).isInstanceOf(IllegalStateException.class);
    }

    private static void produce(String bootstrap, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("restart", "k", value)).get();
        }
    }

    private static List<String> consume(String bootstrap, int count) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "restart-test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("restart"));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                return values.size() >= count;
            });
        }
        return values;
    }
}
