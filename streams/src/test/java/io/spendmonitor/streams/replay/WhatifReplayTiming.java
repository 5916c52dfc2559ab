package io.spendmonitor.streams.replay;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.schemas.PriceKeys;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SpendSettings;
import org.apache.avro.specific.SpecificRecord;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.Set;

/**
 * A JMH-free timing run of the replay engine (docs/BENCHMARKS.md): N events (default 10,000,000) of
 * 200 teams over 6 tasks, one day of event time in order with some jitter, 90 % calls (3 models, 2 %
 * repeated ids) and 10 % GPU samples, replayed with the actual catalog only and with an alternative
 * catalog too. Events are made as they are replayed (the same objects the Kafka reader hands over);
 * the time to make them is measured apart and left out. Not a test: run its main.
 */
public final class WhatifReplayTiming {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000_000;
        for (boolean alternative : new boolean[]{false, true}) {
            long make = time(n, null, false);
            long total = time(n, alternative ? catalog("2") : null, true);
            double seconds = (total - make) / 1e9;
            System.out.printf("%s: %,d events in %.1f s of replay (%.1f s with making them): %,.0f events/s%n",
                    alternative ? "actual + alternative catalog" : "actual catalog only", n, seconds, total / 1e9, n / seconds);
        }
    }

    private static long time(int n, PriceCatalog alternative, boolean replay) {
        Instant from = Instant.parse("2026-11-01T00:00:00Z");
        WhatifReplay r = new WhatifReplay(new WhatifReplay.Settings(from, from.plus(Duration.ofDays(1)), SpendSettings.defaults(),
                Instant.parse("2020-01-01T00:00:00Z"), Duration.ofMinutes(1), false, Set.of(), Set.of()), catalog("1"), alternative);
        Random random = new Random(42);
        String[] teams = new String[200];
        for (int i = 0; i < teams.length; i++) {
            teams[i] = "team-" + i;
        }
        String[] models = {"gpt-4o-mini", "gpt-4o", "claude-x"};
        long start = System.nanoTime();
        long sink = 0;
        long dayMs = 86_400_000L;
        for (int i = 0; i < n; i++) {
            long ts = from.toEpochMilli() + (long) i * dayMs / n + random.nextInt(2000);
            int t = random.nextInt(teams.length);
            SpecificRecord e;
            if (i % 10 == 9) {
                e = WhatifReplayTest.sample(teams[t], Instant.ofEpochMilli(ts), random.nextDouble());
            } else {
                String id = random.nextInt(50) == 0 ? "e" + (i - 1) : "e" + i;
                e = WhatifReplayTest.call(id, teams[t], Instant.ofEpochMilli(ts), models[i % 3], 1000 + random.nextInt(2000), 0, random.nextInt(800));
            }
            if (replay) {
                r.offer(t % 6, e, ts);
            } else {
                sink += e.hashCode();
            }
        }
        if (replay) {
            sink += r.finish().teams().size();
        }
        long elapsed = System.nanoTime() - start;
        if (sink == 42) {
            System.out.print("");
        }
        return elapsed;
    }

    private static PriceCatalog catalog(String factor) {
        PriceCatalog c = new PriceCatalog();
        BigDecimal f = new BigDecimal(factor);
        Instant at = Instant.parse("2025-01-01T00:00:00Z");
        apply(c, new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o-mini").setInputUsdPerMtok(usd("0.15", f))
                .setOutputUsdPerMtok(usd("0.60", f)).setEffectiveFrom(at).build()));
        apply(c, new PriceEntry(ApiModelPrice.newBuilder().setProvider("openai").setModel("gpt-4o").setInputUsdPerMtok(usd("2.50", f))
                .setOutputUsdPerMtok(usd("10", f)).setEffectiveFrom(at).build()));
        apply(c, new PriceEntry(GpuPrice.newBuilder().setGpuModel("H100-80GB").setUsdPerHour(usd("2.40", BigDecimal.ONE)).setEffectiveFrom(at).build()));
        apply(c, new PriceEntry(SelfHostProfile.newBuilder().setModel("llama-3.1-8b").setGpuModel("H100-80GB").setGpusPerReplica(1)
                .setTokensPerSecondPerReplica(8000).setTargetUtilization(0.7).setMinReplicas(1).setOverheadUsdPerHour(usd("0", BigDecimal.ONE))
                .setApiEquivalent("openai/gpt-4o-mini").setEffectiveFrom(at).build()));
        return c;
    }

    private static void apply(PriceCatalog c, PriceEntry e) {
        c.apply(PriceKeys.key(e), e);
    }

    private static BigDecimal usd(String s, BigDecimal factor) {
        return new BigDecimal(s).multiply(factor).setScale(9);
    }
}
