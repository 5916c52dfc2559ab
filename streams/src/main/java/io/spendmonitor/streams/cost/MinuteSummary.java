package io.spendmonitor.streams.cost;

import java.util.Map;

/**
 * What the trailing horizon keeps of one finalized minute: per API model its tokens, per open
 * model the self-hosted tokens and the GPU cost of the deployments serving it. Money in femto-USD.
 */
public record MinuteSummary(long windowEndMs, Map<String, ApiMinute> apiModels, Map<String, SelfHostMinute> selfHosted,
                            long apiCostFemto, long gpuCostFemto) {
    public MinuteSummary(long windowEndMs, Map<String, ApiMinute> apiModels, Map<String, SelfHostMinute> selfHosted) {
        this(windowEndMs, apiModels, selfHosted, apiModels.values().stream().mapToLong(ApiMinute::costFemto).sum(),
                selfHosted.values().stream().mapToLong(SelfHostMinute::gpuCostFemto).sum());
    }


    /** One API model ("provider/model") in one minute. */
    public record ApiMinute(long input, long cached, long cacheWrite, long output, long costFemto) {
        public TokenCounts tokens() {
            return new TokenCounts(input, cached, cacheWrite, output);
        }
    }

    /** One open model's deployments in one minute, and the GPU models they ran on. */
    public record SelfHostMinute(long input, long cached, long cacheWrite, long output, long gpuCostFemto,
                                 java.util.List<String> gpuModels) {
        public SelfHostMinute {
            gpuModels = gpuModels == null ? java.util.List.of() : java.util.List.copyOf(gpuModels);
        }

        public TokenCounts tokens() {
            return new TokenCounts(input, cached, cacheWrite, output);
        }
    }

    public boolean isEmpty() {
        return apiModels.isEmpty() && selfHosted.isEmpty() && apiCostFemto == 0 && gpuCostFemto == 0;
    }
}
