package io.spendmonitor.streams.replay;

import io.spendmonitor.streams.cost.ApiPrice;
import io.spendmonitor.streams.cost.BreakEvenEvaluator;
import io.spendmonitor.streams.cost.FemtoSum;
import io.spendmonitor.streams.cost.MinuteSummary;
import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.SelfHostProfileSpec;
import io.spendmonitor.streams.cost.TokenCounts;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The self-host switches of one team over the period, hour by hour (DESIGN.md's break-even
 * formulas, with the hour as the sizing horizon instead of the trailing 60 minutes):
 * <ul>
 *   <li>API mode (the team called the profile's api_equivalent): each hour of the period needs
 *       replicas = max(min_replicas, ceil(peak_tps / (tokens_per_second_per_replica * target_utilization)))
 *       with peak_tps from that hour's busiest window of those calls (0 in a quiet hour: min_replicas);
 *       the hour costs (replicas * gpus_per_replica * gpu_usd_per_hour + overhead_usd_per_hour) * its length.
 *       API cost = what those calls cost.</li>
 *   <li>SELF_HOSTED mode (the team runs deployments of the profile's model): self-host cost = their
 *       GPU cost; API cost = their tokens at the api_equivalent's prices in force at each hour.</li>
 * </ul>
 * Profile, GPU price and API price are those in force at each hour's start.
 */
final class Switches {
    private static final BigDecimal MS_PER_HOUR = BigDecimal.valueOf(3_600_000);
    private static final BigDecimal HOURS_PER_DAY = BigDecimal.valueOf(24);

    private Switches() {
    }

    /** What one hour keeps of the team's windows. */
    static final class Hour {
        final Map<String, ApiHour> api = new HashMap<>();
        final Map<String, SelfHostHour> selfHosted = new HashMap<>();

        void add(MinuteSummary minute, long windowStartMs) {
            minute.apiModels().forEach((model, m) -> {
                ApiHour h = api.computeIfAbsent(model, k -> new ApiHour());
                h.cost.add(m.costFemto());
                h.tokens = h.tokens.plus(m.tokens());
                h.peakTokensPerWindow = Math.max(h.peakTokensPerWindow, Math.addExact(m.input(), m.output()));
            });
            minute.selfHosted().forEach((model, m) -> {
                SelfHostHour h = selfHosted.computeIfAbsent(model, k -> new SelfHostHour());
                h.gpuCost.add(m.gpuCostFemto());
                h.tokens = h.tokens.plus(m.tokens());
                h.gpuModels.addAll(m.gpuModels());
            });
        }
    }

    static final class ApiHour {
        final FemtoSum cost = new FemtoSum();
        TokenCounts tokens = TokenCounts.ZERO;
        long peakTokensPerWindow;
    }

    static final class SelfHostHour {
        final FemtoSum gpuCost = new FemtoSum();
        TokenCounts tokens = TokenCounts.ZERO;
        final TreeSet<String> gpuModels = new TreeSet<>();
    }

    static List<WhatifReport.Switch> evaluate(TreeMap<Long, Hour> hours, WhatifReplay.Settings settings, PriceCatalog catalog) {
        List<WhatifReport.Switch> result = new ArrayList<>();
        long from = settings.from().toEpochMilli();
        long to = settings.to().toEpochMilli();
        for (SelfHostProfileSpec profile : catalog.profiles(to - 1)) {
            if (!settings.profiles().isEmpty() && !settings.profiles().contains(profile.name())) {
                continue;
            }
            String apiModel = profile.apiEquivalent();
            boolean calls = hours.values().stream().anyMatch(h -> h.api.containsKey(apiModel));
            boolean runs = hours.values().stream().anyMatch(h -> {
                SelfHostHour s = h.selfHosted.get(profile.model());
                return s != null && (s.gpuModels.isEmpty() || s.gpuModels.contains(profile.gpuModel()));
            });
            if (calls) {
                apiMode(hours, from, to, settings.spend().windowSizeMs(), profile, catalog).ifPresent(result::add);
            }
            if (runs) {
                selfHostedMode(hours, from, to, profile, catalog).ifPresent(result::add);
            }
        }
        return result;
    }

    private static Optional<WhatifReport.Switch> apiMode(TreeMap<Long, Hour> hours, long from, long to, long windowMs, SelfHostProfileSpec latest,
                                                         PriceCatalog catalog) {
        BigDecimal selfHost = BigDecimal.ZERO;
        FemtoSum api = new FemtoSum();
        TokenCounts tokens = TokenCounts.ZERO;
        Map<LocalDate, BigDecimal> daily = new TreeMap<>();
        Map<LocalDate, BigDecimal> dailyApi = new TreeMap<>();
        int peak = 0;
        int cheaper = 0;
        int count = 0;
        for (long hour = from - Math.floorMod(from, 3_600_000L); hour < to; hour += 3_600_000L) {
            long lengthMs = Math.min(to, hour + 3_600_000L) - Math.max(from, hour);
            SelfHostProfileSpec profile = profileAt(catalog, latest, hour);
            Optional<BigDecimal> gpu = gpuPriceAt(catalog, profile.gpuModel(), hour, to);
            if (gpu.isEmpty()) {
                return Optional.empty(); // no price for the profile's GPU: the switch cannot be costed
            }
            Hour h = hours.get(hour);
            ApiHour a = h == null ? null : h.api.get(latest.apiEquivalent());
            long peakTokens = a == null ? 0 : a.peakTokensPerWindow;
            int replicas = BreakEvenEvaluator.replicas(peakTokens, windowMs, profile);
            peak = Math.max(peak, replicas);
            BigDecimal hourly = gpu.get().multiply(BigDecimal.valueOf((long) replicas * profile.gpusPerReplica()))
                    .add(profile.overheadUsdPerHour());
            BigDecimal cost = hourly.multiply(BigDecimal.valueOf(lengthMs)).divide(MS_PER_HOUR, 15, RoundingMode.HALF_EVEN);
            BigDecimal apiHour = a == null ? BigDecimal.ZERO : a.cost.usd();
            if (a != null) {
                api.add(a.cost);
                tokens = tokens.plus(a.tokens);
            }
            selfHost = selfHost.add(cost);
            daily.merge(day(hour), cost, BigDecimal::add);
            dailyApi.merge(day(hour), apiHour, BigDecimal::add);
            count++;
            if (cost.compareTo(apiHour) < 0) {
                cheaper++;
            }
        }
        return Optional.of(result(latest, "API", selfHost, api.usd(), tokens, peak, cheaper, count, daily, dailyApi,
                gpuPriceAt(catalog, latest.gpuModel(), to - 1, to).orElseThrow()));
    }

    private static Optional<WhatifReport.Switch> selfHostedMode(TreeMap<Long, Hour> hours, long from, long to,
                                                                SelfHostProfileSpec latest, PriceCatalog catalog) {
        BigDecimal selfHost = BigDecimal.ZERO;
        BigInteger api = BigInteger.ZERO;
        TokenCounts tokens = TokenCounts.ZERO;
        Map<LocalDate, BigDecimal> daily = new TreeMap<>();
        Map<LocalDate, BigDecimal> dailyApi = new TreeMap<>();
        int cheaper = 0;
        int count = 0;
        for (long hour = from - Math.floorMod(from, 3_600_000L); hour < to; hour += 3_600_000L) {
            count++;
            Hour h = hours.get(hour);
            SelfHostHour s = h == null ? null : h.selfHosted.get(latest.model());
            if (s == null || !(s.gpuModels.isEmpty() || s.gpuModels.contains(latest.gpuModel()))) {
                continue;
            }
            Optional<ApiPrice> price = catalog.apiPrice(latest.apiProvider(), latest.apiModel(), null, hour);
            if (price.isEmpty()) {
                return Optional.empty(); // the API it is compared with had no price then
            }
            BigInteger apiHour = price.get().costFemtoExact(s.tokens);
            BigDecimal cost = s.gpuCost.usd();
            api = api.add(apiHour);
            tokens = tokens.plus(s.tokens);
            selfHost = selfHost.add(cost);
            daily.merge(day(hour), cost, BigDecimal::add);
            dailyApi.merge(day(hour), Money.usd(apiHour), BigDecimal::add);
            if (cost.compareTo(Money.usd(apiHour)) < 0) {
                cheaper++;
            }
        }
        Optional<BigDecimal> gpu = gpuPriceAt(catalog, latest.gpuModel(), to - 1, to);
        return Optional.of(result(latest, "SELF_HOSTED", selfHost, Money.usd(api), tokens, 0, cheaper, count, daily, dailyApi,
                gpu.orElse(null)));
    }

    private static WhatifReport.Switch result(SelfHostProfileSpec profile, String mode, BigDecimal selfHost, BigDecimal api,
                                              TokenCounts tokens, int replicasPeak, int cheaper, int hours,
                                              Map<LocalDate, BigDecimal> daily, Map<LocalDate, BigDecimal> dailyApi,
                                              BigDecimal gpuUsdPerHour) {
        Double ratio = selfHost.signum() == 0 ? null : api.divide(selfHost, MathContext.DECIMAL64).doubleValue();
        Long breakeven = gpuUsdPerHour == null ? null : breakEvenTokensPerDay(profile, gpuUsdPerHour, api, tokens.throughputTokens());
        Map<LocalDate, BigDecimal> dailyNanos = new TreeMap<>();
        daily.forEach((d, v) -> dailyNanos.put(d, Money.usdNanos(v)));
        Map<LocalDate, BigDecimal> dailyApiNanos = new TreeMap<>();
        dailyApi.forEach((d, v) -> dailyApiNanos.put(d, Money.usdNanos(v)));
        return new WhatifReport.Switch(profile.name(), profile.gpuModel(), mode, profile.apiEquivalent(), Money.usdNanos(selfHost),
                Money.usdNanos(api), ratio, Money.usdNanos(api.subtract(selfHost)), replicasPeak, breakeven, cheaper, hours, dailyNanos,
                dailyApiNanos);
    }

    /**
     * The steady input + output tokens a day T at which serving them with the profile costs what the
     * API charges for them at this team's mix (b = API cost / tokens, USD a token):
     * b * T = (r * gpus_per_replica * gpu_usd_per_hour + overhead_usd_per_hour) * 24, with r the
     * replicas T needs (at least min_replicas, at least 1), each serving K = tokens_per_second *
     * target_utilization * 86,400 tokens a day. With d = a replica's daily cost and o = the daily
     * overhead, r replicas break even within their capacity when r * (b * K - d) >= o: the smallest
     * such r gives T = (r * d + o) / b. Never (null) when a replica costs as much as the API for the
     * tokens it can serve (d >= b * K), or when the team's tokens cost nothing.
     */
    static Long breakEvenTokensPerDay(SelfHostProfileSpec profile, BigDecimal gpuUsdPerHour, BigDecimal apiUsd, long tokens) {
        if (tokens <= 0 || apiUsd.signum() <= 0) {
            return null;
        }
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal b = apiUsd.divide(BigDecimal.valueOf(tokens), mc);
        BigDecimal k = profile.capacityPerMinute().multiply(BigDecimal.valueOf(1440));
        BigDecimal d = gpuUsdPerHour.multiply(BigDecimal.valueOf(profile.gpusPerReplica())).multiply(HOURS_PER_DAY);
        BigDecimal o = profile.overheadUsdPerHour().multiply(HOURS_PER_DAY);
        BigDecimal margin = b.multiply(k).subtract(d);
        if (margin.signum() <= 0) {
            return null;
        }
        long r = o.divide(margin, 0, RoundingMode.CEILING).longValueExact();
        r = Math.max(r, Math.max(1, profile.minReplicas()));
        BigDecimal t = BigDecimal.valueOf(r).multiply(d).add(o).divide(b, 0, RoundingMode.CEILING);
        return t.longValueExact();
    }

    private static SelfHostProfileSpec profileAt(PriceCatalog catalog, SelfHostProfileSpec latest, long at) {
        for (SelfHostProfileSpec p : catalog.profiles(at)) {
            if (p.model().equals(latest.model()) && p.gpuModel().equals(latest.gpuModel())) {
                return p;
            }
        }
        return latest; // the profile did not exist yet: assume it as it is at the period's end
    }

    /** The GPU's price at {@code at}, or (before its first version) the one in force at the period's end. */
    private static Optional<BigDecimal> gpuPriceAt(PriceCatalog catalog, String gpuModel, long at, long to) {
        Optional<BigDecimal> price = catalog.gpuUsdPerHour(gpuModel, at);
        return price.isPresent() ? price : catalog.gpuUsdPerHour(gpuModel, to - 1);
    }

    private static LocalDate day(long ms) {
        return Instant.ofEpochMilli(ms).atZone(ZoneOffset.UTC).toLocalDate();
    }
}
