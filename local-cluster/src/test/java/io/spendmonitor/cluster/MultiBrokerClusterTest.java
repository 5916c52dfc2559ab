package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Three KRaft nodes of {@link EmbeddedKafkaBroker#startCluster}: topics get replication factor 3 and
 * min.insync.replicas=2 by default; a killed partition leader costs no acknowledged record; with two
 * nodes down a producer with acks=all fails loudly instead of losing data, and works again once they return.
 */
class MultiBrokerClusterTest {

    @Test
    void replicatedQuorumSurvivesOneKillAndRefusesWritesBelowMinInsync() throws Exception {
        List<EmbeddedKafkaBroker> brokers = EmbeddedKafkaBroker.startCluster(3, Map.of());
        try {
            assertThat(brokers).extracting(EmbeddedKafkaBroker::nodeId).containsExactly(1, 2, 3);
            String bootstrap = EmbeddedKafkaBroker.bootstrapServers(brokers);
            try (Admin admin = admin(bootstrap)) {
                assertThat(admin.describeCluster().nodes().get()).hasSize(3);
                admin.createTopics(List.of(new NewTopic("replicated", Optional.of(3), Optional.empty()))).all().get();
                TopicDescription topic = admin.describeTopics(List.of("replicated")).allTopicNames().get().get("replicated");
                assertThat(topic.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "replicated");
                assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                        .get("min.insync.replicas").value()).isEqualTo("2");
            }

            int acknowledged = 0;
            try (KafkaProducer<String, String> producer = producer(bootstrap, 60_000)) {
                for (int i = 0; i < 30; i++) {
                    producer.send(new ProducerRecord<>("replicated", i % 3, "k", "before-" + i)).get(60, TimeUnit.SECONDS);
                    acknowledged++;
                }
                EmbeddedKafkaBroker leader = brokerLeading(brokers, bootstrap, 0);
                leader.kill();
                for (int i = 0; i < 30; i++) {
                    producer.send(new ProducerRecord<>("replicated", i % 3, "k", "one-down-" + i)).get(60, TimeUnit.SECONDS);
                    acknowledged++;
                }
                leader.restart();
            }

            // two of three down: acks=all cannot be satisfied with min.insync.replicas=2. With combined
            // broker + controller nodes the controller quorum goes too, so the producer gets its id first.
            EmbeddedKafkaBroker survivor = brokerLeading(brokers, bootstrap, 1);
            List<EmbeddedKafkaBroker> down = new ArrayList<>();
            try (KafkaProducer<String, String> producer = producer(bootstrap, 15_000)) {
                producer.send(new ProducerRecord<>("replicated", 1, "k", "before-two-down")).get(60, TimeUnit.SECONDS);
                acknowledged++;
                for (EmbeddedKafkaBroker b : brokers) {
                    if (b != survivor) {
                        b.kill();
                        down.add(b);
                    }
                }
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("replicated", 1, "k", "below-min-isr"))
                        .get(60, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOfAny(NotEnoughReplicasException.class,
                                NotEnoughReplicasAfterAppendException.class, TimeoutException.class);
                System.out.printf("two of three brokers down: the send failed after %.1f s (delivery.timeout.ms 15 s)%n",
                        (System.nanoTime() - t0) / 1e9);
            }
            down.forEach(EmbeddedKafkaBroker::restart);
            try (KafkaProducer<String, String> producer = producer(bootstrap, 60_000)) {
                producer.send(new ProducerRecord<>("replicated", 1, "k", "after")).get(60, TimeUnit.SECONDS);
                acknowledged++;
            }
            // every acknowledged record is there exactly once (the refused one may or may not be: it was not acknowledged)
            List<String> values = consumeAll(bootstrap);
            assertThat(values.stream().filter(v -> !v.equals("below-min-isr")).toList()).hasSize(acknowledged)
                    .doesNotHaveDuplicates();
        } finally {
            EmbeddedKafkaBroker.closeAll(brokers);
        }
        assertThat(brokers).allSatisfy(b -> assertThat(b.directory()).doesNotExist());
    }

    @Test
    void aSingleBrokerCannotBeKilled() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            assertThatThrownBy(broker::kill).isInstanceOf(IllegalStateException.class).hasMessageContaining("controlled shutdown");
        }
    }

    private static EmbeddedKafkaBroker brokerLeading(List<EmbeddedKafkaBroker> brokers, String bootstrap, int partition) {
        String reachable = EmbeddedKafkaBroker.bootstrapServers(brokers.stream().filter(EmbeddedKafkaBroker::isRunning).toList());
        int[] leader = new int[1];
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            try (Admin admin = admin(reachable)) {
                TopicPartitionInfo info = admin.describeTopics(Set.of("replicated")).allTopicNames().get()
                        .get("replicated").partitions().get(partition);
                assertThat(info.leader()).isNotNull();
                assertThat(info.isr()).hasSize(3);
                leader[0] = info.leader().id();
            }
        });
        return brokers.stream().filter(b -> b.nodeId() == leader[0]).findFirst().orElseThrow();
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static KafkaProducer<String, String> producer(String bootstrap, int deliveryTimeoutMs) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(deliveryTimeoutMs, 30_000),
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs), new StringSerializer(), new StringSerializer());
    }

    private static List<String> consumeAll(String bootstrap) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "multi-broker-check",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("replicated"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int quiet = 0;
            while (System.nanoTime() < deadline && quiet < 3) {
                int n = 0;
                for (var r : consumer.poll(Duration.ofSeconds(1))) {
                    values.add(r.value());
                    n++;
                }
                quiet = n == 0 && !values.isEmpty() ? quiet + 1 : 0;
            }
        }
        return values;
    }
}
