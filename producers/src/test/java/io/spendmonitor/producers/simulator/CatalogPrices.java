package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.producers.catalog.DefaultPriceCatalog;
import io.spendmonitor.producers.jsonl.EventLineParser;
import io.spendmonitor.producers.jsonl.ParsedEvent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The bundled default catalog as in force at one instant: what the scenarios are calibrated against. */
final class CatalogPrices {
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    final Map<String, ApiModelPrice> api = new HashMap<>();
    final Map<String, GpuPrice> gpus = new HashMap<>();
    final List<SelfHostProfile> profiles = new ArrayList<>();

    static CatalogPrices at(Instant at) {
        CatalogPrices prices = new CatalogPrices();
        Map<String, SelfHostProfile> profiles = new HashMap<>();
        EventLineParser parser = new EventLineParser();
        try (BufferedReader reader = DefaultPriceCatalog.open()) {
            int n = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                var parsed = parser.parse(++n, line);
                if (parsed.isEmpty() || !(parsed.get() instanceof ParsedEvent event)) {
                    continue;
                }
                Object entry = ((PriceEntry) event.value()).getEntry();
                if (entry instanceof ApiModelPrice p && !p.getEffectiveFrom().isAfter(at) && p.getServiceTier() == null) {
                    prices.api.merge(p.getProvider() + "/" + p.getModel(), p,
                            (a, b) -> a.getEffectiveFrom().isAfter(b.getEffectiveFrom()) ? a : b);
                } else if (entry instanceof GpuPrice g && !g.getEffectiveFrom().isAfter(at)) {
                    prices.gpus.merge(g.getGpuModel(), g, (a, b) -> a.getEffectiveFrom().isAfter(b.getEffectiveFrom()) ? a : b);
                } else if (entry instanceof SelfHostProfile s && !s.getEffectiveFrom().isAfter(at)) {
                    profiles.merge(s.getModel() + " on " + s.getGpuModel(), s,
                            (a, b) -> a.getEffectiveFrom().isAfter(b.getEffectiveFrom()) ? a : b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        prices.profiles.addAll(profiles.values());
        return prices;
    }

    ApiModelPrice api(String providerModel) {
        ApiModelPrice p = api.get(providerModel);
        if (p == null) {
            throw new IllegalArgumentException("no price for " + providerModel);
        }
        return p;
    }

    SelfHostProfile profile(String model, String gpuModel) {
        return profiles.stream().filter(p -> p.getModel().equals(model) && p.getGpuModel().equals(gpuModel)).findFirst()
                .orElseThrow();
    }

    BigDecimal gpuUsdPerHour(String gpuModel) {
        return gpus.get(gpuModel).getUsdPerHour();
    }

    /**
     * DESIGN.md's call price: ((input - cached - cache_write) * p_in + cached * p_cached
     * + cache_write * p_cache_write + output * p_out) / 1e6, a missing cache price falling back to p_in.
     */
    static BigDecimal cost(ApiModelPrice p, long input, long cached, long cacheWrite, long output) {
        BigDecimal in = p.getInputUsdPerMtok();
        BigDecimal cachedPrice = p.getCachedInputUsdPerMtok() != null ? p.getCachedInputUsdPerMtok() : in;
        BigDecimal writePrice = p.getCacheWriteUsdPerMtok() != null ? p.getCacheWriteUsdPerMtok() : in;
        return in.multiply(BigDecimal.valueOf(input - cached - cacheWrite))
                .add(cachedPrice.multiply(BigDecimal.valueOf(cached)))
                .add(writePrice.multiply(BigDecimal.valueOf(cacheWrite)))
                .add(p.getOutputUsdPerMtok().multiply(BigDecimal.valueOf(output)))
                .divide(MILLION, MathContext.DECIMAL128);
    }

    /** What one replica setup costs an hour: replicas * gpus_per_replica * gpu $/h + overhead. */
    BigDecimal selfHostUsdPerHour(SelfHostProfile p, int replicas) {
        return gpuUsdPerHour(p.getGpuModel()).multiply(BigDecimal.valueOf((long) replicas * p.getGpusPerReplica()))
                .add(p.getOverheadUsdPerHour());
    }

    /** replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization))). */
    static int replicas(SelfHostProfile p, double peakTokensPerSecond) {
        return Math.max(p.getMinReplicas(),
                (int) Math.ceil(peakTokensPerSecond / (p.getTokensPerSecondPerReplica() * p.getTargetUtilization()) - 1e-12));
    }
}
