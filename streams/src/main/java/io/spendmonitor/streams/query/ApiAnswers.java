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

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamLine(String team, String apiUsdPerHour, String gpuUsdPerHour, double idleGpus, BreakEvenView breakEven,
                           List<ActiveAlert> alerts, String lastWindowEnd) {
    }

    /** One self-host profile's break-even; {@code replicas} and {@code gpus} only in API mode. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BreakEvenView(String profile, String gpuModel, String mode, String apiModel, int minutes,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer replicas,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer gpus,
                                String actualUsd, String counterfactualUsd, Double ratio, String savingsUsdPerHour) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ActiveAlert(String team, String type, String subject, String state, String since) {
    }

    /** {@code GET /api/teams/{team}}; budget null without one; totals only when the team has a state. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TeamDetail(String team, WindowView window, HorizonView horizon, List<BreakEvenView> breakEven,
                             List<ActiveAlert> alerts, BudgetView budget,
                             @JsonInclude(JsonInclude.Include.NON_NULL) TotalsView totals) {
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
    public record BudgetView(BudgetPeriodView day, BudgetPeriodView month) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BudgetPeriodView(String period, String spendUsd, String budgetUsd) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TotalsView(String apiCostUsd, String gpuCostUsd, String idleCostUsd) {
    }

    /** {@code GET /api/teams/{team}/cost}: exact sums over the windows starting in [from, to). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CostRange(String team, String from, String to, int windows, String apiCostUsd, String gpuCostUsd,
                            String busyCostUsd, String idleCostUsd, Tokens tokens, long selfhostTokens, long apiCalls) {
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
    public record TimelinePoint(String team, long start, String apiCostUsd, String gpuCostUsd, String idleCostUsd, double idleGpus) {
    }
}
