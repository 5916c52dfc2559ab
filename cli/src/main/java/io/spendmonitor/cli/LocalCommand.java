package io.spendmonitor.cli;

import io.spendmonitor.cluster.LocalCluster;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.registry.RestSchemaRegistryClient;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code spend-monitor local}: a real broker and registry on this machine, until Ctrl-C. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"A real Kafka broker and Schema Registry on this machine, until Ctrl-C.",
                "Starts a Kafka broker (KRaft, in this JVM) and a Schema Registry (Apicurio, "
                + "Confluent REST API) on free local ports, creates the spend-monitor topics, prints",
                "  bootstrap.servers=HOST:PORT",
                "  schema.registry.url=URL",
                "and runs until Ctrl-C, then stops both and removes their data.",
                "With --brokers 3 it starts three brokers forming one KRaft quorum: every topic, the",
                "internal and changelog topics included, gets replication factor 3 and min.insync.replicas=2."})
public final class LocalCommand implements Runnable {
    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of each event topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--brokers", defaultValue = "1",
            description = "Kafka brokers to start (default ${DEFAULT-VALUE}); 3 or more: replication factor 3, min.insync.replicas=2.")
    int brokers;

    @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of every topic name (default none).")
    String topicPrefix;

    @Override
    public void run() {
        if (partitions < 1) {
            throw new CliException("--partitions must be at least 1", 2);
        }
        if (brokers < 1 || brokers > 9) {
            throw new CliException("--brokers must be between 1 and 9", 2);
        }
        PrintStream out = System.out;
        long started = System.nanoTime();
        LocalCluster cluster = start(brokers);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("stopping the broker and the registry...");
            cluster.close();
            System.err.println("stopped; data removed");
            stopped.countDown();
        }, "spend-monitor-local-stop"));
        try {
            createTopics(cluster);
        } catch (RuntimeException e) {
            throw new CliException("the broker started but the topics could not be created: " + e.getMessage());
        }
        out.println("bootstrap.servers=" + cluster.bootstrapServers());
        out.println("schema.registry.url=" + cluster.schemaRegistryUrl());
        out.flush();
        System.err.printf("ready in %.1f s: %s%nPress Ctrl-C to stop.%n", (System.nanoTime() - started) / 1e9, cluster.describe());
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static LocalCluster start(int brokers) {
        try {
            return LocalCluster.start(LocalCluster.Options.defaults().withBrokers(brokers));
        } catch (RuntimeException e) {
            throw new CliException("could not start the local cluster: " + e.getMessage());
        }
    }

    private void createTopics(LocalCluster cluster) {
        createTopics(cluster, topicPrefix, partitions);
    }

    /**
     * Every spend-monitor topic with its contract settings (the catalog: one partition, compacted), and
     * the cluster's default replication factor (1 on one broker, 3 on three or more).
     */
    static void createTopics(LocalCluster cluster, String topicPrefix, int partitions) {
        try (var registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())) {
            Topics topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, topicPrefix), registry);
            List<NewTopic> newTopics = topics.newTopics(partitions, java.util.Optional.empty());
            cluster.createTopics(newTopics);
        }
    }
}
