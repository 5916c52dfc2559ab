package io.spendmonitor.producers.gpu;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one scrape of a vLLM server's {@code /metrics} page says: its token counters (per series,
 * so a restart of one engine of several is seen as that series' reset), and two gauges for logs.
 * vLLM's names (v1 engine, {@code vllm/v1/metrics/loggers.py}): {@code vllm:prompt_tokens_total},
 * {@code vllm:generation_tokens_total} (required: a page without both is no vLLM page),
 * {@code vllm:prefix_cache_queries_total} / {@code vllm:prefix_cache_hits_total} (older releases:
 * {@code vllm:gpu_prefix_cache_queries_total} / {@code ..._hits_total}; both optional),
 * {@code vllm:num_requests_running} and {@code vllm:kv_cache_usage_perc} (older:
 * {@code vllm:gpu_cache_usage_perc}). Every series of one name is summed (labels such as
 * {@code model_name} and {@code engine}).
 *
 * @param prefixQueries null when the server exports no prefix-cache counters
 */
public record VllmPage(Map<String, Double> promptTokens, Map<String, Double> generationTokens,
                       Map<String, Double> prefixQueries, Map<String, Double> prefixHits,
                       Double requestsRunning, Double kvCacheUsage) {
    static final String PROMPT = "vllm:prompt_tokens_total";
    static final String GENERATION = "vllm:generation_tokens_total";
    static final String PREFIX_QUERIES = "vllm:prefix_cache_queries_total";
    static final String PREFIX_HITS = "vllm:prefix_cache_hits_total";
    static final String OLD_PREFIX_QUERIES = "vllm:gpu_prefix_cache_queries_total";
    static final String OLD_PREFIX_HITS = "vllm:gpu_prefix_cache_hits_total";
    static final String RUNNING = "vllm:num_requests_running";
    static final String KV_CACHE = "vllm:kv_cache_usage_perc";
    static final String OLD_KV_CACHE = "vllm:gpu_cache_usage_perc";
    /** A vLLM server exports a handful of series per counter (one per engine); more is no vLLM page. */
    static final int MAX_SERIES = 1024;

    /** The counters on {@code page}; a page without vLLM's token counters is a {@link GpuReadException}. */
    static VllmPage parse(String page) throws GpuReadException {
        Map<String, Map<String, Double>> counters = new TreeMap<>();
        Map<String, Double> gauges = new TreeMap<>();
        int series = 0;
        for (PrometheusText.Sample s : PrometheusText.parse(page)) {
            String name = s.name();
            if (!name.startsWith("vllm:")) {
                continue;
            }
            switch (name) {
                case PROMPT, GENERATION, PREFIX_QUERIES, PREFIX_HITS, OLD_PREFIX_QUERIES, OLD_PREFIX_HITS -> {
                    if (!(Double.isFinite(s.value()) && s.value() >= 0)) {
                        throw new GpuReadException(name + " " + s.labels() + " is not a counter value: " + s.value());
                    }
                    if (++series > MAX_SERIES) {
                        throw new GpuReadException("more than " + MAX_SERIES + " vLLM counter series on one page");
                    }
                    counters.computeIfAbsent(name, k -> new TreeMap<>()).merge(s.labels().toString(), s.value(), Double::sum);
                }
                case RUNNING, KV_CACHE, OLD_KV_CACHE -> {
                    if (Double.isFinite(s.value())) {
                        gauges.merge(name, s.value(), Double::sum);
                    }
                }
                default -> {
                }
            }
        }
        if (!counters.containsKey(PROMPT) || !counters.containsKey(GENERATION)) {
            throw new GpuReadException("the page is no vLLM metrics page: it lacks " + (counters.containsKey(PROMPT) ? GENERATION : PROMPT));
        }
        boolean current = counters.containsKey(PREFIX_QUERIES) && counters.containsKey(PREFIX_HITS);
        boolean older = counters.containsKey(OLD_PREFIX_QUERIES) && counters.containsKey(OLD_PREFIX_HITS);
        return new VllmPage(counters.get(PROMPT), counters.get(GENERATION),
                current ? counters.get(PREFIX_QUERIES) : older ? counters.get(OLD_PREFIX_QUERIES) : null,
                current ? counters.get(PREFIX_HITS) : older ? counters.get(OLD_PREFIX_HITS) : null,
                gauges.get(RUNNING), gauges.containsKey(KV_CACHE) ? gauges.get(KV_CACHE) : gauges.get(OLD_KV_CACHE));
    }

    /** Tokens served between two scrapes of one server; the prefix-cache deltas null where either page lacks them. */
    public record Delta(long promptTokens, long generationTokens, Long prefixQueries, Long prefixHits) {
        Delta plus(Delta other) {
            return new Delta(Math.addExact(promptTokens, other.promptTokens), Math.addExact(generationTokens, other.generationTokens),
                    prefixQueries == null || other.prefixQueries == null ? null : Math.addExact(prefixQueries, other.prefixQueries),
                    prefixHits == null || other.prefixHits == null ? null : Math.addExact(prefixHits, other.prefixHits));
        }
    }

    /**
     * What this page's counters grew by since {@code previous}'s. A series that went down was
     * reset (the server restarted) and counts from 0: its delta is its value now. A series that is
     * new counts from 0 as well; one that vanished counts nothing.
     */
    Delta since(VllmPage previous) throws GpuReadException {
        Long queries = prefixQueries == null || previous.prefixQueries == null ? null : delta(prefixQueries, previous.prefixQueries);
        Long hits = prefixHits == null || previous.prefixHits == null ? null : delta(prefixHits, previous.prefixHits);
        return new Delta(delta(promptTokens, previous.promptTokens), delta(generationTokens, previous.generationTokens), queries, hits);
    }

    private static long delta(Map<String, Double> now, Map<String, Double> before) throws GpuReadException {
        double sum = 0;
        for (Map.Entry<String, Double> series : now.entrySet()) {
            double was = before.getOrDefault(series.getKey(), 0.0);
            double value = series.getValue();
            sum += value >= was ? value - was : value;
        }
        if (!(sum >= 0 && sum < 1e15)) { // a petatoken in one interval is no server
            throw new GpuReadException("implausible vLLM counter growth: " + sum);
        }
        return Math.round(sum);
    }

    /** The sum of every series of a counter, for tests and logs. */
    static double total(Map<String, Double> series) {
        return series == null ? 0 : series.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    List<String> describe() {
        return List.of("running=" + requestsRunning, "kv_cache=" + kvCacheUsage);
    }
}
