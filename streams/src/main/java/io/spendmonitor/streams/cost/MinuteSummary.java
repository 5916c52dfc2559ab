package io.spendmonitor.streams.cost;

import java.math.BigInteger;
import java.util.Map;

/**
 * What the trailing horizon keeps of one finalized window: per API model its tokens, per open
 * model the self-hosted tokens and the GPU cost of the deployments serving it. Money in femto-USD,
 * exact at any size.
 */
public record MinuteSummary(long windowEndMs, Map<String, ApiMinute> apiModels, Map<String, SelfHostMinute> selfHosted,
                            BigInteger apiCostFemto, BigInteger gpuCostFemto, Map<String, MeasuredMinute> measured) {
    public MinuteSummary {
        measured = measured == null ? Map.of() : measured;
    }

    public MinuteSummary(long windowEndMs, Map<String, ApiMinute> apiModels, Map<String, SelfHostMinute> selfHosted,
                         BigInteger apiCostFemto, BigInteger gpuCostFemto) {
        this(windowEndMs, apiModels, selfHosted, apiCostFemto, gpuCostFemto, Map.of());
    }

    /**
     * One deployment's GPU samples that carried vLLM token counts, in one window.
     *
     * @param tokens         prompt + generation tokens served
     * @param busyGpuSeconds sum(utilization * interval_seconds) of those samples
     * @param gpuSeconds     sum(interval_seconds) of those samples
     */
    public record MeasuredMinute(String model, String gpuModel, long tokens, double busyGpuSeconds, double gpuSeconds,
                                 long prefixQueries, long prefixHits) {
        /** Busy fraction of the measured GPU time. */
        public double utilization() {
            return gpuSeconds <= 0 ? 0 : busyGpuSeconds / gpuSeconds;
        }
    }

    public MinuteSummary(long windowEndMs, Map<String, ApiMinute> apiModels, Map<String, SelfHostMinute> selfHosted) {
        this(windowEndMs, apiModels, selfHosted,
                apiModels.values().stream().map(ApiMinute::costFemto).reduce(BigInteger.ZERO, BigInteger::add),
                selfHosted.values().stream().map(SelfHostMinute::gpuCostFemto).reduce(BigInteger.ZERO, BigInteger::add));
    }

    /** One API model ("provider/model") in one window. */
    public record ApiMinute(long input, long cached, long cacheWrite, long output, BigInteger costFemto) {
        public ApiMinute(long input, long cached, long cacheWrite, long output, long costFemto) {
            this(input, cached, cacheWrite, output, BigInteger.valueOf(costFemto));
        }

        public TokenCounts tokens() {
            return new TokenCounts(input, cached, cacheWrite, output);
        }
    }

    /** One open model's deployments in one window, and the GPU models they ran on. */
    public record SelfHostMinute(long input, long cached, long cacheWrite, long output, BigInteger gpuCostFemto,
                                 java.util.List<String> gpuModels) {
        public SelfHostMinute {
            gpuModels = gpuModels == null ? java.util.List.of() : java.util.List.copyOf(gpuModels);
        }

        public TokenCounts tokens() {
            return new TokenCounts(input, cached, cacheWrite, output);
        }
    }

    public boolean isEmpty() {
        return apiModels.isEmpty() && selfHosted.isEmpty() && apiCostFemto.signum() == 0 && gpuCostFemto.signum() == 0;
    }
}
