package io.spendmonitor.cli;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.schemas.ClientConfigs;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.schemas.Topics;
import io.spendmonitor.schemas.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * The benchmark's events, the same mix for the throughput and the latency runs: 90 % API calls
 * over six models (with prompt caching), 5 % self-hosted calls, 5 % GPU samples, over the teams.
 */
final class BenchEvents {
    private static final String[][] MODELS = {
            {"openai", "gpt-4o-mini"}, {"openai", "gpt-4o"}, {"anthropic", "claude-sonnet-4-5"},
            {"anthropic", "claude-haiku-4-5"}, {"google", "gemini-2.5-flash"}, {"openai", "gpt-4.1-mini"}};

    private final Random random;
    private final int teams;
    private final Topics topics;

    BenchEvents(long seed, int teams, Topics topics) {
        this.random = new Random(seed);
        this.teams = teams;
        this.topics = topics;
    }

    /** A producer for the benchmark: batched, lz4, acks=all, Avro through the registry. */
    static KafkaProducer<String, SpecificRecord> producer(Map<String, Object> config) {
        Map<String, Object> producerConfig = new HashMap<>(ClientConfigs.kafkaProperties(config));
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerConfig.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        AvroSerializer<SpecificRecord> values = new AvroSerializer<>();
        values.configure(config, false);
        return new KafkaProducer<>(producerConfig, new StringSerializer(), values);
    }

    /** The prices every benchmark event is priced with. */
    void sendPrices(KafkaProducer<String, SpecificRecord> producer) {
        Instant from = Instant.parse("2024-01-01T00:00:00Z");
        for (String[] m : MODELS) {
            PriceEntry e = new PriceEntry(ApiModelPrice.newBuilder().setProvider(m[0]).setModel(m[1])
                    .setInputUsdPerMtok(usd("0.40")).setCachedInputUsdPerMtok(usd("0.10")).setOutputUsdPerMtok(usd("1.60"))
                    .setEffectiveFrom(from).build());
            producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(e), e));
        }
        PriceEntry gpu = new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd("2.99")).setEffectiveFrom(from).build());
        producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(gpu), gpu));
        PriceEntry profile = new PriceEntry(SelfHostProfile.newBuilder().setModel("llama-3.1-8b").setGpuModel("H100-80GB")
                .setGpusPerReplica(1).setTokensPerSecondPerReplica(2500).setTargetUtilization(0.6).setMinReplicas(1)
                .setOverheadUsdPerHour(usd("0.50")).setApiEquivalent("openai/gpt-4o-mini").setEffectiveFrom(from).build());
        producer.send(new ProducerRecord<>(topics.priceCatalog().name(), PriceKeys.key(profile), profile));
    }

    /**
     * Event number {@code i}, stamped {@code base} plus up to {@code jitterMillis} (0: exactly
     * {@code base}).
     */
    ProducerRecord<String, SpecificRecord> next(long i, Instant base, int jitterMillis) {
        String team = "team-" + random.nextInt(teams);
        Instant at = jitterMillis > 0 ? base.plusMillis(random.nextInt(jitterMillis)) : base;
        int kind = random.nextInt(100);
        if (kind < 5) {
            return new ProducerRecord<>(topics.gpuUtilization().name(), team, GpuUtilization.newBuilder()
                    .setTimestamp(at).setNode("node-" + (random.nextInt(50))).setGpuId(String.valueOf(random.nextInt(8)))
                    .setGpuModel("H100-80GB").setTeam(team).setDeployment(team + "-llama").setModel("llama-3.1-8b")
                    .setUtilization(random.nextDouble()).setIntervalSeconds(15).build());
        }
        boolean selfHosted = kind < 10;
        String[] m = MODELS[random.nextInt(MODELS.length)];
        long input = 100 + random.nextInt(4000);
        return new ProducerRecord<>(topics.tokenUsage().name(), team, TokenUsage.newBuilder()
                .setEventId("bench-" + i).setTimestamp(at).setTeam(team).setApplication("app-" + random.nextInt(5))
                .setProvider(selfHosted ? io.spendmonitor.schemas.Providers.SELF_HOSTED : m[0]).setModel(selfHosted ? "llama-3.1-8b" : m[1])
                .setDeployment(selfHosted ? team + "-llama" : null)
                .setInputTokens(input).setCachedInputTokens(random.nextInt((int) input / 2))
                .setOutputTokens(10 + random.nextInt(800)).build());
    }

    /** True for an API call (what a window's api_calls counts). */
    static boolean isApiCall(ProducerRecord<String, SpecificRecord> record) {
        return record.value() instanceof TokenUsage u && !io.spendmonitor.schemas.Providers.isSelfHosted(u.getProvider());
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s).setScale(9);
    }
}
