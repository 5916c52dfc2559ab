package io.spendmonitor.streams.replay;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import io.spendmonitor.streams.cost.CostTotals;
import io.spendmonitor.streams.cost.EventValidator;
import io.spendmonitor.streams.cost.FemtoSum;
import io.spendmonitor.streams.cost.MinuteSummary;
import io.spendmonitor.streams.cost.PriceCatalog;
import io.spendmonitor.streams.cost.Pricing;
import io.spendmonitor.streams.cost.TeamEvaluator;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import io.spendmonitor.streams.cost.SpendSettings;
import org.apache.avro.specific.SpecificRecord;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Replays token-usage and GPU events through the live cost model twice: with the actual catalog
 * and with the alternative one (both {@link ReplayTask}s see every event, so each applies the
 * rules exactly as the live app would have with that catalog). Final windows that start in
 * [from, to) are folded into per-team sums, hourly stats (for the switches) and daily ones;
 * nothing else is kept, so memory does not grow with the number of events.
 */
public final class WhatifReplay {
    /** How to replay. */
    public record Settings(Instant from, Instant to, SpendSettings spend, Instant timestampMin, Duration maxAhead,
                           boolean quietRule, Set<String> teams, Set<String> profiles) {
        public Settings {
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException("--from must be before --to");
            }
            teams = Set.copyOf(teams);
            profiles = Set.copyOf(profiles);
        }
    }

    private final Settings settings;
    private final PriceCatalog actualCatalog;
    private final PriceCatalog alternativeCatalog;
    private final boolean sameCatalog;
    private final Map<Integer, ReplayTask[]> tasks = new HashMap<>();
    private final Map<String, TeamAccumulator> teams = new TreeMap<>();
    private final TeamEvaluator evaluator;
    private ReplayTask.WindowSink actualWindows = (team, w) -> { };
    private long eventsRead;
    private long eventsInRange;

    /** @param alternativeCatalog null when there is no alternative: the actual totals are reported for both */
    public WhatifReplay(Settings settings, PriceCatalog actualCatalog, PriceCatalog alternativeCatalog) {
        this.settings = settings;
        this.actualCatalog = actualCatalog;
        this.sameCatalog = alternativeCatalog == null;
        this.alternativeCatalog = sameCatalog ? actualCatalog : alternativeCatalog;
        this.evaluator = new TeamEvaluator(settings.spend());
    }

    /**
     * Also hands every final window the actual catalog counts (team selected, start in [from, to)) to
     * {@code sink}, as it is folded into the totals: {@code export focus} builds its rows from these.
     */
    public WhatifReplay onActualWindow(ReplayTask.WindowSink sink) {
        this.actualWindows = sink;
        return this;
    }

    private ReplayTask.CallSink actualCalls;

    /**
     * Also hands every API call the actual catalog counts into a window that {@link #onActualWindow}
     * gets (team selected, start in [from, to)) to {@code sink}, as it is counted.
     */
    public WhatifReplay onActualCall(ReplayTask.CallSink sink) {
        this.actualCalls = sink;
        return this;
    }

    /**
     * One record of live task {@code task} (the partition number; records of one task in the order the
     * live app would have read them), processed as of {@code wallMs}.
     */
    public void offer(int task, SpecificRecord value, long wallMs) {
        eventsRead++;
        long ts = eventTime(value);
        if (ts >= settings.from().toEpochMilli() && ts < settings.to().toEpochMilli()) {
            eventsInRange++;
        }
        for (ReplayTask t : tasks.computeIfAbsent(task, this::newTasks)) {
            t.offer(value, wallMs);
        }
    }

    /** Ends a task: its open windows are counted as they stand, and its memory freed. */
    public void endTask(int task) {
        ReplayTask[] t = tasks.remove(task);
        if (t != null) {
            for (ReplayTask r : t) {
                r.finish();
            }
        }
    }

    public long eventsRead() {
        return eventsRead;
    }

    /** Events whose own time lies in [from, to) (counted or not). */
    public long eventsInRange() {
        return eventsInRange;
    }

    public WhatifReport finish() {
        for (Integer task : new ArrayList<>(tasks.keySet())) {
            endTask(task);
        }
        List<WhatifReport.TeamReport> reports = new ArrayList<>();
        for (Map.Entry<String, TeamAccumulator> e : teams.entrySet()) {
            TeamAccumulator acc = e.getValue();
            List<WhatifReport.Switch> switches = Switches.evaluate(acc.hours, settings, alternativeCatalog);
            reports.add(new WhatifReport.TeamReport(e.getKey(), WhatifReport.Totals.of(acc.actual),
                    WhatifReport.Totals.of(sameCatalog ? acc.actual : acc.alternative), switches, acc.days()));
        }
        return new WhatifReport(settings.from(), settings.to(), eventsRead, eventsInRange, reports);
    }

    private ReplayTask[] newTasks(int task) {
        SpendSettings s = settings.spend();
        EventValidator validator = new EventValidator(settings.timestampMin(), settings.maxAhead());
        long maxAheadMs = settings.maxAhead().toMillis();
        ReplayTask actual = new ReplayTask(new Pricing(actualCatalog), validator, maxAheadMs, s.windowSizeMs(), s.graceMs(),
                settings.quietRule(), (team, w) -> closed(team, w, true));
        if (actualCalls != null) {
            actual.onCall((team, start, call, labels) -> {
                if (start >= settings.from().toEpochMilli() && start < settings.to().toEpochMilli()
                        && (settings.teams().isEmpty() || settings.teams().contains(team))) {
                    actualCalls.counted(team, start, call, labels);
                }
            });
        }
        if (sameCatalog) {
            return new ReplayTask[]{actual};
        }
        ReplayTask alternative = new ReplayTask(new Pricing(alternativeCatalog), validator, maxAheadMs, s.windowSizeMs(),
                s.graceMs(), settings.quietRule(), (team, w) -> closed(team, w, false));
        return new ReplayTask[]{actual, alternative};
    }

    private static long eventTime(SpecificRecord value) {
        if (value instanceof TokenUsage u && u.getTimestamp() != null) {
            return u.getTimestamp().toEpochMilli();
        }
        if (value instanceof GpuUtilization g && g.getTimestamp() != null) {
            return g.getTimestamp().toEpochMilli();
        }
        return Long.MIN_VALUE;
    }

    private void closed(String team, TeamWindow w, boolean actual) {
        long start = w.windowStartMs();
        if (start < settings.from().toEpochMilli() || start >= settings.to().toEpochMilli()) {
            return; // read for the rules' sake (ids, late events), not counted: as /cost counts windows starting in range
        }
        if (!settings.teams().isEmpty() && !settings.teams().contains(team)) {
            return;
        }
        TeamAccumulator acc = teams.computeIfAbsent(team, t -> new TeamAccumulator());
        LocalDate day = Instant.ofEpochMilli(start).atZone(ZoneOffset.UTC).toLocalDate();
        long[] daily = null;
        if (actual) {
            actualWindows.closed(team, w);
            acc.actual.add(w);
            acc.dailyActual.computeIfAbsent(day, d -> new FemtoSum()).add(w.apiCost());
            acc.dailyActual.get(day).add(w.gpuCost());
        }
        if (!actual || sameCatalog) {
            if (!sameCatalog) {
                acc.alternative.add(w);
            }
            acc.dailyAlternative.computeIfAbsent(day, d -> new FemtoSum()).add(w.apiCost());
            acc.dailyAlternative.get(day).add(w.gpuCost());
            acc.dailyTokens.merge(day, Math.addExact(w.inputTokens(), w.outputTokens()), Math::addExact);
            TeamEvaluator.learnDeploymentModels(acc.state, w);
            MinuteSummary minute = evaluator.summarize(acc.state, w, start + settings.spend().windowSizeMs());
            long hourStart = start - Math.floorMod(start, 3_600_000L);
            acc.hours.computeIfAbsent(hourStart, h -> new Switches.Hour()).add(minute, start);
        }
    }

    /** One team's sums; hourly and daily maps grow with the period's length, not with its events. */
    private static final class TeamAccumulator {
        final CostTotals actual = new CostTotals();
        final CostTotals alternative = new CostTotals();
        final TeamState state = new TeamState();
        final TreeMap<Long, Switches.Hour> hours = new TreeMap<>();
        final TreeMap<LocalDate, FemtoSum> dailyActual = new TreeMap<>();
        final TreeMap<LocalDate, FemtoSum> dailyAlternative = new TreeMap<>();
        final TreeMap<LocalDate, Long> dailyTokens = new TreeMap<>();

        List<WhatifReport.Day> days() {
            java.util.TreeSet<LocalDate> all = new java.util.TreeSet<>(dailyActual.keySet());
            all.addAll(dailyAlternative.keySet());
            List<WhatifReport.Day> result = new ArrayList<>();
            for (LocalDate d : all) {
                result.add(new WhatifReport.Day(d, usd(dailyActual.get(d)), usd(dailyAlternative.get(d)),
                        dailyTokens.getOrDefault(d, 0L)));
            }
            return result;
        }

        private static java.math.BigDecimal usd(FemtoSum s) {
            return s == null ? java.math.BigDecimal.ZERO.setScale(9) : io.spendmonitor.streams.cost.Money.usdNanos(s);
        }
    }
}
