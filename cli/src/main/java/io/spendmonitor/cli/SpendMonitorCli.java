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
        subcommands = {DemoCommand.class, LocalCommand.class, RunCommand.class, PublishCommand.class, PricesCommand.class, GpuCollectorCommand.class, BenchCommand.class, SimulateCommand.class, TeamsCommand.class, HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 bad usage. Run 'spend-monitor COMMAND --help' for a command's options."})
public final class SpendMonitorCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
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
