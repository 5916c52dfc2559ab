package io.spendmonitor.streams.cost;

/**
 * What a break-even alert is about: a mode, a self-host profile's open model and its GPU model.
 * Stored in team state as its text form {@code MODE|model|gpu_model} (the map key of
 * {@link TeamState#breakEven}); this type is the one place that builds and reads that form.
 */
public record BreakEvenKey(BreakEven.Mode mode, String model, String gpuModel) {
    public static BreakEvenKey of(BreakEven result) {
        return new BreakEvenKey(result.mode(), result.profile(), result.gpuModel());
    }

    public static BreakEvenKey parse(String key) {
        String[] parts = key.split("\\|", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a break-even key: '" + key + "'");
        }
        return new BreakEvenKey(BreakEven.Mode.valueOf(parts[0]), parts[1], parts[2]);
    }

    /** SELF_HOSTING_CHEAPER for API mode, SELF_HOSTING_DEARER for self-hosted mode. */
    public AlertType alertType() {
        return mode == BreakEven.Mode.API ? AlertType.SELF_HOSTING_CHEAPER : AlertType.SELF_HOSTING_DEARER;
    }

    /** The alert's subject, e.g. {@code llama-3.1-8b on H100-80GB}. */
    public String subject() {
        return model + " on " + gpuModel;
    }

    @Override
    public String toString() {
        return mode.name() + "|" + model + "|" + gpuModel;
    }
}
