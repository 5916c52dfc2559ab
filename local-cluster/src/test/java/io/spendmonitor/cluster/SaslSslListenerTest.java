package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** A broker with a SASL_SSL (SCRAM-SHA-512) listener: a SCRAM user produces and consumes; a wrong password or CA is refused. */
class SaslSslListenerTest {

    @Test
    void aScramUserProducesAndConsumesOverTlsAndOthersAreRefused() throws Exception {
        String storePassword = "store-" + UUID.randomUUID().toString().substring(0, 8);
        String password = "scram-" + UUID.randomUUID();
        try (TestCertificates pki = TestCertificates.generate(storePassword);
             EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Map.of(), SaslSsl.of(pki))) {
            assertThat(broker.hasSaslSsl()).isTrue();
            assertThat(broker.saslSslBootstrapServers()).isNotEqualTo(broker.bootstrapServers());
            broker.createScramUser("app", password, pki.truststore(), storePassword);
            Map<String, Object> client = new HashMap<>(SaslSsl.clientProperties("app", password, pki.truststore(), storePassword));
            client.put("bootstrap.servers", broker.saslSslBootstrapServers());
            String topic = "secured-" + UUID.randomUUID();
            try (Admin admin = Admin.create(client)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> producerConfig = new HashMap<>(client);
            producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "k", "over TLS")).get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> consumerConfig = new HashMap<>(client);
            consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + topic);
            consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        values.add(r.value());
                    }
                    return !values.isEmpty();
                });
            }
            assertThat(values).containsExactly("over TLS");

            Map<String, Object> wrongPassword = new HashMap<>(client);
            wrongPassword.put("sasl.jaas.config", SaslSsl.jaasConfig("app", "not-" + password));
            try (Admin admin = Admin.create(wrongPassword)) {
                assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(SaslAuthenticationException.class);
            }
            Map<String, Object> otherCa = new HashMap<>(client);
            otherCa.put("ssl.truststore.location", pki.untrustedTruststore().toString());
            try (Admin admin = Admin.create(otherCa)) {
                assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(SslAuthenticationException.class);
            }
            // the PLAINTEXT listener stays for the broker itself and for set-up
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(topic);
            }
        }
    }

    @Test
    void theListenerIsForASingleBrokerAndTheLocalClusterOptionCarriesIt() {
        SaslSsl listener = new SaslSsl(java.nio.file.Path.of("k.p12"), "x");
        assertThat(LocalCluster.Options.defaults().saslSsl()).isNull();
        assertThat(LocalCluster.Options.defaults().withSaslSsl(listener).withRegistryReadyTimeout(Duration.ofSeconds(1)).saslSsl())
                .isEqualTo(listener);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.startCluster(3, Map.of(), listener))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("single broker");
    }
}
