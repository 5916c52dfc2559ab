package io.spendmonitor.streams.cost;

import io.spendmonitor.avro.DeploymentUsage;
import io.spendmonitor.avro.ModelUsage;
import io.spendmonitor.avro.TeamCostWindow;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One team's spend in one minute window, as it accumulates. Money in femto-USD (see {@link Money}).
 * GPU time in seconds; a GPU sample belongs wholly to the window of its timestamp.
 */
public final class TeamWindow {
    /** Deployment name for GPU samples that name none. */
    public static final String UNASSIGNED = "(unassigned)";
    /**
     * Distinct models (and deployments) one team's window keeps by name; the rest are summed under
     * {@link #OTHER}, so a client inventing names cannot grow the state without bound. Sums stay exact.
     */
    public static final int MAX_KEYS = 256;
    public static final String OTHER = "other";

    private final long windowStartMs;
    private final FemtoSum apiCost = new FemtoSum();
    private long apiCalls;
    private long unpricedCalls;
    private long inputTokens;
    private long cachedInputTokens;
    private long cacheWriteInputTokens;
    private long outputTokens;
    private long selfhostTokens;
    private final FemtoSum gpuCost = new FemtoSum();
    private final FemtoSum busyCost = new FemtoSum();
    private double gpuSeconds;
    private double busyGpuSeconds;
    private final Map<String, ModelStats> apiModels = new TreeMap<>();
    /**
     * The same stats by provider, then model: what {@link #addApiCall} looks up for every call, without
     * building the "provider/model" key and walking the tree. A cache of {@link #apiModels} filled on
     * first use of a pair (also after the window was read back), never written to the stores.
     */
    private final Map<String, Map<String, ModelStats>> apiIndex = new java.util.HashMap<>();
    private final Map<String, ModelStats> selfhostModels = new TreeMap<>();
    private final Map<String, DeploymentStats> deployments = new TreeMap<>();
    /** Spend by attribution label: key (customer, feature, ...) then value; see {@link #addAttribution}. */
    private final Map<String, Map<String, Attributed>> attribution = new TreeMap<>();

    public TeamWindow(long windowStartMs) {
        this.windowStartMs = windowStartMs;
    }

    /**
     * The key of an API model: {@code provider/model}, the form a self-host profile's
     * {@code api_equivalent} names it in. Names may contain '/' (model names often do), so a provider
     * that contains one is joined with U+001F instead, a character no name may hold: provider "a" with
     * model "b/c" and provider "a/b" with model "c" are two keys.
     */
    public static String apiKey(String provider, String model) {
        return provider.indexOf('/') < 0 ? provider + "/" + model : provider + '\u001f' + model;
    }

    /** Calls of one model: what break-even needs (tokens by type, cost). */
    public static final class ModelStats {
        public final String provider;
        public final String model;
        public long calls;
        public long unpricedCalls;
        public long input;
        public long cached;
        public long cacheWrite;
        public long output;
        public final FemtoSum cost = new FemtoSum();

        ModelStats(String provider, String model) {
            this.provider = provider;
            this.model = model;
        }

        public TokenCounts tokens() {
            return new TokenCounts(input, cached, cacheWrite, output);
        }

        void add(TokenCounts t) {
            calls++;
            input = Math.addExact(input, t.input());
            cached = Math.addExact(cached, t.cached());
            cacheWrite = Math.addExact(cacheWrite, t.cacheWrite());
            output = Math.addExact(output, t.output());
        }
    }

    /** One self-hosted deployment's GPUs and the tokens it served. */
    public static final class DeploymentStats {
        public final String deployment;
        public String model;
        public String gpuModel;
        public double gpuSeconds;
        public double busyGpuSeconds;
        public final FemtoSum gpuCost = new FemtoSum();
        public final FemtoSum busyCost = new FemtoSum();
        public long tokens;
        /** GPU time of the samples that carried vLLM token counts, and those counts (saturating sums). */
        public double measuredGpuSeconds;
        public double measuredBusyGpuSeconds;
        public long measuredTokens;
        /** vLLM prefix-cache lookups and hits, in tokens; 0 where the server exports none. */
        public long prefixQueries;
        public long prefixHits;

        DeploymentStats(String deployment) {
            this.deployment = deployment;
        }

        /** Busy GPU-seconds / GPU-seconds; 0 without GPU samples. */
        public double utilization() {
            return gpuSeconds == 0 ? 0 : busyGpuSeconds / gpuSeconds;
        }

        public java.math.BigInteger idleCostFemto() {
            return gpuCost.minus(busyCost);
        }
    }

    /** Calls, tokens and API cost of one value of one attribution key. */
    public static final class Attributed {
        public long calls;
        public long tokens;
        public final FemtoSum cost = new FemtoSum();
    }

    /**
     * Adds a call to the attribution of each of its labels whose key is in {@code keys}: the first
     * {@code maxValues} values of a key keep their name, the rest are summed under {@link #OTHER}.
     * {@code costFemto} is the call's API cost (0 for self-hosted and unpriced calls).
     */
    public void addAttribution(Map<String, String> labels, java.util.Set<String> keys, int maxValues, long costFemto,
                               TokenCounts tokens) {
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!keys.contains(label.getKey()) || label.getValue() == null) {
                continue;
            }
            Map<String, Attributed> values = attribution.computeIfAbsent(label.getKey(), k -> new TreeMap<>());
            String value = values.size() >= maxValues && !values.containsKey(label.getValue()) ? OTHER : label.getValue();
            Attributed a = values.computeIfAbsent(value, v -> new Attributed());
            a.calls++;
            a.tokens = Math.addExact(a.tokens, tokens.throughputTokens());
            a.cost.add(costFemto);
        }
    }

    /** Spend by attribution key and value (sorted). */
    public Map<String, Map<String, Attributed>> attribution() {
        return attribution;
    }

    /** The spend of the calls labelled {@code key=value}, or null when none was. */
    public Attributed attributed(String key, String value) {
        Map<String, Attributed> values = attribution.get(key);
        return values == null ? null : values.get(value);
    }

    /** An API call; {@code costFemto} null when no price was in force (counted, flagged, not costed). */
    public void addApiCall(String provider, String model, TokenCounts tokens, Long costFemto) {
        apiCalls++;
        addTokens(tokens);
        Map<String, ModelStats> byModel = apiIndex.get(provider);
        ModelStats stats = byModel == null ? null : byModel.get(model);
        if (stats == null) {
            stats = apiStats(provider, model);
            if (stats.provider.equals(provider) && stats.model.equals(model)) {
                // only the window's own models (at most MAX_KEYS): a flood of names folded into other/other
                // must not grow the index
                apiIndex.computeIfAbsent(provider, k -> new java.util.HashMap<>()).put(model, stats);
            }
        }
        stats.add(tokens);
        if (costFemto == null) {
            unpricedCalls++;
            stats.unpricedCalls++;
        } else {
            apiCost.add(costFemto);
            stats.cost.add(costFemto);
        }
    }

    /**
     * The stats a call of provider/model adds to: its own, or, once the window holds
     * {@link #MAX_KEYS} - 1 models, the {@code other/other} entry. The window's models never go away, so
     * a pair's own entry, once there, stays its answer and {@link #apiIndex} may keep it.
     */
    private ModelStats apiStats(String provider, String model) {
        String key = apiKey(provider, model);
        if (apiModels.size() >= MAX_KEYS - 1 && !apiModels.containsKey(key)) {
            provider = OTHER;
            model = OTHER;
            key = OTHER + "/" + OTHER;
        }
        String p = provider;
        String m = model;
        return apiModels.computeIfAbsent(key, k -> new ModelStats(p, m));
    }

    /** How many provider/model pairs the per-call lookup holds (for tests: never more than the window's models). */
    int indexedApiModels() {
        return apiIndex.values().stream().mapToInt(Map::size).sum();
    }

    /** A call served by one of the team's own deployments of an open model. */
    public void addSelfHostedCall(String model, String deployment, TokenCounts tokens) {
        addTokens(tokens);
        selfhostTokens = Math.addExact(selfhostTokens, tokens.throughputTokens());
        String m = selfhostModels.size() >= MAX_KEYS - 1 && !selfhostModels.containsKey(model) ? OTHER : model;
        selfhostModels.computeIfAbsent(m, k -> new ModelStats(io.spendmonitor.schemas.Providers.SELF_HOSTED, m)).add(tokens);
        DeploymentStats d = deployment(deployment);
        d.tokens = Math.addExact(d.tokens, tokens.throughputTokens());
        if (d.model == null) {
            d.model = model;
        }
    }

    /**
     * One GPU sample: {@code costFemto} = interval_seconds / 3600 * usd_per_hour, {@code busyFemto}
     * that weighted by utilization (null when the GPU has no price: GPU time counted, no cost).
     */
    public void addGpuSample(String deployment, String model, String gpuModel, double intervalSeconds,
                             double utilization, Long costFemto, Long busyFemto) {
        gpuSeconds += intervalSeconds;
        busyGpuSeconds += intervalSeconds * utilization;
        DeploymentStats d = deployment(deployment);
        d.gpuSeconds += intervalSeconds;
        d.busyGpuSeconds += intervalSeconds * utilization;
        if (model != null) {
            d.model = model;
        }
        d.gpuModel = gpuModel;
        if (costFemto != null) {
            gpuCost.add(costFemto);
            busyCost.add(busyFemto);
            d.gpuCost.add(costFemto);
            d.busyCost.add(busyFemto);
        }
    }

    /**
     * The vLLM token counts one GPU sample of {@code deployment} carried (after
     * {@link #addGpuSample}, which counted its GPU time): the sample's GPU time is then measured time.
     */
    public void addMeasuredTokens(String deployment, double intervalSeconds, double utilization, long tokens,
                                  Long prefixQueries, Long prefixHits) {
        DeploymentStats d = deployment(deployment);
        d.measuredGpuSeconds += intervalSeconds;
        d.measuredBusyGpuSeconds += intervalSeconds * utilization;
        d.measuredTokens = saturated(d.measuredTokens, tokens);
        if (prefixQueries != null && prefixHits != null) {
            d.prefixQueries = saturated(d.prefixQueries, prefixQueries);
            d.prefixHits = saturated(d.prefixHits, prefixHits);
        }
    }

    private static long saturated(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private DeploymentStats deployment(String name) {
        String key = name == null ? UNASSIGNED : name;
        if (deployments.size() >= MAX_KEYS - 1 && !deployments.containsKey(key)) {
            key = OTHER;
        }
        return deployments.computeIfAbsent(key, DeploymentStats::new);
    }

    private void addTokens(TokenCounts t) {
        inputTokens = Math.addExact(inputTokens, t.input());
        cachedInputTokens = Math.addExact(cachedInputTokens, t.cached());
        cacheWriteInputTokens = Math.addExact(cacheWriteInputTokens, t.cacheWrite());
        outputTokens = Math.addExact(outputTokens, t.output());
    }

    public long windowStartMs() {
        return windowStartMs;
    }

    /** Exact sums of the window's calls and samples (see {@link FemtoSum}); read-only to callers. */
    public FemtoSum apiCost() {
        return apiCost;
    }

    public FemtoSum gpuCost() {
        return gpuCost;
    }

    public FemtoSum busyCost() {
        return busyCost;
    }

    public java.math.BigInteger idleCostFemto() {
        return gpuCost.minus(busyCost);
    }


    public long apiCalls() {
        return apiCalls;
    }

    public long unpricedCalls() {
        return unpricedCalls;
    }

    public long inputTokens() {
        return inputTokens;
    }

    public long cachedInputTokens() {
        return cachedInputTokens;
    }

    public long cacheWriteInputTokens() {
        return cacheWriteInputTokens;
    }

    public long outputTokens() {
        return outputTokens;
    }

    public long selfhostTokens() {
        return selfhostTokens;
    }

    public double gpuSeconds() {
        return gpuSeconds;
    }

    public double busyGpuSeconds() {
        return busyGpuSeconds;
    }

    /** sum((1 - utilization) * interval_seconds) / window seconds. */
    public double idleGpus(long windowSizeMs) {
        return (gpuSeconds - busyGpuSeconds) / (windowSizeMs / 1000.0);
    }

    public Map<String, ModelStats> apiModels() {
        return apiModels;
    }

    public Map<String, ModelStats> selfhostModels() {
        return selfhostModels;
    }

    public Map<String, DeploymentStats> deployments() {
        return deployments;
    }

    public TeamCostWindow toAvro(String team, long windowSizeMs) {
        List<ModelUsage> models = new ArrayList<>();
        for (ModelStats m : apiModels.values()) {
            models.add(ModelUsage.newBuilder().setProvider(m.provider).setModel(m.model).setCalls(m.calls)
                    .setInputTokens(m.input).setCachedInputTokens(m.cached).setCacheWriteInputTokens(m.cacheWrite)
                    .setOutputTokens(m.output).setCostUsd(Money.usdNanos(m.cost)).build());
        }
        List<DeploymentUsage> deploymentUsages = new ArrayList<>();
        for (DeploymentStats d : deployments.values()) {
            deploymentUsages.add(DeploymentUsage.newBuilder().setDeployment(d.deployment).setModel(d.model)
                    .setGpuModel(d.gpuModel).setGpuSeconds(d.gpuSeconds).setBusyGpuSeconds(d.busyGpuSeconds)
                    .setGpuCostUsd(Money.usdNanos(d.gpuCost)).setIdleCostUsd(Money.usdNanos(d.idleCostFemto()))
                    .setTokens(d.tokens).build());
        }
        return TeamCostWindow.newBuilder()
                .setTeam(team)
                .setWindowStart(Instant.ofEpochMilli(windowStartMs))
                .setWindowEnd(Instant.ofEpochMilli(windowStartMs + windowSizeMs))
                .setApiCostUsd(Money.usdNanos(apiCost))
                .setGpuCostUsd(Money.usdNanos(gpuCost))
                .setBusyCostUsd(Money.usdNanos(busyCost))
                .setIdleCostUsd(Money.usdNanos(idleCostFemto()))
                .setApiCalls(apiCalls)
                .setUnpricedCalls(unpricedCalls)
                .setInputTokens(inputTokens)
                .setCachedInputTokens(cachedInputTokens)
                .setCacheWriteInputTokens(cacheWriteInputTokens)
                .setOutputTokens(outputTokens)
                .setSelfhostTokens(selfhostTokens)
                .setGpuSeconds(gpuSeconds)
                .setBusyGpuSeconds(busyGpuSeconds)
                .setIdleGpus(idleGpus(windowSizeMs))
                .setModels(models)
                .setDeployments(deploymentUsages)
                .build();
    }

    // ---- compact binary form for the window store (a version byte first, so it can evolve) ----

    /** 1: money as longs (read still); 2: money as {@link FemtoSum} (read still); 3: 2 + deployments' measured tokens + the attribution. */
    private static final byte FORMAT_LONGS = 1;
    private static final byte FORMAT_FEMTO = 2;
    private static final byte FORMAT = 3;

    public void writeTo(DataOutput out) throws IOException {
        out.writeByte(FORMAT);
        out.writeLong(windowStartMs);
        apiCost.writeTo(out);
        out.writeLong(apiCalls);
        out.writeLong(unpricedCalls);
        out.writeLong(inputTokens);
        out.writeLong(cachedInputTokens);
        out.writeLong(cacheWriteInputTokens);
        out.writeLong(outputTokens);
        out.writeLong(selfhostTokens);
        gpuCost.writeTo(out);
        busyCost.writeTo(out);
        out.writeDouble(gpuSeconds);
        out.writeDouble(busyGpuSeconds);
        writeModels(out, apiModels);
        writeModels(out, selfhostModels);
        out.writeInt(deployments.size());
        for (DeploymentStats d : deployments.values()) {
            out.writeUTF(d.deployment);
            writeNullable(out, d.model);
            writeNullable(out, d.gpuModel);
            out.writeDouble(d.gpuSeconds);
            out.writeDouble(d.busyGpuSeconds);
            d.gpuCost.writeTo(out);
            d.busyCost.writeTo(out);
            out.writeLong(d.tokens);
            out.writeDouble(d.measuredGpuSeconds);
            out.writeDouble(d.measuredBusyGpuSeconds);
            out.writeLong(d.measuredTokens);
            out.writeLong(d.prefixQueries);
            out.writeLong(d.prefixHits);
        }
        out.writeInt(attribution.size());
        for (Map.Entry<String, Map<String, Attributed>> key : attribution.entrySet()) {
            out.writeUTF(key.getKey());
            out.writeInt(key.getValue().size());
            for (Map.Entry<String, Attributed> value : key.getValue().entrySet()) {
                out.writeUTF(value.getKey());
                out.writeLong(value.getValue().calls);
                out.writeLong(value.getValue().tokens);
                value.getValue().cost.writeTo(out);
            }
        }
    }

    public static TeamWindow readFrom(DataInput in) throws IOException {
        byte format = in.readByte();
        if (format != FORMAT && format != FORMAT_FEMTO && format != FORMAT_LONGS) {
            throw new IOException("unknown team window format " + format);
        }
        boolean longs = format == FORMAT_LONGS;
        TeamWindow w = new TeamWindow(in.readLong());
        w.apiCost.add(money(in, longs));
        w.apiCalls = in.readLong();
        w.unpricedCalls = in.readLong();
        w.inputTokens = in.readLong();
        w.cachedInputTokens = in.readLong();
        w.cacheWriteInputTokens = in.readLong();
        w.outputTokens = in.readLong();
        w.selfhostTokens = in.readLong();
        w.gpuCost.add(money(in, longs));
        w.busyCost.add(money(in, longs));
        w.gpuSeconds = in.readDouble();
        w.busyGpuSeconds = in.readDouble();
        readModels(in, w.apiModels, true, longs);
        readModels(in, w.selfhostModels, false, longs);
        int deploymentCount = in.readInt();
        for (int i = 0; i < deploymentCount; i++) {
            DeploymentStats d = new DeploymentStats(in.readUTF());
            d.model = readNullable(in);
            d.gpuModel = readNullable(in);
            d.gpuSeconds = in.readDouble();
            d.busyGpuSeconds = in.readDouble();
            d.gpuCost.add(money(in, longs));
            d.busyCost.add(money(in, longs));
            d.tokens = in.readLong();
            if (format == FORMAT) {
                d.measuredGpuSeconds = in.readDouble();
                d.measuredBusyGpuSeconds = in.readDouble();
                d.measuredTokens = in.readLong();
                d.prefixQueries = in.readLong();
                d.prefixHits = in.readLong();
            }
            w.deployments.put(d.deployment, d);
        }
        if (format == FORMAT) {
            int keys = in.readInt();
            for (int k = 0; k < keys; k++) {
                Map<String, Attributed> values = w.attribution.computeIfAbsent(in.readUTF(), x -> new TreeMap<>());
                int count = in.readInt();
                for (int v = 0; v < count; v++) {
                    Attributed a = new Attributed();
                    String value = in.readUTF();
                    a.calls = in.readLong();
                    a.tokens = in.readLong();
                    a.cost.add(FemtoSum.readFrom(in));
                    values.put(value, a);
                }
            }
        }
        return w;
    }

    private static void writeModels(DataOutput out, Map<String, ModelStats> models) throws IOException {
        out.writeInt(models.size());
        for (ModelStats m : models.values()) {
            out.writeUTF(m.provider);
            out.writeUTF(m.model);
            out.writeLong(m.calls);
            out.writeLong(m.unpricedCalls);
            out.writeLong(m.input);
            out.writeLong(m.cached);
            out.writeLong(m.cacheWrite);
            out.writeLong(m.output);
            m.cost.writeTo(out);
        }
    }

    private static FemtoSum money(DataInput in, boolean longs) throws IOException {
        return longs ? FemtoSum.of(in.readLong()) : FemtoSum.readFrom(in);
    }

    private static void readModels(DataInput in, Map<String, ModelStats> into, boolean keyByProvider, boolean longs)
            throws IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            ModelStats m = new ModelStats(in.readUTF(), in.readUTF());
            m.calls = in.readLong();
            m.unpricedCalls = in.readLong();
            m.input = in.readLong();
            m.cached = in.readLong();
            m.cacheWrite = in.readLong();
            m.output = in.readLong();
            m.cost.add(money(in, longs));
            into.put(keyByProvider ? apiKey(m.provider, m.model) : m.model, m);
        }
    }

    private static void writeNullable(DataOutput out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
