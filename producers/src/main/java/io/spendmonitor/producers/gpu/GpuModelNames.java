package io.spendmonitor.producers.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the device names drivers report into the price catalog's GPU model names: the vendor
 * prefix, the form factor and the memory technology go, the memory size stays at the end:
 * {@code NVIDIA H100 80GB HBM3} → {@code H100-80GB}, {@code NVIDIA A100-SXM4-80GB} → {@code A100-80GB},
 * {@code NVIDIA H200} → {@code H200-141GB} (one size only), {@code NVIDIA L4} → {@code L4}, {@code Tesla T4} → {@code T4}. A name of no known pattern is kept,
 * cleaned the same way ({@code NVIDIA GeForce RTX 4090} → {@code GeForce-RTX-4090}).
 */
public final class GpuModelNames {
    private static final Set<String> VENDOR = Set.of("NVIDIA", "TESLA");
    /** Interconnect / form-factor and memory-technology words: they do not change which catalog entry applies. */
    private static final Set<String> PACKAGING = Set.of("PCIE", "SXM", "SXM2", "SXM3", "SXM4", "SXM5", "SXM6",
            "HBM2", "HBM2E", "HBM3", "HBM3E", "GDDR6", "GDDR6X");
    private static final Pattern MEMORY = Pattern.compile("(\\d+)\\s*GB", Pattern.CASE_INSENSITIVE);
    /**
     * Devices the driver names without their memory although they come in one size only, so the
     * catalog's sized name applies: a real H200 node reports plain {@code NVIDIA H200} (recorded
     * 2026-11, driver 580), and the H100 PCIe card has 80 GB.
     */
    private static final java.util.Map<String, String> ONLY_SIZE = java.util.Map.of("H200", "141GB", "H100", "80GB");

    private GpuModelNames() {
    }

    public static String normalize(String deviceName) {
        if (deviceName == null || deviceName.isBlank()) {
            return null;
        }
        List<String> words = new ArrayList<>();
        String memory = null;
        for (String word : deviceName.trim().split("[\\s\\-_]+")) {
            if (word.isEmpty()) {
                continue;
            }
            String upper = word.toUpperCase(Locale.ROOT);
            Matcher size = MEMORY.matcher(word);
            if (size.matches()) {
                memory = size.group(1) + "GB";
            } else if (words.isEmpty() && VENDOR.contains(upper)) {
                continue;
            } else if (!PACKAGING.contains(upper)) {
                words.add(word);
            }
        }
        if (words.isEmpty()) {
            return deviceName.trim().replaceAll("\\s+", "-");
        }
        String model = String.join("-", words);
        if (memory == null) {
            memory = ONLY_SIZE.get(model.toUpperCase(Locale.ROOT));
        }
        return memory == null ? model : model + "-" + memory;
    }
}
