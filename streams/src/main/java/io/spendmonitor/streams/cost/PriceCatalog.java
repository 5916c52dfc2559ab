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

    /** Names (provider, model, tier) past this many are looked up without the memo: event names are not trusted to be few. */
    static final int MAX_MEMO = 4_096;
    private static final NavigableMap<Long, Object> NO_VERSIONS = java.util.Collections.emptyNavigableMap();

    /** How the events name an API price; the tier is "" for the default tier (as the subject writes null). */
    private record ApiName(String provider, String model, String tier) {
    }

    /**
     * The versions of each API subject by the name events give it, so that pricing a call builds no
     * subject string (it did for every call). A name with no price maps to {@link #NO_VERSIONS}.
     * Versions added to a subject show at once (the memo holds the subject's own map); a new subject
     * replaces the whole memo, never clears it in place, so a lookup racing the addition can only
     * put its stale "no price" into the memo that is being dropped.
     */
    private volatile Map<ApiName, NavigableMap<Long, Object>> apiMemo = new ConcurrentHashMap<>();

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
        NavigableMap<Long, Object> subjectVersions = versions.get(subject);
        if (subjectVersions == null) {
            subjectVersions = versions.computeIfAbsent(subject, s -> new ConcurrentSkipListMap<>());
            apiMemo = new ConcurrentHashMap<>(); // after the subject is in versions: see apiMemo
        }
        subjectVersions.put(effectiveFrom, value);
    }

    /** The API price in force at {@code atMillis}; a tier without its own price uses the default tier's. */
    public Optional<ApiPrice> apiPrice(String provider, String model, String serviceTier, long atMillis) {
        if (serviceTier != null && !serviceTier.isEmpty()) {
            Optional<ApiPrice> tiered = find(apiVersions(provider, model, serviceTier), atMillis, ApiPrice.class);
            if (tiered.isPresent()) {
                return tiered;
            }
        }
        return find(apiVersions(provider, model, ""), atMillis, ApiPrice.class);
    }

    /** The subject's versions, through {@link #apiMemo}. */
    private NavigableMap<Long, Object> apiVersions(String provider, String model, String tier) {
        Map<ApiName, NavigableMap<Long, Object>> memo = apiMemo;
        ApiName name = new ApiName(provider, model, tier);
        NavigableMap<Long, Object> found = memo.get(name);
        if (found == null) {
            found = versions.getOrDefault(PriceKeys.apiSubject(provider, model, tier), NO_VERSIONS);
            if (memo.size() < MAX_MEMO) {
                memo.put(name, found);
            }
        }
        return found;
    }

    /** The catalog entry a price came from: its subject and effective_from. */
    public record Version(String subject, long effectiveFromMillis) {
    }

    /** Which entry {@link #apiPrice} takes for these arguments (the same lookup), for the per-call cost records. */
    public Optional<Version> apiPriceVersion(String provider, String model, String serviceTier, long atMillis) {
        if (serviceTier != null && !serviceTier.isEmpty()) {
            Optional<Version> tiered = version(provider, model, serviceTier, atMillis);
            if (tiered.isPresent()) {
                return tiered;
            }
        }
        return version(provider, model, "", atMillis);
    }

    private Optional<Version> version(String provider, String model, String tier, long atMillis) {
        Map.Entry<Long, Object> entry = apiVersions(provider, model, tier).floorEntry(atMillis);
        return entry == null || !(entry.getValue() instanceof ApiPrice) ? Optional.empty()
                : Optional.of(new Version(PriceKeys.apiSubject(provider, model, tier), entry.getKey()));
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
        return find(versions.get(subject), atMillis, type);
    }

    private static <T> Optional<T> find(NavigableMap<Long, Object> subjectVersions, long atMillis, Class<T> type) {
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
