package dev.normclock.cli;

import java.io.PrintWriter;
import java.util.Map;

import dev.normclock.Version;
import dev.normclock.results.ResultsException;
import dev.normclock.train.PopulationCheckpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `normclock` command: parses, calls the engine, prints. */
@Command(name = "normclock", mixinStandardHelpOptions = true, usageHelpWidth = 120, versionProvider = Main.VersionProvider.class,
        description = {
                "Trains populations of small networks on modular addition to study how the weight norm sets the grokking delay.",
                "",
                "Under free training the MLP of Paper A groks at a stable critical norm Wc; held at rho*Wc its grokking delay",
                "grows as exp(alpha*rho). normclock trains many seeds at once, records every run in an SQLite database",
                "(normclock.db in the --out folder) and prints T_mem, T_grok and the norm at grok."},
        subcommands = {TrainCommand.class, ReproduceCommand.class, AnalyzeCommand.class, ReportCommand.class, ExportCommand.class,
                BenchCommand.class, DevicesCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 internal error, 2 bad input (with one line saying what is wrong).",
                "Run 'normclock help COMMAND' or 'normclock COMMAND --help' for a command's options."})
public final class Main implements Runnable {
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The environment the commands read (NORMCLOCK_*, CUDA_HOME): the process's, or a test's. */
    private final Map<String, String> env;

    Main(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The environment of the command a subcommand runs under (its parent), or the process's. */
    static Map<String, String> env(Main parent) {
        return parent == null ? System.getenv() : parent.env;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, System.getenv());
    }

    /** As above, with the environment the commands read given (tests point NORMCLOCK_SIM_* at other builds this way). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        CommandLine cl = new CommandLine(new Main(env));
        cl.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most tools
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage()
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof ResultsException
                    || ex instanceof PopulationCheckpoint.CorruptCheckpointException || ex instanceof java.io.UncheckedIOException) {
                err.println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                return BAD_INPUT;
            }
            err.println(c.getCommandSpec().qualifiedName() + ": internal error: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        return cl.execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"normclock " + Version.VERSION + " (Java " + Runtime.version() + ", "
                    + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores)"};
        }
    }
}
