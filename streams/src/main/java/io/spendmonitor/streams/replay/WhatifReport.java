package io.spendmonitor.streams.replay;

import io.spendmonitor.streams.cost.CostTotals;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * What {@code whatif} found: per team the totals under the actual catalog and under the
 * alternative one, the self-host switches, and a daily series. Money in USD, exact
 * (rounded to the nano-dollar where shown, as {@code /cost} does).
 */
public record WhatifReport(Instant from, Instant to, long eventsRead, long eventsInRange, List<TeamReport> teams) {

    public record TeamReport(String team, Totals actual, Totals alternative, List<Switch> switches, List<Day> days) {
    }

    /** The {@code /cost} sums over the team's windows starting in [from, to), plus unpriced calls. */
    public record Totals(int windows, BigDecimal apiUsd, BigDecimal gpuUsd, BigDecimal busyUsd, BigDecimal idleUsd,
                         long inputTokens, long cachedInputTokens, long cacheWriteInputTokens, long outputTokens,
                         long selfhostTokens, long apiCalls, long unpricedCalls) {
        static Totals of(CostTotals t) {
            return new Totals(t.windows(), nanos(t.apiUsd()), nanos(t.gpuUsd()), nanos(t.busyUsd()), nanos(t.idleUsd()),
                    t.inputTokens(), t.cachedInputTokens(), t.cacheWriteInputTokens(), t.outputTokens(), t.selfhostTokens(),
                    t.apiCalls(), t.unpricedCalls());
        }

        public BigDecimal totalUsd() {
            return apiUsd.add(gpuUsd);
        }
    }

    /**
     * One self-host profile against the team's traffic over the period (alternative catalog).
     * API mode: the team's calls to the profile's api_equivalent, served instead by replicas sized
     * each hour from that hour's peak minute. SELF_HOSTED mode: the team's own deployments of the
     * profile's model, against their tokens at the api_equivalent's prices. In both modes
     * {@code ratio} = API cost / self-host cost (above 1: self-hosting is the cheaper choice) and
     * {@code savingsUsd} = API cost - self-host cost (what self-hosting saves; negative: what it costs more).
     *
     * @param breakevenTokensPerDay the steady input + output tokens a day at which the profile costs
     *                              what the API costs for this team's token mix; null when never
     * @param hoursCheaper          hours of the period in which self-hosting would have cost less
     * @param dailySelfHostUsd      self-host cost by UTC day; {@code dailyApiUsd} the API cost by day
     */
    public record Switch(String profile, String gpuModel, String mode, String apiModel, BigDecimal selfHostCostUsd,
                         BigDecimal apiCostUsd, Double ratio, BigDecimal savingsUsd, int replicasPeak,
                         Long breakevenTokensPerDay, int hoursCheaper, int hours, Map<LocalDate, BigDecimal> dailySelfHostUsd,
                         Map<LocalDate, BigDecimal> dailyApiUsd) {
    }

    /** One UTC day: actual and alternative spend (API + GPU) and the team's tokens (input + output). */
    public record Day(LocalDate date, BigDecimal actualUsd, BigDecimal alternativeUsd, long tokens) {
    }

    static BigDecimal nanos(BigDecimal usd) {
        return io.spendmonitor.streams.cost.Money.usdNanos(usd);
    }
}
