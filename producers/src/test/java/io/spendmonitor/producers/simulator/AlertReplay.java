package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * DESIGN.md's break-even, idle-capacity and budget rules, replayed over a scenario's minutes with
 * the default catalog, written out independently of the topology (as a reader would check them by
 * hand) with its default settings: horizon 60 minutes, 5 evaluations above 1.10 to fire and 5 below 1
 * to resolve, 15 windows below 30 % utilization to fire and 5 at or above to resolve, budget
 * warning at 80 %. The start must be a whole minute, so simulated minute i is window i.
 */
final class AlertReplay {
    record Transition(long window, String team, String type, String subject, String state) {
        @Override
        public String toString() {
            return String.format("window %4d  %-9s %-21s %-28s %s", window, team, type, subject, state);
        }
    }

    /** One team's minute window. */
    static final class TeamMinute {
        final Map<String, BigDecimal> apiCost = new HashMap<>();
        final Map<String, Long> apiTokens = new HashMap<>();
        final Map<String, long[]> selfHostedTokens = new HashMap<>(); // model -> input, cached, cacheWrite, output
        final Map<String, BigDecimal> selfHostedGpuCost = new HashMap<>(); // model -> cost
        final Map<String, Set<String>> selfHostedGpuModels = new HashMap<>();
        final Map<String, double[]> deployments = new TreeMap<>(); // deployment -> gpuSeconds, busySeconds
        BigDecimal spend = BigDecimal.ZERO;
    }

    private static final double MARGIN = 0.10;
    private static final int EVALUATIONS = 5;
    private static final int IDLE_FIRE = 15;
    private static final int IDLE_RESOLVE = 5;
    private static final double IDLE_UTILIZATION = 0.30;

    private final CatalogPrices prices;
    private final Instant start;
    private final Map<String, BigDecimal> dailyBudgets = new HashMap<>();
    private final Map<String, Deque<TeamMinute>> horizons = new TreeMap<>();
    private final Map<String, Long> firstWindow = new HashMap<>();
    private final Map<String, int[]> streaks = new HashMap<>(); // bad, good, firing
    private final Map<String, BigDecimal> daySpend = new HashMap<>();
    private final Set<String> budgetFired = new TreeSet<>();
    final List<Transition> transitions = new ArrayList<>();
    /** Ratio per "team|mode|profile" per window, for assertions on what did not fire. */
    final Map<String, Map<Long, Double>> ratios = new LinkedHashMap<>();
    /** API $/h of each team in each window (its cost in the minute times 60). */
    final Map<String, Map<Long, BigDecimal>> apiUsdPerHour = new TreeMap<>();

    AlertReplay(CatalogPrices prices, Instant start, List<TeamBudget> budgets) {
        if (!start.truncatedTo(ChronoUnit.MINUTES).equals(start)) {
            throw new IllegalArgumentException("start on a whole minute");
        }
        this.prices = prices;
        this.start = start;
        budgets.forEach(b -> dailyBudgets.put(b.getTeam(), b.getDailyUsd()));
    }

    /** Folds in minute {@code index}'s events and evaluates every team at the window's end. */
    void minute(long index, List<SimulatedEvent> events) {
        Map<String, TeamMinute> teams = new TreeMap<>();
        for (SimulatedEvent e : events) {
            TeamMinute m = teams.computeIfAbsent(e.team(), t -> new TeamMinute());
            if (e.value() instanceof TokenUsage u) {
                if ("self-hosted".equals(u.getProvider())) {
                    long[] t = m.selfHostedTokens.computeIfAbsent(u.getModel(), k -> new long[4]);
                    t[0] += u.getInputTokens();
                    t[1] += u.getCachedInputTokens();
                    t[2] += u.getCacheWriteInputTokens();
                    t[3] += u.getOutputTokens();
                } else {
                    String key = u.getProvider() + "/" + u.getModel();
                    BigDecimal cost = CatalogPrices.cost(prices.api(key), u.getInputTokens(), u.getCachedInputTokens(),
                            u.getCacheWriteInputTokens(), u.getOutputTokens());
                    m.apiCost.merge(key, cost, BigDecimal::add);
                    m.apiTokens.merge(key, u.getInputTokens() + u.getOutputTokens(), Long::sum);
                    m.spend = m.spend.add(cost);
                }
            } else {
                GpuUtilization g = (GpuUtilization) e.value();
                // gpu_cost = interval_seconds / 3600 * usd_per_hour
                BigDecimal cost = prices.gpuUsdPerHour(g.getGpuModel()).multiply(BigDecimal.valueOf(g.getIntervalSeconds()))
                        .divide(BigDecimal.valueOf(3600), MathContext.DECIMAL128);
                m.selfHostedGpuCost.merge(g.getModel(), cost, BigDecimal::add);
                m.selfHostedGpuModels.computeIfAbsent(g.getModel(), k -> new TreeSet<>()).add(g.getGpuModel());
                double[] d = m.deployments.computeIfAbsent(g.getDeployment(), k -> new double[2]);
                d[0] += g.getIntervalSeconds();
                d[1] += g.getIntervalSeconds() * g.getUtilization();
                m.spend = m.spend.add(cost);
            }
        }
        teams.forEach((team, m) -> {
            firstWindow.putIfAbsent(team, index);
            Deque<TeamMinute> horizon = horizons.computeIfAbsent(team, t -> new ArrayDeque<>());
            horizon.addLast(m);
            if (horizon.size() > 60) {
                horizon.removeFirst();
            }
            apiUsdPerHour.computeIfAbsent(team, t -> new TreeMap<>()).put(index,
                    m.apiCost.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add).multiply(BigDecimal.valueOf(60)));
            breakEven(team, index, horizon);
            idle(team, index, m);
            budget(team, index, m);
        });
    }

    private void breakEven(String team, long index, Deque<TeamMinute> horizon) {
        int minutes = (int) Math.min(60, index - firstWindow.get(team) + 1);
        for (SelfHostProfile p : prices.profiles) {
            String name = p.getModel() + " on " + p.getGpuModel();
            // API mode: the team calls the profile's api_equivalent
            BigDecimal actual = BigDecimal.ZERO;
            long peakTokensPerMinute = -1;
            for (TeamMinute m : horizon) {
                if (m.apiCost.containsKey(p.getApiEquivalent())) {
                    actual = actual.add(m.apiCost.get(p.getApiEquivalent()));
                    peakTokensPerMinute = Math.max(peakTokensPerMinute, m.apiTokens.get(p.getApiEquivalent()));
                }
            }
            if (peakTokensPerMinute >= 0) {
                int replicas = CatalogPrices.replicas(p, peakTokensPerMinute / 60.0);
                BigDecimal counterfactual = prices.selfHostUsdPerHour(p, replicas).multiply(BigDecimal.valueOf(minutes))
                        .divide(BigDecimal.valueOf(60), MathContext.DECIMAL128);
                observe(team, index, "SELF_HOSTING_CHEAPER", name, actual.divide(counterfactual, MathContext.DECIMAL64).doubleValue());
            }
            // self-hosted mode: the team serves the profile's model on the profile's GPU
            BigDecimal gpuCost = BigDecimal.ZERO;
            long[] tokens = new long[4];
            boolean runs = false;
            for (TeamMinute m : horizon) {
                Set<String> gpuModels = m.selfHostedGpuModels.getOrDefault(p.getModel(), Set.of());
                boolean served = m.selfHostedTokens.containsKey(p.getModel()) || m.selfHostedGpuCost.containsKey(p.getModel());
                if (served && (gpuModels.isEmpty() || gpuModels.contains(p.getGpuModel()))) {
                    runs = true;
                    gpuCost = gpuCost.add(m.selfHostedGpuCost.getOrDefault(p.getModel(), BigDecimal.ZERO));
                    long[] t = m.selfHostedTokens.getOrDefault(p.getModel(), new long[4]);
                    for (int i = 0; i < 4; i++) {
                        tokens[i] += t[i];
                    }
                }
            }
            if (runs) {
                BigDecimal counterfactual = CatalogPrices.cost(prices.api(p.getApiEquivalent()), tokens[0], tokens[1], tokens[2], tokens[3]);
                if (counterfactual.signum() > 0) {
                    observe(team, index, "SELF_HOSTING_DEARER", name, gpuCost.divide(counterfactual, MathContext.DECIMAL64).doubleValue());
                }
            }
        }
    }

    private void observe(String team, long index, String type, String subject, double ratio) {
        String key = team + "|" + type + "|" + subject;
        ratios.computeIfAbsent(key, k -> new TreeMap<>()).put(index, ratio);
        step(key, index, team, type, subject, ratio > 1 + MARGIN, ratio < 1, EVALUATIONS, EVALUATIONS);
    }

    private void idle(String team, long index, TeamMinute m) {
        m.deployments.forEach((deployment, d) -> {
            boolean idle = d[1] / d[0] < IDLE_UTILIZATION;
            step(team + "|IDLE|" + deployment, index, team, "IDLE_CAPACITY", deployment, idle, !idle, IDLE_FIRE, IDLE_RESOLVE);
        });
    }

    private void step(String key, long index, String team, String type, String subject, boolean bad, boolean good,
                      int fireAfter, int resolveAfter) {
        int[] s = streaks.computeIfAbsent(key, k -> new int[3]);
        s[0] = bad ? s[0] + 1 : 0;
        s[1] = good ? s[1] + 1 : 0;
        if (s[2] == 0 && s[0] >= fireAfter) {
            s[2] = 1;
            s[1] = 0;
            transitions.add(new Transition(index, team, type, subject, "FIRING"));
        } else if (s[2] == 1 && s[1] >= resolveAfter) {
            s[2] = 0;
            s[0] = 0;
            transitions.add(new Transition(index, team, type, subject, "RESOLVED"));
        }
    }

    /** Daily budget only (what the scenarios set): 80 %, 100 %, and the linear forecast. */
    private void budget(String team, long index, TeamMinute m) {
        BigDecimal budget = dailyBudgets.get(team);
        Instant windowStart = start.plusSeconds(60 * index);
        Instant day = windowStart.truncatedTo(ChronoUnit.DAYS);
        String period = "day:" + day.toString().substring(0, 10);
        BigDecimal spend = daySpend.merge(team + "|" + period, m.spend, BigDecimal::add);
        if (budget == null) {
            return;
        }
        double used = spend.divide(budget, MathContext.DECIMAL64).doubleValue();
        if (used >= 1 && budgetFired.add(team + period + "100%")) {
            budgetFired.add(team + period + "80%");
            transitions.add(new Transition(index, team, "BUDGET", period + " 100%", "FIRING"));
        } else if (used >= 0.8 && budgetFired.add(team + period + "80%")) {
            transitions.add(new Transition(index, team, "BUDGET", period + " 80%", "FIRING"));
        }
        double elapsed = (windowStart.plusSeconds(60).toEpochMilli() - day.toEpochMilli()) / 86_400_000.0;
        if (elapsed >= 0.1 && !budgetFired.contains(team + period + "100%") && !budgetFired.contains(team + period + "forecast")
                && spend.doubleValue() / elapsed > budget.doubleValue()) {
            budgetFired.add(team + period + "forecast");
            transitions.add(new Transition(index, team, "BUDGET", period + " forecast", "FIRING"));
        }
    }

    /** Replays {@code minutes} minutes of {@code scenario}. */
    static AlertReplay of(Scenario scenario, Instant start, long minutes, CatalogPrices prices) {
        AlertReplay replay = new AlertReplay(prices, start, scenario.budgets());
        for (long i = 0; i < minutes; i++) {
            replay.minute(i, scenario.minute(i, start.plusSeconds(60 * i)));
        }
        return replay;
    }
}
