package dev.recall.cli;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Parallel;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The {@code recall} command. Errors end in one line on stderr: {@code recall: <message>}, exit code 1
 * for a failed run and 2 for a bad command line. Stack traces only for unexpected exceptions, and only
 * with {@code --debug} or {@code RECALL_DEBUG=1}.
 */
@Command(name = "recall",
        description = "Pure-Java runtime for long-context language models.",
        // The one list of subcommands: add new ones here.
        subcommands = {GenerateCommand.class, ChatCommand.class, EvalCommand.class, InfoCommand.class, LogitsCommand.class, TokenizeCommand.class, QuantizeCommand.class,
                SynthCommand.class, BenchCommand.class, ServeCommand.class},
        synopsisSubcommandLabel = "COMMAND",
        versionProvider = RecallCli.Version.class,
        usageHelpAutoWidth = true)
public final class RecallCli implements Callable<Integer> {

    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    /** What a shell reports for a process ended by SIGPIPE: its reader closed the pipe. */
    static final int EXIT_BROKEN_PIPE = 141;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "Show this help.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version, the Java runtime and the kernels in use (SIMD width).")
    boolean version;

    @Option(names = "--threads", paramLabel = "N", scope = ScopeType.INHERIT,
            description = "Worker threads for the numerics (default: all cores).")
    Integer threads;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print stack traces of unexpected errors (also RECALL_DEBUG=1).")
    boolean debug;

    public static void main(String[] args) {
        // Library log lines (the scalar-kernel notice, say) in the CLI's own one-line style, unless
        // the user configured java.util.logging's format. Set before the first logger exists.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "recall: %4$s: %5$s%n");
        }
        WatchedOutput stdout = new WatchedOutput(new FileOutputStream(FileDescriptor.out));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8));
        int code;
        try {
            code = commandLine(out, err).execute(args);
        } catch (OutOfMemoryError e) {
            err.println("recall: out of memory (give the JVM more heap, e.g. JAVA_OPTS=-Xmx16g bin/recall ...)");
            code = EXIT_FAILURE;
        }
        out.flush();
        code = withOutputFailure(code, stdout.failure, err);
        err.flush();
        System.exit(code);
    }

    /**
     * The exit code once standard output's first write failure (or null) is known. PrintWriter
     * swallows write errors, so a full disk would otherwise pass as success; a reader that stopped
     * early (| head) is no error of ours: quiet, with the shell's SIGPIPE status.
     */
    static int withOutputFailure(int code, IOException failure, PrintWriter err) {
        if (failure == null || (code != 0 && code != EXIT_BROKEN_PIPE)) {
            return code;
        }
        if ("Broken pipe".equals(failure.getMessage())) {
            return EXIT_BROKEN_PIPE;
        }
        err.println("recall: cannot write to standard output: " + IoErrors.describe(failure));
        return EXIT_FAILURE;
    }

    /** The configured command line, writing to the given streams (tests run it in-process). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        RecallCli root = new RecallCli();
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            root.applyGlobalOptions();
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandSpec at = e.getCommandLine().getCommandSpec();
            String command = at.qualifiedName();
            String message = oneLine(e.getMessage());
            if (e instanceof CommandLine.UnmatchedArgumentException u && !at.subcommands().isEmpty()
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
                message = "unknown command '" + u.getUnmatched().getFirst() + "' (commands: "
                        + String.join(", ", at.subcommands().keySet()) + ")";
            }
            err.println("recall: " + message + " (see '" + command + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof OutputGone) {
                return EXIT_BROKEN_PIPE; // main's withOutputFailure says why, or stays quiet for a closed pipe
            }
            RecallException known = recallExceptionIn(e);
            if (known != null) {
                err.println("recall: " + oneLine(known.getMessage()) + flags(known));
            } else {
                err.println("recall: unexpected error: " + oneLine(String.valueOf(e))
                        + (root.debugging() ? "" : " (run with --debug for details)"));
                if (root.debugging()) {
                    e.printStackTrace(err);
                }
            }
            err.flush();
            return EXIT_FAILURE;
        });
        return cl;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a command is required: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** More threads than this many per core only wait for one another (and take long to start). */
    static final int MAX_THREADS_PER_CORE = 8;

    private void applyGlobalOptions() {
        if (threads != null) {
            if (threads < 1) {
                throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
            }
            int cores = Runtime.getRuntime().availableProcessors();
            if (threads > MAX_THREADS_PER_CORE * cores) {
                throw new ParameterException(spec.commandLine(), "--threads " + threads + " is more than "
                        + MAX_THREADS_PER_CORE + " per core of this machine's " + cores + "; more only wait for each other");
            }
            Parallel.setThreads(threads);
        }
    }

    /**
     * Builds an option value whose own checks throw a RecallException (a negative temperature, an
     * unknown strategy) and reports a failure as a command-line error: exit code 2, like picocli's.
     */
    static <T> T usage(CommandSpec spec, Supplier<T> build) {
        try {
            return build.get();
        } catch (RecallException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage() + flags(e), e);
        }
    }

    /** The command line's flags for the settings an API error names (API name → flag). */
    private static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("chunk", "--chunk"), Map.entry("trainLength", "--train-length"),
            Map.entry("window", "--window"), Map.entry("dMax", "--d-max"),
            Map.entry("idkFilter", "--no-idk-filter"), Map.entry("chat", "--chat"),
            Map.entry("strategy", "--strategy"), Map.entry("prefix", "--prefix"),
            Map.entry("context", "--context-file"), Map.entry("query", "--query"),
            Map.entry("topKFromLayer", "--top-k-from-layer"));

    /** " (--chunk, --train-length)" for an error naming those settings; "" for one naming none. */
    static String flags(RecallException e) {
        List<String> named = e.options().stream().map(FLAGS::get).filter(Objects::nonNull).toList();
        return named.isEmpty() ? "" : " (" + String.join(", ", named) + ")";
    }

    /**
     * Writes streamed text (a generated piece, a chat prompt) and flushes it; once {@code out} has
     * failed, because its reader has gone ({@code recall generate ... | head -c 100}) or the disk is
     * full, ends the command with {@link OutputGone} instead of generating on for nobody.
     */
    static void stream(PrintWriter out, String text) {
        out.print(text);
        if (out.checkError()) { // flushes, then tells whether any write so far has failed
            throw new OutputGone();
        }
    }

    /**
     * Standard output can no longer be written; thrown out of a streaming command to end it. Its
     * exit status comes from the write failure itself ({@link #withOutputFailure}).
     */
    static final class OutputGone extends RuntimeException {
        OutputGone() {
            super("standard output can no longer be written", null, false, false);
        }
    }

    /** Standard output that remembers the first write failure, which the PrintWriter above it swallows. */
    static final class WatchedOutput extends FilterOutputStream {
        volatile IOException failure;

        WatchedOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw remember(e);
            }
        }

        private IOException remember(IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }
    }

    /** What a bug report needs: this build, the Java runtime, the vector width the kernels run at, the cores. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RecallCli.class.getPackage().getImplementationVersion();
            return new String[] {
                    "recall " + (v == null ? "(development build)" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                    "kernels: " + KernelProvider.get().describe() + ", "
                            + Runtime.getRuntime().availableProcessors() + " cores"};
        }
    }

    private boolean debugging() {
        return debug || "1".equals(System.getenv("RECALL_DEBUG"));
    }

    /** The project's own error, possibly wrapped by a thread pool or an I/O layer. */
    private static RecallException recallExceptionIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RecallException r) {
                return r;
            }
        }
        return null;
    }

    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
