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
                "and runs until Ctrl-C, then stops both and removes their data."})
public final class LocalCommand implements Runnable {
    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of each event topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of every topic name (default none).")
    String topicPrefix;

    @Override
    public void run() {
        if (partitions < 1) {
            throw new CliException("--partitions must be at least 1", 2);
        }
        PrintStream out = System.out;
        long started = System.nanoTime();
        LocalCluster cluster = start();
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

    private static LocalCluster start() {
        try {
            return LocalCluster.start();
        } catch (RuntimeException e) {
            throw new CliException("could not start the local cluster: " + e.getMessage());
        }
    }

    private void createTopics(LocalCluster cluster) {
        createTopics(cluster, topicPrefix, partitions);
    }

    /** Every spend-monitor topic with its contract settings (the catalog: one partition, compacted). */
    static void createTopics(LocalCluster cluster, String topicPrefix, int partitions) {
        try (var registry = RestSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl())) {
            Topics topics = Topics.fromConfig(Map.of(Topics.PREFIX_CONFIG, topicPrefix), registry);
            List<NewTopic> newTopics = topics.newTopics(partitions, java.util.Optional.of((short) 1));
            cluster.createTopics(newTopics);
        }
    }
}
