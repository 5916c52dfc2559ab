package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.SelfHostProfile;

import java.math.BigDecimal;

/** A self-host profile: how an open model is served and which API model it replaces. */
public record SelfHostProfileSpec(String model, String gpuModel, int gpusPerReplica, double tokensPerSecondPerReplica,
                                  double targetUtilization, int minReplicas, BigDecimal overheadUsdPerHour,
                                  String apiProvider, String apiModel) {

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

    /** How alerts and the API name the profile, e.g. {@code llama-3.1-8b}. */
    public String name() {
        return model;
    }

    public String apiEquivalent() {
        return apiProvider + "/" + apiModel;
    }
}
