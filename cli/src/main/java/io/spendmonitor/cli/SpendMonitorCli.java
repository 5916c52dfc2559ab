package io.spendmonitor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

import java.io.PrintWriter;

/** The {@code spend-monitor} command. */
@Command(name = "spend-monitor",
        mixinStandardHelpOptions = true,
        versionProvider = SpendMonitorCli.Version.class,
        description = "Live LLM spend per team: API tokens vs self-hosted GPUs, break-even and alerts, on Kafka Streams.",
        subcommands = {DemoCommand.class, LocalCommand.class, RunCommand.class, PublishCommand.class, PricesCommand.class, GpuCollectorCommand.class, BenchCommand.class, SimulateCommand.class, TeamsCommand.class, WhatifCommand.class, ExportCommand.class, HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 bad usage. Run 'spend-monitor COMMAND --help' for a command's options."})
public final class SpendMonitorCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int exitCode;
        try {
            exitCode = newCommandLine().execute(args);
        } catch (NoClassDefFoundError e) {
            System.err.println(withoutLocalCluster(e));
            exitCode = 1;
        }
        System.exit(exitCode);
    }

    /**
     * The container image is built without the local broker's jars (Dockerfile, -Pimage): a command
     * that needs them ({@code local}, {@code demo}, {@code bench} without -b/-r) ends with this line.
     */
    static String withoutLocalCluster(Throwable e) {
        return "error: this build of spend-monitor has no local broker and registry (missing "
                + String.valueOf(e.getMessage()).replace('/', '.') + "): the container image leaves them out."
                + " Run `local`, `demo` and `bench` without -b/-r from a source checkout (./spend-monitor),"
                + " or pass -b/-r to a running cluster.";
    }

    private static NoClassDefFoundError missingClass(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NoClassDefFoundError missing) {
                return missing;
            }
        }
        return null;
    }

    /** The command line with our error handling: user errors as one line, exit codes as documented. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new SpendMonitorCli());
        commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof CliException cli) {
                err.println("error: " + cli.getMessage());
                err.flush();
                return cli.exitCode();
            }
            NoClassDefFoundError missing = missingClass(e);
            if (missing != null) {
                err.println(withoutLocalCluster(missing));
                err.flush();
                return 1;
            }
            err.println("error: " + e);
            e.printStackTrace(err);
            err.flush();
            return 1;
        });
        return commandLine;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = SpendMonitorCli.class.getPackage().getImplementationVersion();
            return new String[]{"spend-monitor " + (version == null ? "(development build)" : version)};
        }
    }
}
