package io.spendmonitor.cli;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.producers.client.SpendPublisher;
import io.spendmonitor.producers.gpu.DcgmExporterSource;
import io.spendmonitor.producers.gpu.GpuCollector;
import io.spendmonitor.producers.gpu.GpuMapping;
import io.spendmonitor.producers.gpu.GpuReadException;
import io.spendmonitor.producers.gpu.GpuSource;
import io.spendmonitor.producers.gpu.GpuUtilizationJson;
import io.spendmonitor.producers.gpu.NvidiaSmiSource;
import io.spendmonitor.producers.gpu.VllmSource;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code spend-monitor gpu-collector}: GPU-utilization samples of this node, every interval. */
@Command(name = "gpu-collector", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Samples this node's GPUs every interval with nvidia-smi, or scrapes a DCGM exporter, and publishes "
                + "one gpu_utilization event per GPU (key: its team) to the gpu.utilization topic.",
                "Each sample covers the real time since the GPU's previous one. A GPU whose utilization is unknown, or "
                        + "that no team claims, is skipped; a failed read is logged and retried next interval.",
                "GPUs are mapped to a team / deployment / model by --team, --deployment, --model, or by a --mapping "
                        + "file (JSON) with rules by GPU index or UUID, node, or, for DCGM, Kubernetes namespace and pod prefix:",
                "  {\"defaults\": {\"team\": \"platform\"}, \"rules\": [{\"match\": {\"namespace\": \"search\", "
                        + "\"pod_prefix\": \"vllm-llama-\"}, \"team\": \"search\", \"deployment\": \"vllm-llama-8b\", "
                        + "\"model\": \"llama-3.1-8b\"}]}",
                "Options name what every GPU gets unless a rule says otherwise.",
                "With --vllm-url, each interval's samples also carry the tokens the deployment's vLLM servers served "
                        + "(prompt_tokens, generation_tokens: counter deltas, on the deployment's first GPU sample, 0 on its others)."})
public final class GpuCollectorCommand implements Runnable {
    /** The longest a sample waits for Kafka before it is dropped; a collector is its own process, it may wait. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(5);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--nvidia-smi", paramLabel = "PATH",
            description = "The nvidia-smi to run (default: nvidia-smi on the PATH).")
    String nvidiaSmi;

    @Option(names = "--dcgm-url", paramLabel = "URL",
            description = "Scrape this DCGM exporter instead of running nvidia-smi, e.g. http://localhost:9400/metrics.")
    URI dcgmUrl;

    @Option(names = "--vllm-url", paramLabel = "[DEPLOYMENT=]URL",
            description = {"Also scrape this vLLM server's metrics (repeatable), e.g. http://localhost:8000/metrics, for the tokens "
                    + "it serves: DEPLOYMENT (default: --deployment) names the deployment whose GPUs it runs on.",
                    "A failed scrape publishes no tokens for that interval; --once then takes two samples --interval apart."})
    List<String> vllmUrls = new ArrayList<>();

    @Option(names = "--team", description = "Team of the GPUs (unless a mapping rule names another).")
    String team;

    @Option(names = "--deployment", description = "Self-hosted deployment the GPUs serve.")
    String deployment;

    @Option(names = "--model", description = "Open model that deployment serves, e.g. llama-3.1-8b.")
    String model;

    @Option(names = "--gpu-model", paramLabel = "NAME",
            description = "Catalog GPU model (e.g. H100-80GB) instead of the one read from the device name.")
    String gpuModel;

    @Option(names = "--usd-per-hour", paramLabel = "USD",
            description = "Price of one of these GPUs per hour, overriding the catalog (exact, at most 9 decimals).")
    BigDecimal usdPerHour;

    @Option(names = "--mapping", paramLabel = "FILE", description = "JSON file mapping GPUs to teams (see above).")
    Path mapping;

    @Option(names = "--node", description = "Node name to publish (default: the exporter's Hostname label, else this host's name).")
    String node;

    @Option(names = "--interval", defaultValue = "15s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Time between samples: 15s, 1m, 500ms, ... (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Longest wait for nvidia-smi or the exporter (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--once", description = "Sample once, publish, and exit (1 when the GPUs could not be read or a sample not published).")
    boolean once;

    @Option(names = "--dry-run", description = "Print the events as JSON lines ({\"type\":\"gpu_utilization\",...}) instead of publishing them.")
    boolean dryRun;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        GpuCollector collector = new GpuCollector(source(), mapping(), node, interval, vllmSources());
        if (dryRun) {
            PrintWriter out = spec.commandLine().getOut();
            if (once) {
                print(out, collectOnce(collector));
            } else {
                loop(collector, samples -> print(out, samples), () -> {
                });
            }
            return;
        }
        Map<String, Object> config = client.config(true);
        SpendPublisher publisher = publisher(config);
        if (once) {
            publishOnce(collector, publisher);
        } else {
            loop(collector, samples -> samples.forEach(publisher::publish), publisher::close);
        }
    }

    private GpuSource source() {
        if (nvidiaSmi != null && dcgmUrl != null) {
            throw new CliException("choose one source: --nvidia-smi or --dcgm-url", 2);
        }
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new CliException("--interval must be at least 1s", 2);
        }
        if (timeout.isZero()) {
            throw new CliException("--timeout must be positive", 2);
        }
        try {
            return dcgmUrl != null ? new DcgmExporterSource(dcgmUrl, timeout)
                    : new NvidiaSmiSource(nvidiaSmi == null ? "nvidia-smi" : nvidiaSmi, timeout);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /** Each --vllm-url's server and the deployment it serves. */
    private Map<VllmSource, String> vllmSources() {
        Map<VllmSource, String> sources = new LinkedHashMap<>();
        for (String value : vllmUrls) {
            String text = value.trim();
            int eq = text.indexOf('=');
            int scheme = text.indexOf("://");
            String name = eq > 0 && (scheme < 0 || eq < scheme) ? text.substring(0, eq).trim() : null;
            String url = name == null ? text : text.substring(eq + 1).trim();
            String servedDeployment = name != null ? name : deployment;
            if (servedDeployment == null || servedDeployment.isBlank()) {
                throw new CliException("--vllm-url " + value + ": name the deployment it serves (--vllm-url DEPLOYMENT=URL, or --deployment)", 2);
            }
            try {
                sources.put(VllmSource.http(URI.create(url), timeout), servedDeployment.trim());
            } catch (IllegalArgumentException e) {
                throw new CliException("--vllm-url " + value + ": " + e.getMessage(), 2);
            }
        }
        return sources;
    }

    private GpuMapping mapping() {
        BigDecimal price = null;
        if (usdPerHour != null) {
            if (usdPerHour.signum() < 0) {
                throw new CliException("--usd-per-hour must not be negative", 2);
            }
            try {
                price = usdPerHour.setScale(9); // nano-dollars, as the schema holds them; never rounded
            } catch (ArithmeticException e) {
                throw new CliException("--usd-per-hour has more than 9 decimals: " + usdPerHour.toPlainString(), 2);
            }
        }
        GpuMapping.Assignment defaults = new GpuMapping.Assignment(team, deployment, model, gpuModel, price);
        GpuMapping gpuMapping;
        try {
            gpuMapping = mapping == null ? GpuMapping.of(defaults) : GpuMapping.load(mapping, defaults);
        } catch (IOException e) {
            throw new CliException("cannot read mapping file " + mapping + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (!gpuMapping.assignsAnyTeam()) {
            throw new CliException("no team for the GPUs: pass --team TEAM, or --mapping FILE with rules that name teams", 2);
        }
        return gpuMapping;
    }

    private SpendPublisher publisher(Map<String, Object> config) {
        try {
            return SpendPublisher.builder()
                    .properties(config)
                    .clientId("spend-gpu-collector")
                    .maxBlock(MAX_BLOCK)
                    .closeTimeout(CLOSE_TIMEOUT)
                    .build();
        } catch (RuntimeException e) {
            throw new CliException("cannot start publishing: " + e.getMessage());
        }
    }

    private static List<GpuUtilization> collectOnce(GpuCollector collector) {
        try {
            if (collector.measuresTokens()) {
                // a token count is a delta: a baseline round, then the round that reports it
                collector.collect();
                Thread.sleep(collector.interval().toMillis());
            }
            return collector.collect();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted between the two samples of --once");
        } catch (GpuReadException e) {
            throw new CliException("could not read the GPUs: " + e.getMessage());
        }
    }

    private void publishOnce(GpuCollector collector, SpendPublisher publisher) {
        List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
        List<GpuUtilization> samples;
        try {
            samples = collectOnce(collector);
            samples.forEach(sample -> sent.add(publisher.publish(sample).toCompletableFuture()));
        } finally {
            publisher.close(); // waits for the brokers, at most CLOSE_TIMEOUT
        }
        List<String> failures = new ArrayList<>();
        for (CompletableFuture<RecordMetadata> result : sent) {
            if (!result.isDone()) {
                failures.add("not acknowledged within " + CLOSE_TIMEOUT.toSeconds() + " s");
            } else if (result.isCompletedExceptionally()) {
                try {
                    result.join();
                } catch (CompletionException | CancellationException e) {
                    failures.add(rootMessage(e));
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new CliException(failures.size() + " of " + sent.size() + " GPU samples were not published: " + failures.get(0));
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("published " + samples.size() + " GPU sample(s) to " + publisher.topics().gpuUtilization().name());
        err.flush();
    }

    /** Collects until Ctrl-C; then {@code onStop} runs (closing the publisher flushes what is in flight). */
    private static void loop(GpuCollector collector, Consumer<List<GpuUtilization>> sink, Runnable onStop) {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(CLOSE_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "spend-gpu-collector-stop"));
        try {
            collector.run(sink, stop);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                onStop.run();
            } finally {
                stopped.countDown();
            }
        }
    }

    private static void print(PrintWriter out, List<GpuUtilization> samples) {
        samples.forEach(sample -> out.println(GpuUtilizationJson.toJsonLine(sample)));
        out.flush();
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    /** Durations as people write them: {@code 15s}, {@code 500ms}, {@code 1m}, {@code 2h}, {@code 15} (seconds), or ISO {@code PT15S}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String text = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = DURATION.matcher(text);
            if (m.matches()) {
                BigDecimal amount = new BigDecimal(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                BigDecimal millis = amount.multiply(BigDecimal.valueOf(switch (unit) {
                    case "ms" -> 1L;
                    case "m" -> 60_000L;
                    case "h" -> 3_600_000L;
                    default -> 1_000L;
                }));
                return Duration.ofMillis(millis.longValue());
            }
            try {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use 15s, 500ms, 1m or 2h");
            }
        }
    }
}
