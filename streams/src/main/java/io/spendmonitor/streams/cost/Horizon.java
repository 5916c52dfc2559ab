package io.spendmonitor.streams.cost;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A team's trailing horizon: the summaries of its finalized windows, oldest first, and the running
 * sums break-even reads, kept as minutes enter (at the end) and leave (at the start). An
 * evaluation then costs a few map look-ups per self-host profile instead of one per profile and
 * minute of the horizon: what {@link BreakEvenEvaluator#evaluate(Horizon, long, long, SelfHostProfileSpec,
 * java.util.Optional, java.util.Optional, CapacitySettings)} gives equals what the scan over
 * {@link #minutes()} gives, bit for bit.
 *
 * <p>Derived data, never persisted: built from the window store's windows (as before). Money and
 * token sums are exact ({@link FemtoSum}); a sum that the scan would have overflowed (a {@code long}
 * of tokens) throws the same {@link ArithmeticException} when it is read, and a minute whose
 * tokens the scan would have refused throws the same {@link IllegalArgumentException}. Not thread-safe.
 */
public final class Horizon {
    private final ArrayDeque<MinuteSummary> minutes = new ArrayDeque<>();
    /** The minutes with measured (vLLM) data: the only ones measured throughput reads. */
    private final ArrayDeque<MinuteSummary> measuredMinutes = new ArrayDeque<>();
    private final FemtoSum apiCostFemto = new FemtoSum();
    private final FemtoSum gpuCostFemto = new FemtoSum();
    /** By API model ("provider/model"). */
    private final Map<String, ApiSums> api = new HashMap<>();
    /** By open model: its minutes on no known GPU model (they count for every profile of the model). */
    private final Map<String, SelfHostSums> selfHostedAnyGpu = new HashMap<>();
    /** By open model, then GPU model: its minutes on that GPU model. */
    private final Map<String, Map<String, SelfHostSums>> selfHostedByGpu = new HashMap<>();

    /** The minutes of {@code minutes} that end in ({@code fromMs}, {@code toMs}], in any order, one a window end. */
    public static Horizon of(Collection<MinuteSummary> minutes, long fromMs, long toMs) {
        Horizon h = new Horizon();
        minutes.stream().filter(m -> m.windowEndMs() > fromMs && m.windowEndMs() <= toMs)
                .sorted(java.util.Comparator.comparingLong(MinuteSummary::windowEndMs)).forEach(h::addLast);
        return h;
    }

    /** Adds the newest minute; it must end after the last one. */
    public void addLast(MinuteSummary minute) {
        if (!minutes.isEmpty() && minutes.peekLast().windowEndMs() >= minute.windowEndMs()) {
            throw new IllegalArgumentException("minute ending " + minute.windowEndMs() + " is not after the horizon's last ("
                    + minutes.peekLast().windowEndMs() + ")");
        }
        minutes.addLast(minute);
        if (!minute.measured().isEmpty()) {
            measuredMinutes.addLast(minute);
        }
        apply(minute, true);
    }

    /** Drops the minutes ending at or before {@code horizonStartMs} (they left the horizon). */
    public void evictUpTo(long horizonStartMs) {
        while (!minutes.isEmpty() && minutes.peekFirst().windowEndMs() <= horizonStartMs) {
            MinuteSummary minute = minutes.removeFirst();
            if (!measuredMinutes.isEmpty() && measuredMinutes.peekFirst() == minute) {
                measuredMinutes.removeFirst();
            }
            apply(minute, false);
        }
    }

    public boolean isEmpty() {
        return minutes.isEmpty();
    }

    public int size() {
        return minutes.size();
    }

    /** End of the newest minute; {@link Long#MIN_VALUE} when empty. */
    public long lastWindowEndMs() {
        return minutes.isEmpty() ? Long.MIN_VALUE : minutes.peekLast().windowEndMs();
    }

    /** End of the oldest minute; {@link Long#MAX_VALUE} when empty. */
    public long firstWindowEndMs() {
        return minutes.isEmpty() ? Long.MAX_VALUE : minutes.peekFirst().windowEndMs();
    }

    /** The minutes, oldest first (a copy). */
    public List<MinuteSummary> minutes() {
        return new ArrayList<>(minutes);
    }

    /** The minutes with measured data, oldest first (a view). */
    public Collection<MinuteSummary> measuredMinutes() {
        return Collections.unmodifiableCollection(measuredMinutes);
    }

    /** API cost of the horizon's minutes, femto-USD. */
    public BigInteger apiCostFemto() {
        return apiCostFemto.value();
    }

    /** GPU cost of the horizon's minutes, femto-USD. */
    public BigInteger gpuCostFemto() {
        return gpuCostFemto.value();
    }

    /** The calls to one API model over the horizon. */
    public ApiTotals api(String apiModel) {
        ApiSums s = api.get(apiModel);
        if (s == null) {
            return new ApiTotals(false, BigInteger.ZERO, 0);
        }
        if (s.peakOverflows > 0) {
            throw new ArithmeticException("long overflow"); // what Math.addExact(input, output) threw in the scan
        }
        return new ApiTotals(true, s.costFemto.value(), Math.max(0, s.peaks.peekFirst()[1]));
    }

    /**
     * The self-hosted minutes of one open model that a profile on {@code gpuModel} compares: those
     * of deployments on that GPU model, and those of deployments of unknown GPU.
     */
    public SelfHostTotals selfHosted(String model, String gpuModel) {
        SelfHostSums any = selfHostedAnyGpu.get(model);
        Map<String, SelfHostSums> byGpu = selfHostedByGpu.get(model);
        SelfHostSums onGpu = byGpu == null ? null : byGpu.get(gpuModel);
        if (any == null && onGpu == null) {
            return new SelfHostTotals(false, BigInteger.ZERO, TokenCounts.ZERO);
        }
        if ((any != null && any.invalid > 0) || (onGpu != null && onGpu.invalid > 0)) {
            // what TokenCounts' constructor threw in the scan for such a minute
            throw new IllegalArgumentException("a minute of " + model + " has invalid token counts");
        }
        FemtoSum cost = new FemtoSum();
        FemtoSum input = new FemtoSum();
        FemtoSum cached = new FemtoSum();
        FemtoSum cacheWrite = new FemtoSum();
        FemtoSum output = new FemtoSum();
        for (SelfHostSums s : new SelfHostSums[]{any, onGpu}) {
            if (s != null) {
                cost.add(s.gpuCostFemto);
                input.add(s.input);
                cached.add(s.cached);
                cacheWrite.add(s.cacheWrite);
                output.add(s.output);
            }
        }
        // valid counts are never negative: the scan's running sum overflowed iff the total does
        TokenCounts tokens = new TokenCounts(input.longValueExact(), cached.longValueExact(), cacheWrite.longValueExact(),
                output.longValueExact());
        return new SelfHostTotals(true, cost.value(), tokens);
    }

    /**
     * @param called              whether any minute of the horizon had calls to the model
     * @param costFemto           their API cost
     * @param peakTokensPerWindow the largest input + output of one minute (0 without calls)
     */
    public record ApiTotals(boolean called, BigInteger costFemto, long peakTokensPerWindow) {
    }

    /**
     * @param runs      whether any minute of the horizon counts
     * @param gpuCostFemto the GPU cost of those minutes
     * @param tokens    the tokens served in them
     */
    public record SelfHostTotals(boolean runs, BigInteger gpuCostFemto, TokenCounts tokens) {
    }

    private static final class ApiSums {
        int minutes;
        final FemtoSum costFemto = new FemtoSum();
        /**
         * The sliding maximum of input + output per minute: {window end, value} of the minutes that no
         * later minute matches or beats, oldest first, so their values fall and the first is the peak.
         * Minutes enter newest last and leave oldest first, which keeps each step amortised O(1).
         */
        final ArrayDeque<long[]> peaks = new ArrayDeque<>();
        /** Minutes whose input + output does not fit a long. */
        int peakOverflows;
    }

    private static final class SelfHostSums {
        int minutes;
        final FemtoSum gpuCostFemto = new FemtoSum();
        final FemtoSum input = new FemtoSum();
        final FemtoSum cached = new FemtoSum();
        final FemtoSum cacheWrite = new FemtoSum();
        final FemtoSum output = new FemtoSum();
        /** Minutes whose token counts are not valid {@link TokenCounts}. */
        int invalid;
    }

    private void apply(MinuteSummary minute, boolean add) {
        addOrSubtract(apiCostFemto, minute.apiCostFemto(), add);
        addOrSubtract(gpuCostFemto, minute.gpuCostFemto(), add);
        minute.apiModels().forEach((model, m) -> {
            ApiSums s = add ? api.computeIfAbsent(model, k -> new ApiSums()) : api.get(model);
            s.minutes += add ? 1 : -1;
            addOrSubtract(s.costFemto, m.costFemto(), add);
            long peak = 0;
            boolean overflow = false;
            try {
                peak = Math.addExact(m.input(), m.output());
            } catch (ArithmeticException e) {
                overflow = true;
            }
            if (overflow) {
                s.peakOverflows += add ? 1 : -1;
            } else {
                slide(s.peaks, minute.windowEndMs(), peak, add);
            }
            if (s.minutes == 0) {
                api.remove(model);
            }
        });
        minute.selfHosted().forEach((model, m) -> {
            if (m.gpuModels().isEmpty()) {
                applySelfHosted(selfHostedAnyGpu, model, m, add);
            } else {
                Map<String, SelfHostSums> byGpu = selfHostedByGpu.computeIfAbsent(model, k -> new HashMap<>());
                for (String gpu : new LinkedHashSet<>(m.gpuModels())) { // a GPU model listed twice counts once
                    applySelfHosted(byGpu, gpu, m, add);
                }
                if (byGpu.isEmpty()) {
                    selfHostedByGpu.remove(model);
                }
            }
        });
    }

    private static void applySelfHosted(Map<String, SelfHostSums> sums, String key, MinuteSummary.SelfHostMinute m, boolean add) {
        SelfHostSums s = add ? sums.computeIfAbsent(key, k -> new SelfHostSums()) : sums.get(key);
        s.minutes += add ? 1 : -1;
        addOrSubtract(s.gpuCostFemto, m.gpuCostFemto(), add);
        boolean valid;
        try {
            m.tokens();
            valid = true;
        } catch (IllegalArgumentException e) {
            valid = false;
        }
        if (valid) {
            addOrSubtract(s.input, m.input(), add);
            addOrSubtract(s.cached, m.cached(), add);
            addOrSubtract(s.cacheWrite, m.cacheWrite(), add);
            addOrSubtract(s.output, m.output(), add);
        } else {
            s.invalid += add ? 1 : -1;
        }
        if (s.minutes == 0) {
            sums.remove(key);
        }
    }

    private static void slide(ArrayDeque<long[]> peaks, long windowEndMs, long value, boolean add) {
        if (add) {
            while (!peaks.isEmpty() && peaks.peekLast()[1] <= value) {
                peaks.removeLast(); // never the peak again while this newer, larger minute is in the horizon
            }
            peaks.addLast(new long[] {windowEndMs, value});
        } else if (!peaks.isEmpty() && peaks.peekFirst()[0] == windowEndMs) {
            peaks.removeFirst(); // otherwise a later minute had replaced it already
        }
    }

    private static void addOrSubtract(FemtoSum sum, BigInteger amount, boolean add) {
        if (add) {
            sum.add(amount);
        } else {
            sum.subtract(amount);
        }
    }

    private static void addOrSubtract(FemtoSum sum, long amount, boolean add) {
        if (add) {
            sum.add(amount);
        } else {
            sum.subtract(BigInteger.valueOf(amount));
        }
    }
}
