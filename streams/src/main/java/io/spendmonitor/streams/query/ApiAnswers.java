package io.spendmonitor.streams.query;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * The query API's answers as types: {@link TeamQueries} builds them, the HTTP server writes them
 * (and reads other instances' answers back into them), and {@code spend-monitor teams} reads them.
 * Field names are the JSON's, in snake_case; money is a decimal string exact to the nano-dollar.
 */
public final class ApiAnswers {
    private ApiAnswers() {
    }

    /** {@code GET /api/teams}: a line per team; partial when an instance could not answer. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamList(List<TeamLine> teams, boolean partial) {
    }

    /**
     * {@code api_usd_per_hour} / {@code gpu_usd_per_hour}: the average over the break-even horizon
     * (final minutes); {@code rate}: the latest final minute alone (0 when it had no data), so a
     * team that stops shows 0 $/h one minute + the grace later; {@code provisional}: the open
     * minutes, not final (they still change); {@code budget_used}: null without a budget.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamLine(String team, String apiUsdPerHour, String gpuUsdPerHour, double idleGpus, BreakEvenView breakEven,
                           List<ActiveAlert> alerts, String lastWindowEnd, RateView rate, List<ProvisionalWindow> provisional,
                           BudgetUsed budgetUsed) {
    }

    /** The spend rate of one final minute window: its cost * (1 hour / window size). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RateView(String windowStart, String windowEnd, @JsonProperty("final") boolean isFinal, String apiUsdPerHour,
                           String gpuUsdPerHour) {
    }

    /** A window still open (inside the grace): its amounts so far; {@code final} is always false. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ProvisionalWindow(String start, String end, @JsonProperty("final") boolean isFinal, String apiCostUsd,
                                    String gpuCostUsd) {
    }

    /** Spend of the current period / its budget (final minutes), e.g. 0.75; null where that period has no budget. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BudgetUsed(Double day, Double month) {
    }

    /** One self-host profile's break-even; {@code replicas} and {@code gpus} only in API mode. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BreakEvenView(String profile, String gpuModel, String mode, String apiModel, int minutes,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer replicas,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer gpus,
                                String actualUsd, String counterfactualUsd, Double ratio, String savingsUsdPerHour,
                                @JsonInclude(JsonInclude.Include.NON_NULL) ThroughputView throughput) {
        public BreakEvenView(String profile, String gpuModel, String mode, String apiModel, int minutes, Integer replicas,
                             Integer gpus, String actualUsd, String counterfactualUsd, Double ratio, String savingsUsdPerHour) {
            this(profile, gpuModel, mode, apiModel, minutes, replicas, gpus, actualUsd, counterfactualUsd, ratio, savingsUsdPerHour, null);
        }
    }

    /**
     * The throughput a break-even rests on: the profile's declared one, the one measured from the
     * team's vLLM deployments of that model on that GPU (tokens per busy GPU-second over the
     * horizon; per replica: times gpus_per_replica), how much evidence there is and which was used.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ThroughputView(double declaredTokensPerSecondPerReplica,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) java.math.BigDecimal measuredTokensPerSecondPerReplica,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) java.math.BigDecimal measuredTokensPerBusyGpuSecond,
                                 double evidenceMinutes, double requiredMinutes, String used, List<String> measuredDeployments,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) Double prefixCacheHitRate,
                                 java.util.Map<String, java.math.BigDecimal> tokensPerBusyGpuSecondByDeployment) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ActiveAlert(String team, String type, String subject, String state, String since) {
    }

    /** {@code GET /api/teams/{team}}; budget null without one; totals only when the team has a state. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamDetail(String team, WindowView window, HorizonView horizon, List<BreakEvenView> breakEven,
                             List<ActiveAlert> alerts, BudgetView budget,
                             @JsonInclude(JsonInclude.Include.NON_NULL) TotalsView totals,
                             List<ProvisionalWindow> provisional, @JsonInclude(JsonInclude.Include.NON_NULL) Breakdown recent,
                             @JsonInclude(JsonInclude.Include.NON_NULL) RepeatsView repeats) {
        public TeamDetail(String team, WindowView window, HorizonView horizon, List<BreakEvenView> breakEven,
                          List<ActiveAlert> alerts, BudgetView budget, TotalsView totals,
                          List<ProvisionalWindow> provisional, Breakdown recent) {
            this(team, window, horizon, breakEven, alerts, budget, totals, provisional, recent, null);
        }
    }

    /**
     * Repeated prompts over the last {@code minutes} (spend.repeats.horizon) up to the latest window,
     * open ones as of the last commit: calls with a prompt_hash, their estimated distinct prompts, the
     * share of them whose prompt was already seen, and the estimated cost of those repeats
     * (hashed_cost_usd x repeat_share: what an exact-match response cache could have saved). Provider
     * prompt caching is a different saving: the cache reads of all the team's calls, next to it.
     * repeat_share is null without hashed calls.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RepeatsView(int minutes, long calls, long distinct, Double repeatShare, String hashedCostUsd, String cacheableUsd,
                              String cacheableUsdTotal, long providerCachedInputTokens, long inputTokens, String estimate) {
    }

    /**
     * The team's spend by model and by deployment over its last {@code minutes} final minutes
     * ([from, to), event time); rates are the cost over that span, per hour.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Breakdown(String from, String to, int minutes, List<ModelSpend> models, List<DeploymentSpend> deployments,
                            List<LabelSpend> attribution) {
        public Breakdown(String from, String to, int minutes, List<ModelSpend> models, List<DeploymentSpend> deployments) {
            this(from, to, minutes, models, deployments, List.of());
        }
    }

    /**
     * API spend of one attribution label value (spend.attribution.keys) over the span: the top
     * {@code TeamQueries.TOP_LABEL_VALUES} values of each key by cost; {@code other} sums the values
     * past spend.attribution.max-values of a window.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record LabelSpend(String key, String value, String costUsd, String usdPerHour, long calls, long tokens) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelSpend(String provider, String model, String costUsd, String usdPerHour, long calls, long tokens) {
    }

    /** {@code utilization}: busy GPU-seconds / GPU-seconds; {@code idle_share}: idle cost / GPU cost (1 - utilization when unpriced). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record DeploymentSpend(String deployment, String model, String gpuModel, String gpuCostUsd, String usdPerHour,
                                  String idleCostUsd, double gpuSeconds, double utilization, double idleShare, long tokens) {
    }

    /** The team's latest window; {@code final} false while it can still change. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record WindowView(String start, String end, @JsonProperty("final") boolean isFinal, String apiCostUsd,
                             String gpuCostUsd, String idleCostUsd, Tokens tokens, long selfhostTokens, long apiCalls,
                             long unpricedCalls, double idleGpus) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Tokens(long input, long cached, long cacheWrite, long output) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record HorizonView(int minutes, String apiCostUsd, String gpuCostUsd, String apiUsdPerHour, String gpuUsdPerHour) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BudgetView(BudgetPeriodView day, BudgetPeriodView month,
                             @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LabelBudgetView> labels) {
        public BudgetView(BudgetPeriodView day, BudgetPeriodView month) {
            this(day, month, List.of());
        }
    }

    /** A budget of the API spend on the calls carrying one label ({@code customer=acme}). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record LabelBudgetView(String label, BudgetPeriodView day, BudgetPeriodView month) {
    }

    /**
     * {@code forecast_usd}: the spend so far extrapolated linearly to the period's end in event time,
     * spend * period length / (end of the latest final minute - period start); null before any of it.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BudgetPeriodView(String period, String spendUsd, String budgetUsd, Double used, String forecastUsd) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TotalsView(String apiCostUsd, String gpuCostUsd, String idleCostUsd) {
    }

    /** {@code GET /api/teams/{team}/cost}: exact sums over the windows starting in [from, to). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CostRange(String team, String from, String to, int windows, String apiCostUsd, String gpuCostUsd,
                            String busyCostUsd, String idleCostUsd, Tokens tokens, long selfhostTokens, long apiCalls,
                            @JsonInclude(JsonInclude.Include.NON_NULL) AttributedCosts by) {
        public CostRange(String team, String from, String to, int windows, String apiCostUsd, String gpuCostUsd,
                         String busyCostUsd, String idleCostUsd, Tokens tokens, long selfhostTokens, long apiCalls) {
            this(team, from, to, windows, apiCostUsd, gpuCostUsd, busyCostUsd, idleCostUsd, tokens, selfhostTokens, apiCalls, null);
        }
    }

    /**
     * {@code ?by=KEY}: the API cost of the range by value of one attribution label, largest first.
     * Calls without the label are not in it (their spend is the range's total minus these).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AttributedCosts(String key, List<AttributedCost> values) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AttributedCost(String value, String costUsd, long calls, long tokens) {
    }

    /** {@code GET /api/alerts}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Alerts(List<ActiveAlert> active, List<RecentAlert> recent, boolean partial) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RecentAlert(String alertId, String team, String type, String subject, String state, String windowEnd,
                              String summary) {
    }

    /** {@code GET /api/timeline}: per-window spend of every team. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Timeline(List<TimelinePoint> points, boolean partial) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TimelinePoint(String team, long start, String apiCostUsd, String gpuCostUsd, String idleCostUsd, double idleGpus,
                                @JsonProperty("final") boolean isFinal) {
    }

    /** {@code GET /api/teams/{team}/breakeven}: the team's break-even ratio per profile, per evaluated minute. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BreakEvenHistoryView(String team, String from, String to, List<ProfileHistory> profiles) {
    }

    /** One profile's points, oldest first. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ProfileHistory(String profile, String mode, String apiModel, List<RatioPoint> points) {
    }

    /** {@code end}: the evaluated window's end, epoch ms; {@code ratio} null: infinite. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RatioPoint(long end, Double ratio, String savingsUsdPerHour) {
    }

    /** {@code GET /api/teams/{team}/alerts}: what fires now and the team's recent transitions, newest first. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamAlerts(String team, List<ActiveAlert> active, List<RecentAlert> recent, boolean partial) {
    }
}
