package io.spendmonitor.schemas;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Keys of the compacted {@code spend.price-catalog} topic. A key names one version of one
 * subject: {@code subject|effective_from}, so compaction keeps every version (the history that
 * prices late events and replays) and a republished version replaces only itself.
 * <ul>
 *   <li>{@code api|openai|gpt-4o-mini|<tier or empty>|2024-07-18T00:00:00.000Z}</li>
 *   <li>{@code gpu|H100-80GB|2025-01-01T00:00:00.000Z}</li>
 *   <li>{@code profile|llama-3.1-8b|H100-80GB|2025-01-01T00:00:00.000Z}</li>
 * </ul>
 */
public final class PriceKeys {
    private static final DateTimeFormatter INSTANT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private PriceKeys() {
    }

    public static String key(PriceEntry entry) {
        Object e = entry.getEntry();
        if (e instanceof ApiModelPrice api) {
            return apiSubject(api.getProvider(), api.getModel(), api.getServiceTier()) + "|" + INSTANT.format(api.getEffectiveFrom());
        }
        if (e instanceof GpuPrice gpu) {
            return gpuSubject(gpu.getGpuModel()) + "|" + INSTANT.format(gpu.getEffectiveFrom());
        }
        if (e instanceof io.spendmonitor.avro.OwnedGpuPrice owned) {
            return gpuSubject(owned.getGpuModel()) + "|" + INSTANT.format(owned.getEffectiveFrom());
        }
        if (e instanceof SelfHostProfile profile) {
            return profileSubject(profile.getModel(), profile.getGpuModel()) + "|" + INSTANT.format(profile.getEffectiveFrom());
        }
        throw new IllegalArgumentException("not a price entry: " + e);
    }

    /** The versions of one API model price share this subject. A null tier is the default tier. */
    public static String apiSubject(String provider, String model, String serviceTier) {
        return "api|" + provider + "|" + model + "|" + (serviceTier == null ? "" : serviceTier);
    }

    public static String gpuSubject(String gpuModel) {
        return "gpu|" + gpuModel;
    }

    public static String profileSubject(String model, String gpuModel) {
        return "profile|" + model + "|" + gpuModel;
    }

    /** The subject part of a key (everything before the last '|'). */
    public static String subjectOf(String key) {
        int bar = key.lastIndexOf('|');
        if (bar < 0) {
            throw new IllegalArgumentException("not a price catalog key: '" + key + "'");
        }
        return key.substring(0, bar);
    }

    public static Instant effectiveFromOf(String key) {
        return Instant.parse(key.substring(key.lastIndexOf('|') + 1));
    }
}
