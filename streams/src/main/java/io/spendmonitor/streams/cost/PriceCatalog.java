package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.schemas.PriceKeys;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Every version of every price, looked up by event time: the entry in force at a time is the one
 * with the latest {@code effective_from} at or before it. Thread-safe: the global-store thread
 * writes while stream threads read.
 */
public final class PriceCatalog {
    private final Map<String, NavigableMap<Long, Object>> versions = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    /** Adds or replaces the version a catalog key names; a null entry (tombstone) removes it. */
    public void apply(String key, PriceEntry entry) {
        String subject = PriceKeys.subjectOf(key);
        long effectiveFrom = PriceKeys.effectiveFromOf(key).toEpochMilli();
        if (entry == null) {
            NavigableMap<Long, Object> subjectVersions = versions.get(subject);
            if (subjectVersions != null) {
                subjectVersions.remove(effectiveFrom);
            }
            return;
        }
        Object value;
        if (entry.getEntry() instanceof ApiModelPrice api) {
            value = ApiPrice.from(api);
        } else if (entry.getEntry() instanceof GpuPrice gpu) {
            if (gpu.getUsdPerHour() == null || gpu.getUsdPerHour().signum() < 0
                    || gpu.getUsdPerHour().compareTo(EventValidator.MAX_GPU_USD_PER_HOUR) > 0) {
                throw new IllegalArgumentException("usd_per_hour of " + gpu.getGpuModel() + " must be 0.." + EventValidator.MAX_GPU_USD_PER_HOUR);
            }
            value = gpu.getUsdPerHour();
        } else if (entry.getEntry() instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            // owned GPUs become a price per GPU-hour, paid busy or idle, like a rented one
            BigDecimal perHour = io.spendmonitor.schemas.OwnedGpuCost.usdPerGpuHour(owned);
            if (perHour.compareTo(EventValidator.MAX_GPU_USD_PER_HOUR) > 0) {
                throw new IllegalArgumentException("owned " + owned.getGpuModel() + " comes to " + perHour + " $/GPU-hour, over "
                        + EventValidator.MAX_GPU_USD_PER_HOUR);
            }
            value = perHour;
        } else if (entry.getEntry() instanceof SelfHostProfile profile) {
            value = SelfHostProfileSpec.from(profile);
        } else {
            throw new IllegalArgumentException("unknown price entry " + entry.getEntry());
        }
        versions.computeIfAbsent(subject, s -> new ConcurrentSkipListMap<>()).put(effectiveFrom, value);
    }

    /** The API price in force at {@code atMillis}; a tier without its own price uses the default tier's. */
    public Optional<ApiPrice> apiPrice(String provider, String model, String serviceTier, long atMillis) {
        if (serviceTier != null && !serviceTier.isEmpty()) {
            Optional<ApiPrice> tiered = find(PriceKeys.apiSubject(provider, model, serviceTier), atMillis, ApiPrice.class);
            if (tiered.isPresent()) {
                return tiered;
            }
        }
        return find(PriceKeys.apiSubject(provider, model, null), atMillis, ApiPrice.class);
    }

    /** The catalog entry a price came from: its subject and effective_from. */
    public record Version(String subject, long effectiveFromMillis) {
    }

    /** Which entry {@link #apiPrice} takes for these arguments (the same lookup), for the per-call cost records. */
    public Optional<Version> apiPriceVersion(String provider, String model, String serviceTier, long atMillis) {
        if (serviceTier != null && !serviceTier.isEmpty()) {
            Optional<Version> tiered = version(PriceKeys.apiSubject(provider, model, serviceTier), atMillis);
            if (tiered.isPresent()) {
                return tiered;
            }
        }
        return version(PriceKeys.apiSubject(provider, model, null), atMillis);
    }

    private Optional<Version> version(String subject, long atMillis) {
        NavigableMap<Long, Object> subjectVersions = versions.get(subject);
        Map.Entry<Long, Object> entry = subjectVersions == null ? null : subjectVersions.floorEntry(atMillis);
        return entry == null || !(entry.getValue() instanceof ApiPrice) ? Optional.empty()
                : Optional.of(new Version(subject, entry.getKey()));
    }

    public Optional<BigDecimal> gpuUsdPerHour(String gpuModel, long atMillis) {
        return find(PriceKeys.gpuSubject(gpuModel), atMillis, BigDecimal.class);
    }

    /** Every self-host profile in force at {@code atMillis}. */
    public List<SelfHostProfileSpec> profiles(long atMillis) {
        List<SelfHostProfileSpec> result = new ArrayList<>();
        versions.forEach((subject, subjectVersions) -> {
            if (subject.startsWith("profile|")) {
                Map.Entry<Long, Object> entry = subjectVersions.floorEntry(atMillis);
                if (entry != null) {
                    result.add((SelfHostProfileSpec) entry.getValue());
                }
            }
        });
        result.sort(java.util.Comparator.comparing(SelfHostProfileSpec::model).thenComparing(SelfHostProfileSpec::gpuModel));
        return result;
    }

    private <T> Optional<T> find(String subject, long atMillis, Class<T> type) {
        NavigableMap<Long, Object> subjectVersions = versions.get(subject);
        if (subjectVersions == null) {
            return Optional.empty();
        }
        Map.Entry<Long, Object> entry = subjectVersions.floorEntry(atMillis);
        return entry == null ? Optional.empty() : Optional.of(type.cast(entry.getValue()));
    }

    /** Whether the catalog was filled from the global store since this instance started. */
    public boolean loaded() {
        return loaded;
    }

    public void markLoaded() {
        loaded = true;
    }

    public int size() {
        return versions.values().stream().mapToInt(Map::size).sum();
    }
}
