package io.spendmonitor.cli;

import io.spendmonitor.producers.simulator.ScenarioSettings;
import io.spendmonitor.producers.simulator.Scenarios;
import io.spendmonitor.producers.simulator.SimulatorException;
import io.spendmonitor.producers.simulator.TrafficSimulator;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code spend-monitor simulate SCENARIO}: realistic traffic, with event time running faster than real time. */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publishes simulated LLM calls (llm.token-usage) and GPU samples (gpu.utilization) for a named scenario, "
                + "with event time running --speed times faster than real time from --start, until Ctrl-C (which flushes "
                + "what was sent) or for --duration of simulated time. The same --seed and --start give the same events, "
                + "with the same event ids, so a rerun is not counted twice.",
                "Scenarios (--list): crossover (the demo: 'search' outgrows the API, 'research' idles on GPUs; alerts at "
                        + "simulated minutes 5, 13 and 15, budget alerts after about 3.6 and 4.5 hours), steady (--teams, "
                        + "--rate: benchmarks and soak tests), idle-gpus (the 'research' team alone).",
                "Progress goes to stderr every 5 s: simulated time, events sent, events per second."},
        footer = {"",
                "Examples:",
                "  spend-monitor simulate crossover -b 127.0.0.1:9092 -r http://127.0.0.1:8081 --load-prices",
                "  spend-monitor simulate crossover -b ... -r ... --speed 600 --duration 3h",
                "  spend-monitor simulate steady -b ... -r ... --teams 50 --rate 2000 --duration 1h",
                "  spend-monitor simulate idle-gpus -b ... -r ... --start 2026-03-02T09:00:00Z",
                "  spend-monitor simulate --list",
                "",
                "Exit codes: 0 finished or stopped with Ctrl-C, 1 failed (Kafka or the registry unreachable, a topic "
                        + "missing, events not acknowledged), 2 bad usage."})
public final class SimulateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client = new ClientOptions();

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "crossover, steady or idle-gpus (see --list).")
    String scenario;

    @Option(names = "--list", description = "List the scenarios with a line about each, and exit (needs no Kafka).")
    boolean list;

    @Option(names = "--speed", paramLabel = "N", defaultValue = "60",
            description = "Simulated seconds per real second (default ${DEFAULT-VALUE}: a simulated minute per second; 1: real time).")
    double speed;

    @Option(names = "--start", paramLabel = "TIME", converter = StartConverter.class,
            description = "Event time of the first simulated minute: ISO-8601 (2026-03-02T09:00:00Z), a date (midnight UTC), "
                    + "now, or now-DURATION (now-6h). Default: now-2h, on a whole minute.")
    Instant start;

    @Option(names = "--duration", paramLabel = "DURATION", converter = PublishCommand.DurationConverter.class,
            description = "Simulated time to run for, e.g. 3h, 90m, PT3H (default: until Ctrl-C).")
    Duration duration;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of every random choice (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--teams", paramLabel = "N", description = "steady only: number of teams (default " + ScenarioSettings.DEFAULT_TEAMS + ").")
    Integer teams;

    @Option(names = "--rate", paramLabel = "EVENTS_PER_SECOND",
            description = "steady only: token-usage events per REAL second over all teams (default 200); GPU samples come on top.")
    Double rate;

    @Option(names = "--load-prices", description = "First publish the bundled default price catalog (as 'spend-monitor prices load').")
    boolean loadPrices;

    @Option(names = "--create-topics", description = "Create a missing topic with its contract settings instead of failing.")
    boolean createTopics;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (list) {
            printScenarios(out);
            return 0;
        }
        ScenarioSettings settings = settings(Clock.systemUTC());
        Map<String, Object> config = client.config(true);
        PublishCommand.Secrets secrets = PublishCommand.Secrets.of(config);
        TrafficSimulator.Listener listener = new TrafficSimulator.Listener() {
            @Override
            public void progress(TrafficSimulator.Progress progress) {
                note(progress.describe());
            }

            @Override
            public void note(String message) {
                synchronized (err) {
                    err.println(secrets.redact(message));
                    err.flush();
                }
            }
        };
        TrafficSimulator.Running run;
        try {
            run = TrafficSimulator.start(config, settings, listener);
        } catch (SimulatorException e) {
            throw new CliException(secrets.redact(e.getMessage()));
        } catch (KafkaException e) {
            throw new CliException("invalid client configuration: " + secrets.redact(PublishCommand.messageOf(e)));
        } catch (IllegalArgumentException e) {
            throw new CliException(secrets.redact(e.getMessage()), 2);
        }
        // Ctrl-C: stop sending and flush what was sent before the JVM exits
        Thread stop = new Thread(run::close, "spend-monitor-simulate-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            run.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            run.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: nothing to remove
            }
        }
        return run.failure().isPresent() ? 1 : 0;
    }

    private void printScenarios(PrintWriter out) {
        int width = Scenarios.names().stream().mapToInt(String::length).max().orElse(8);
        for (Scenarios.Info info : Scenarios.all()) {
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", info.name(), info.description());
        }
        out.flush();
    }

    /** The settings the options ask for; bad usage exits with 2. */
    ScenarioSettings settings(Clock clock) {
        if (scenario == null) {
            throw new CliException("name a scenario: " + String.join(", ", Scenarios.names()) + " (see --list)", 2);
        }
        Scenarios.Info info;
        try {
            info = Scenarios.info(scenario);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        if (!info.usesTeamsAndRate() && (teams != null || rate != null)) {
            throw new CliException("--teams and --rate apply to the steady scenario only, not to " + scenario, 2);
        }
        try {
            return new ScenarioSettings(scenario, seed, start != null ? start : ScenarioSettings.defaultStart(clock), duration,
                    speed, teams != null ? teams : ScenarioSettings.DEFAULT_TEAMS, rate != null ? rate : ScenarioSettings.DEFAULT_RATE,
                    loadPrices, createTopics);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    /**
     * {@code 2026-03-02T09:00:00Z} (or with an offset), {@code 2026-03-02} (midnight UTC), {@code now},
     * or {@code now-6h} / {@code now-90m} / {@code now-PT6H}; the relative forms on a whole minute.
     */
    static final class StartConverter implements CommandLine.ITypeConverter<Instant> {
        private static final Pattern RELATIVE = Pattern.compile("now(?:\\s*-\\s*(.+))?", Pattern.CASE_INSENSITIVE);

        @Override
        public Instant convert(String value) {
            return convert(value, Clock.systemUTC());
        }

        static Instant convert(String value, Clock clock) {
            String v = value.trim();
            Matcher relative = RELATIVE.matcher(v);
            if (relative.matches()) {
                Duration back = relative.group(1) == null ? Duration.ZERO
                        : new PublishCommand.DurationConverter().convert(relative.group(1));
                return clock.instant().minus(back).truncatedTo(ChronoUnit.MINUTES);
            }
            try {
                return OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException notDateTime) {
                try {
                    return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException notDate) {
                    throw new CommandLine.TypeConversionException("'" + value
                            + "' is not a time: use 2026-03-02T09:00:00Z, 2026-03-02, now or now-6h");
                }
            }
        }
    }
}
