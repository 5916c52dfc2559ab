package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.SelfHostProfile;

import java.math.BigDecimal;

/** A self-host profile: how an open model is served and which API model it replaces. */
public record SelfHostProfileSpec(String model, String gpuModel, int gpusPerReplica, double tokensPerSecondPerReplica,
                                  double targetUtilization, int minReplicas, BigDecimal overheadUsdPerHour,
                                  String apiProvider, String apiModel) {

    /**
     * A profile that cannot be evaluated is refused where it enters (catalog load, publish, the
     * topology's catalog updater), never in the middle of an evaluation.
     */
    public SelfHostProfileSpec {
        if (model == null || model.isBlank() || gpuModel == null || gpuModel.isBlank()) {
            throw new IllegalArgumentException("a self-host profile needs model and gpu_model");
        }
        if (gpusPerReplica < 1 || gpusPerReplica > 1024) {
            throw new IllegalArgumentException("gpus_per_replica must be 1..1024, got " + gpusPerReplica);
        }
        if (!(tokensPerSecondPerReplica > 0 && tokensPerSecondPerReplica <= 1e9)) {
            throw new IllegalArgumentException("tokens_per_second_per_replica must be above 0 (at most 1e9), got " + tokensPerSecondPerReplica);
        }
        if (!(targetUtilization > 0 && targetUtilization <= 1)) {
            throw new IllegalArgumentException("target_utilization must be in (0, 1], got " + targetUtilization);
        }
        if (minReplicas < 0 || minReplicas > 100_000) {
            throw new IllegalArgumentException("min_replicas must be 0..100000, got " + minReplicas);
        }
        if (overheadUsdPerHour == null || overheadUsdPerHour.signum() < 0) {
            throw new IllegalArgumentException("overhead_usd_per_hour must be 0 or more");
        }
    }

    public static SelfHostProfileSpec from(SelfHostProfile p) {
        String equivalent = p.getApiEquivalent();
        int slash = equivalent.indexOf('/');
        if (slash <= 0 || slash == equivalent.length() - 1) {
            throw new IllegalArgumentException("api_equivalent must be provider/model, got '" + equivalent + "'");
        }
        return new SelfHostProfileSpec(p.getModel(), p.getGpuModel(), p.getGpusPerReplica(), p.getTokensPerSecondPerReplica(),
                p.getTargetUtilization(), p.getMinReplicas(), p.getOverheadUsdPerHour(),
                equivalent.substring(0, slash), equivalent.substring(slash + 1));
    }

    /** Computed once per profile: exact decimal arithmetic on doubles goes through their decimal text. */
    private static final java.util.Map<SelfHostProfileSpec, BigDecimal> CAPACITY = new java.util.concurrent.ConcurrentHashMap<>();
    private static final BigDecimal SIXTY = BigDecimal.valueOf(60);

    /**
     * Tokens a minute one replica serves at the target utilization:
     * tokens_per_second_per_replica * target_utilization * 60, exact (the doubles as written).
     */
    public BigDecimal capacityPerMinute() {
        return CAPACITY.computeIfAbsent(this, p -> BigDecimal.valueOf(p.tokensPerSecondPerReplica())
                .multiply(BigDecimal.valueOf(p.targetUtilization())).multiply(SIXTY));
    }

    /** How alerts and the API name the profile, e.g. {@code llama-3.1-8b}. */
    public String name() {
        return model;
    }

    public String apiEquivalent() {
        return apiProvider + "/" + apiModel;
    }
}
