package io.spendmonitor.cli;

import io.spendmonitor.streams.cost.Money;
import io.spendmonitor.streams.replay.FocusExport;
import io.spendmonitor.streams.replay.WhatifReplay;
import io.spendmonitor.streams.replay.WhatifReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code spend-monitor export}: spend in formats other tools read. */
@Command(name = "export", mixinStandardHelpOptions = true, subcommands = ExportCommand.Focus.class,
        description = "Writes spend in a format other tools read (see the subcommands).")
public final class ExportCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a format: focus");
    }

    /** {@code export focus}: FOCUS 1.2 rows from the same replay as {@code whatif}. */
    @Command(name = "focus", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Writes a FOCUS 1.2 CSV file (FinOps Open Cost and Usage Specification) of the API and self-hosted "
                    + "GPU spend of [--from, --to): one row per team (SubAccountId), charge period (hour or UTC day) and "
                    + "API provider/model or self-hosted deployment.",
                    "The rows are computed by the same replay as 'whatif' from the raw events (Kafka, or JSON-lines archives "
                            + "with --events), so they are complete and exact for windows the live app has not finalised: "
                            + "EffectiveCost summed per SubAccountId equals GET /api/teams/{team}/cost for the range.",
                    "A deployment's GPU cost is on its row once; its idle part is x_IdleCost (and x_BusyCost the rest). "
                            + "Money is exact (the sum of femto-dollars), timestamps ISO-8601 UTC, quoting RFC 4180. "
                            + "Progress goes to stderr."},
            footer = {"",
                    "Examples:",
                    "  spend-monitor export focus -b localhost:9092 -r http://localhost:8081 --from 2026-11-01 --to 2026-12-01 --output nov.csv",
                    "  spend-monitor export focus --events august.jsonl.gz --from 2023-08-01 --to 2023-09-01 --granularity hour --output aug.csv",
                    "",
                    "Exit codes: 0 ok, 1 failed (Kafka or the registry unreachable, a file unreadable or unwritable), "
                            + "2 bad usage or no events in the range."})
    static final class Focus implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ClientOptions client = new ClientOptions();

        @Option(names = "--from", required = true, paramLabel = "TIME", converter = SimulateCommand.StartConverter.class,
                description = "Start of the period (inclusive, a whole hour): ISO-8601, a date (midnight UTC), now or now-DURATION.")
        Instant from;

        @Option(names = "--to", required = true, paramLabel = "TIME", converter = SimulateCommand.StartConverter.class,
                description = "End of the period (exclusive, a whole hour), as --from.")
        Instant to;

        @Option(names = "--output", required = true, paramLabel = "FILE", description = "The CSV file to write (- for stdout).")
        String output;

        @Option(names = "--granularity", paramLabel = "hour|day", defaultValue = "day",
                description = "Charge period of a row: hour or day (UTC; default ${DEFAULT-VALUE}).")
        String granularity;

        @Option(names = "--team", paramLabel = "TEAM", description = "Only this team; repeatable (default: every team).")
        List<String> teams = new ArrayList<>();

        @Option(names = "--billing-account", paramLabel = "ID", defaultValue = "spend-monitor",
                description = "BillingAccountId and BillingAccountName of every row (default ${DEFAULT-VALUE}).")
        String billingAccount;

        @Option(names = "--catalog", paramLabel = "FILE|default", description = "The catalog from a JSON-lines file (or "
                + "'default', the bundled one) instead of the spend.price-catalog topic; the default without -b.")
        String catalog;

        @Option(names = "--events", paramLabel = "FILE|-", description = "Read token_usage / gpu_utilization JSON lines (gzip "
                + "too) instead of the topics; repeatable, read in order.")
        List<String> events = new ArrayList<>();

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "6", description = "--events only: the partitions of "
                + "the live topics (default ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--margin", paramLabel = "DURATION", converter = PublishCommand.DurationConverter.class,
                description = "Kafka only: read records produced this long before --from too (as whatif).")
        Duration margin;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = PublishCommand.DurationConverter.class,
                description = "How long Kafka may go without returning data before the read fails (default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            FocusExport.Granularity g = switch (granularity.toLowerCase(Locale.ROOT)) {
                case "hour" -> FocusExport.Granularity.HOUR;
                case "day" -> FocusExport.Granularity.DAY;
                default -> throw new CliException("--granularity must be hour or day, not '" + granularity + "'", 2);
            };
            if (!from.isBefore(to)) {
                throw new CliException("--from (" + from + ") must be before --to (" + to + ")", 2);
            }
            if (from.toEpochMilli() % 3_600_000L != 0 || to.toEpochMilli() % 3_600_000L != 0) {
                throw new CliException("--from and --to must be whole hours (UTC): " + from + ", " + to, 2);
            }
            if (partitions < 1 || partitions > 100_000) {
                throw new CliException("--partitions must be 1..100000", 2);
            }
            FocusExport export = new FocusExport(from, to, g, billingAccount);
            WhatifCommand replayer = new WhatifCommand();
            replayer.spec = spec;
            replayer.err = err;
            replayer.client = client;
            replayer.from = from;
            replayer.to = to;
            replayer.teams = teams;
            replayer.catalog = catalog;
            replayer.events = events;
            replayer.partitions = partitions;
            replayer.margin = margin;
            replayer.timeout = timeout;
            // API rows from the calls, split by their attribution labels (Tags); GPU rows from the windows
            WhatifReplay replay = replayer.replay(export::add, spend -> export.tagging(spend.attributionKeys())::addCall);
            WhatifReport report = replay.finish();
            replayer.progress(replay, true, "");
            if (replay.eventsInRange() == 0 || report.teams().isEmpty()) {
                throw new CliException("no token-usage or GPU events between " + from + " and " + to
                        + (teams.isEmpty() ? "" : " for " + String.join(", ", teams)) + " (" + replay.eventsRead() + " events read)", 2);
            }
            check(export, report);
            write(export);
            err.println((("-".equals(output)) ? "" : "wrote " + output + ": ") + export.rowCount() + " rows, "
                    + report.teams().size() + (report.teams().size() == 1 ? " team" : " teams"));
            err.flush();
            return 0;
        }

        /** The rows of each team add up to the replay's API and GPU totals for it (what /cost reports), to the nano-dollar. */
        private static void check(FocusExport export, WhatifReport report) {
            Map<String, BigDecimal[]> sums = export.teamTotals();
            for (WhatifReport.TeamReport t : report.teams()) {
                BigDecimal[] s = sums.getOrDefault(t.team(), new BigDecimal[]{BigDecimal.ZERO, BigDecimal.ZERO});
                BigDecimal api = Money.usdNanos(s[0]);
                BigDecimal gpu = Money.usdNanos(s[1]);
                if (api.compareTo(t.actual().apiUsd()) != 0 || gpu.compareTo(t.actual().gpuUsd()) != 0) {
                    throw new CliException("internal error: the rows of team " + t.team() + " add up to " + api + " USD of API and "
                            + gpu + " USD of GPU spend, the replay counted " + t.actual().apiUsd() + " and " + t.actual().gpuUsd());
                }
            }
        }

        private void write(FocusExport export) {
            if ("-".equals(output)) {
                PrintWriter out = spec.commandLine().getOut();
                try {
                    export.write(out);
                } catch (IOException e) {
                    throw new CliException("cannot write the rows: " + e.getMessage());
                }
                return;
            }
            Path target = Path.of(output).toAbsolutePath();
            Path tmp = null;
            try {
                tmp = Files.createTempFile(target.getParent(), ".focus-", ".csv.tmp");
                try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    export.write(w);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new CliException("cannot write " + output + ": " + e.getMessage());
            } finally {
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // best effort: a leftover temp file is harmless
                    }
                }
            }
        }
    }
}
