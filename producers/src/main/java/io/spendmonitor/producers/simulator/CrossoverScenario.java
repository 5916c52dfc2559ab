package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.TeamBudget;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;

/**
 * The demo: one team's API spend crosses the self-hosting break-even, another team pays for idle
 * GPUs, two more run in the background. Calibrated against the bundled default catalog
 * ({@code default-prices.jsonl}); minutes below are simulated minutes after {@code --start}, and
 * "window m" is the minute window [m, m+1).
 *
 * <h2>Teams</h2>
 * <ul>
 *   <li><b>search</b> calls {@code openai/gpt-4o-mini} (input:output 3:1, about 1,200 + 400 tokens a
 *       call, no prompt-cache hits: retrieved passages differ per query). Its throughput RISES:
 *       2,000 tokens/s at minute 0, 4,800 at minute 5, then slowly to 5,000 at minute 65, and stays.
 *       <pre>
 * gpt-4o-mini at 3:1          = 0.75 * $0.15 + 0.25 * $0.60      = $0.2625 per 1M tokens
 *                             = 3,600 s/h * $0.2625 / 1e6        = $0.000945/h per token/s
 * llama-3.1-8b on 1x H100-80GB: one replica serves 8,000 * 0.7 = 5,600 tokens/s, so replicas = 1
 *   while the busiest minute stays below 5,600 tokens/s (the plateau peaks near 5,200)
 * self-host $/h               = 1 replica * 1 GPU * $2.99 + $0.20 = $3.19/h
 * minute 0:  2,000 tok/s * $0.000945 = $1.89/h  -> ratio 0.59 (the API is cheaper)
 * break-even: $3.19 / $0.000945      = 3,376 tok/s; alert threshold 1.1 * $3.19 = $3.51/h = 3,713 tok/s
 * minute 20: ~4,850 tok/s            = $4.58/h  -> ratio 1.44 (self-hosting saves ~$1.39/h)</pre>
 *       The ratio the topology alerts on is over the trailing horizon (all windows since the team's
 *       first, up to 60), which lags the instantaneous one: it passes 1.1 at window 7 or 8 (seed 42:
 *       1.099 at window 7, 1.135 at window 8), so {@code SELF_HOSTING_CHEAPER} (llama-3.1-8b on
 *       H100-80GB) FIRES on the 5th such evaluation, window 11 or 12 (seed 42: 12, alert time minute
 *       13), and stays: about 1.48 once the ramp has left the horizon. The other gpt-4o-mini profiles
 *       stay below 1 (at most 0.92, in window 0): L4 and L40S replicas are too small for 5,000
 *       tokens/s (8 L4 replicas: $6.52/h, 3 L40S: $6.03/h).</li>
 *   <li><b>research</b> self-hosts {@code llama-3.1-70b} on 2x H100-80GB (deployment
 *       {@code research-llama70b}, node {@code gpu-research-01}) at 4-8 % GPU utilization, serving a
 *       trickle of 5 calls a minute (900 + 300 tokens).
 *       <pre>
 * GPU cost      = 2 GPUs * $2.99                                        = $5.98/h
 * same tokens on openai/gpt-4o = 300 calls/h * (900 * $2.50 + 300 * $10) / 1e6 = $1.58/h
 * ratio         = 5.98 / 1.58 = ~3.8 -> self-hosting is dearer by ~$4.40/h</pre>
 *       {@code SELF_HOSTING_DEARER} (llama-3.1-70b on H100-80GB) FIRES on window 4 (minute 5);
 *       {@code IDLE_CAPACITY} (research-llama70b) FIRES after 15 windows below 30 %: window 14
 *       (minute 15), with about $5.6/h of idle GPUs. Neither resolves.</li>
 *   <li><b>support</b> calls {@code anthropic/claude-sonnet-4-5} 15 times a minute with prompt
 *       caching: a ~5,000-token system prompt and knowledge base read from the cache, ~700 tokens of
 *       conversation written to it on 70 % of calls, the whole prefix re-written about once in 60
 *       calls (cache expiry), ~300 new tokens and ~350 output tokens: about $0.0098 a call, $8.8/h.
 *       Its daily budget is $40 (a team_budget published before the first event), so {@code BUDGET}
 *       fires at 80 % ($32) after about 3 h 39 min (window 218) and at 100 % after about 4 h 33 min
 *       (window 272), if the run stays within one UTC day. The forecast alert fires once 10 % of the
 *       UTC day is gone and spend / elapsed fraction of the day passes $40: about 0.23 x the UTC hour
 *       of the start, in hours, after the start (start 09:00: window 125; 14:00: window 196; a start
 *       at 00:00 fires it at 02:24, when 10 % of the day is gone).</li>
 *   <li><b>analytics</b> calls {@code openai/gpt-4o} with a daytime curve (UTC 07:00-19:00, peak at
 *       13:00: 3 calls a minute of ~3,000 + 500 tokens, 30-50 % of the input cache hits; a fifth of
 *       that at night) and bursts of batch jobs (3x, 4-6 minutes, 30-90 minutes apart, none in the
 *       first hour so a short early horizon cannot trip an alert): its ratio against the cheapest
 *       gpt-4o profile (llama-3.1-70b on 1x H200, $3.75/h) stays below 0.8. No alert.</li>
 * </ul>
 *
 * <h2>Timeline, seed 42 (alert time = the window's end; the topology emits an alert once stream
 * time passes that plus the 5-minute grace)</h2>
 * <pre>
 * window   4  (minute   5)  research  SELF_HOSTING_DEARER   llama-3.1-70b on H100-80GB  FIRING
 * window  12  (minute  13)  search    SELF_HOSTING_CHEAPER  llama-3.1-8b on H100-80GB   FIRING
 * window  14  (minute  15)  research  IDLE_CAPACITY         research-llama70b           FIRING
 * window 218  (3 h 39 min)  support   BUDGET                day:YYYY-MM-DD 80%
 * window 272  (4 h 33 min)  support   BUDGET                day:YYYY-MM-DD 100%
 * depends on the time of day: support BUDGET day:YYYY-MM-DD forecast</pre>
 * Nothing resolves while the scenario runs. At the default 60x that is 5 s, 13 s, 15 s, 3.6 min and
 * 4.5 min of real time after the start, plus the grace (5 s).
 * {@code CrossoverScenarioTest} recomputes this timeline from the generated events and the
 * catalog file.
 */
public final class CrossoverScenario extends ComposedScenario {
    public static final String NAME = "crossover";
    public static final String DESCRIPTION = "the demo: 'search' (gpt-4o-mini) grows past the self-hosting break-even, "
            + "'research' pays for idle self-hosted GPUs, 'support' (Claude, prompt caching, $40/day budget) and "
            + "'analytics' (gpt-4o, bursty daytime) in the background";

    public static final String SEARCH = "search";
    public static final String RESEARCH = "research";
    public static final String SUPPORT = "support";
    public static final String ANALYTICS = "analytics";

    static final double SEARCH_START_TOKENS_PER_SECOND = 2_000;
    static final double SEARCH_RAMP_TOKENS_PER_SECOND = 4_800;
    static final int SEARCH_RAMP_MINUTES = 5;
    static final double SEARCH_PLATEAU_TOKENS_PER_SECOND = 5_000;
    static final int SEARCH_PLATEAU_MINUTE = 65;
    static final double SEARCH_MEAN_INPUT = 1_200;
    static final double SEARCH_MEAN_OUTPUT = 400;

    public static final String RESEARCH_DEPLOYMENT = "research-llama70b";
    public static final String RESEARCH_MODEL = "llama-3.1-70b";
    static final String RESEARCH_GPU_MODEL = "H100-80GB";
    static final int RESEARCH_GPUS = 2;
    static final double RESEARCH_MIN_UTILIZATION = 0.04;
    static final double RESEARCH_MAX_UTILIZATION = 0.08;
    static final double RESEARCH_CALLS_PER_MINUTE = 5;

    static final double SUPPORT_CALLS_PER_MINUTE = 15;
    public static final BigDecimal SUPPORT_DAILY_BUDGET_USD = new BigDecimal("40.000000000");

    static final double ANALYTICS_PEAK_CALLS_PER_MINUTE = 3;
    static final double ANALYTICS_BURST_FACTOR = 3;

    public CrossoverScenario(ScenarioSettings settings) {
        this(new ScenarioContext(NAME, settings));
    }

    private CrossoverScenario(ScenarioContext context) {
        super(NAME, List.of(search(context), support(context), analytics(context),
                researchCalls(context), researchGpus(context)), List.of(supportBudget(context.start())));
    }

    /** search's throughput (input + output tokens per second) in simulated minute {@code minute}. */
    static double searchTokensPerSecond(long minute) {
        if (minute < SEARCH_RAMP_MINUTES) {
            return SEARCH_START_TOKENS_PER_SECOND
                    + (SEARCH_RAMP_TOKENS_PER_SECOND - SEARCH_START_TOKENS_PER_SECOND) * minute / SEARCH_RAMP_MINUTES;
        }
        if (minute < SEARCH_PLATEAU_MINUTE) {
            return SEARCH_RAMP_TOKENS_PER_SECOND + (SEARCH_PLATEAU_TOKENS_PER_SECOND - SEARCH_RAMP_TOKENS_PER_SECOND)
                    * (minute - SEARCH_RAMP_MINUTES) / (SEARCH_PLATEAU_MINUTE - SEARCH_RAMP_MINUTES);
        }
        return SEARCH_PLATEAU_TOKENS_PER_SECOND;
    }

    static LlmCalls search(ScenarioContext context) {
        double tokensPerCall = SEARCH_MEAN_INPUT + SEARCH_MEAN_OUTPUT;
        return new LlmCalls(LlmCalls.Stream.api(SEARCH, "answers", "openai", "gpt-4o-mini", 8),
                (minute, start) -> searchTokensPerSecond(minute) * 60 / tokensPerCall,
                random -> CallTokens.uncached(CallSizes.around(random, SEARCH_MEAN_INPUT, 0.25),
                        CallSizes.around(random, SEARCH_MEAN_OUTPUT, 0.3)),
                context);
    }

    static LlmCalls support(ScenarioContext context) {
        return new LlmCalls(LlmCalls.Stream.api(SUPPORT, "support-assistant", "anthropic", "claude-sonnet-4-5", 15),
                CallRate.constant(SUPPORT_CALLS_PER_MINUTE), CrossoverScenario::supportCall, context);
    }

    /**
     * A support call, counted the schema's way (Anthropic's own input_tokens leaves cache reads and
     * writes out; ours includes them): a cached prefix read, the new conversation turn written to the
     * cache on most calls, the user's new message uncached.
     */
    static CallTokens supportCall(Random random) {
        long prefix = CallSizes.around(random, 5_000, 0.1);
        long conversationWrite = random.nextDouble() < 0.7 ? CallSizes.around(random, 700, 0.4) : 0;
        long fresh = CallSizes.around(random, 300, 0.5);
        long output = CallSizes.around(random, 350, 0.4);
        boolean expired = random.nextInt(60) == 0; // the 5-minute cache lapsed or the knowledge base changed
        long cached = expired ? 0 : prefix;
        long cacheWrite = conversationWrite + (expired ? prefix : 0);
        return new CallTokens(prefix + conversationWrite + fresh, cached, cacheWrite, output);
    }

    static LlmCalls analytics(ScenarioContext context) {
        return new LlmCalls(LlmCalls.Stream.api(ANALYTICS, "report-summaries", "openai", "gpt-4o", 12),
                new AnalyticsRate(context.random("analytics/bursts")), CrossoverScenario::analyticsCall, context);
    }

    /** OpenAI caches prompt prefixes of 1,024 tokens and more, in 128-token steps: report templates hit it. */
    static CallTokens analyticsCall(Random random) {
        long input = CallSizes.around(random, 3_000, 0.4);
        long cached = input >= 1_024 ? (long) (input * (0.3 + 0.2 * random.nextDouble())) / 128 * 128 : 0;
        return new CallTokens(input, cached, 0, CallSizes.around(random, 500, 0.4));
    }

    /** 0.2 at night, rising to 1.0 at 13:00 UTC and back to 0.2 at 19:00. */
    static double daytime(Instant time) {
        double hour = time.atOffset(ZoneOffset.UTC).getHour() + time.atOffset(ZoneOffset.UTC).getMinute() / 60.0;
        if (hour < 7 || hour > 19) {
            return 0.2;
        }
        return 0.2 + 0.8 * Math.sin(Math.PI * (hour - 7) / 12);
    }

    /** The daytime curve times a batch-job burst now and then. */
    static final class AnalyticsRate implements CallRate {
        private final Random random;
        private long burstStart;
        private long burstEnd;

        AnalyticsRate(Random random) {
            this.random = random;
            this.burstStart = 60 + random.nextInt(30); // none in the first hour: the early horizon is short
            this.burstEnd = burstStart + 4 + random.nextInt(3);
        }

        @Override
        public double callsPerMinute(long minute, Instant minuteStart) {
            if (minute >= burstEnd) {
                burstStart = burstEnd + 30 + random.nextInt(61);
                burstEnd = burstStart + 4 + random.nextInt(3);
            }
            boolean burst = minute >= burstStart && minute < burstEnd;
            return ANALYTICS_PEAK_CALLS_PER_MINUTE * daytime(minuteStart) * (burst ? ANALYTICS_BURST_FACTOR : 1);
        }
    }

    static LlmCalls researchCalls(ScenarioContext context) {
        return new LlmCalls(LlmCalls.Stream.selfHosted(RESEARCH, "paper-qa", RESEARCH_MODEL, RESEARCH_DEPLOYMENT, 25),
                CallRate.constant(RESEARCH_CALLS_PER_MINUTE), CallSizes.uncached(900, 300, 0.4), context);
    }

    static GpuSamples researchGpus(ScenarioContext context) {
        // FP8 weights split over two GPUs plus vLLM's preallocated KV cache: ~90 % of memory, busy or not
        return new GpuSamples(new GpuSamples.Deployment(RESEARCH, RESEARCH_DEPLOYMENT, RESEARCH_MODEL, "gpu-research-01",
                RESEARCH_GPU_MODEL, RESEARCH_GPUS, RESEARCH_MIN_UTILIZATION, RESEARCH_MAX_UTILIZATION,
                80 * GpuSamples.GIB, 0.9, 75, 700), context);
    }

    static TeamBudget supportBudget(Instant start) {
        return TeamBudget.newBuilder()
                .setTeam(SUPPORT)
                .setDailyUsd(SUPPORT_DAILY_BUDGET_USD)
                .setMonthlyUsd(null)
                .setEffectiveFrom(start.truncatedTo(ChronoUnit.DAYS))
                .build();
    }
}
