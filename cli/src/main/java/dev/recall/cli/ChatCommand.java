package dev.recall.cli;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.progress.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code recall chat}: a multi-turn conversation on stdin/stdout through the model's chat template and
 * generation defaults. One line in, one streamed reply out; {@code /reset} starts over, {@code /quit}
 * (or end of input) ends. A failed turn prints one line on stderr and the chat goes on.
 */
@Command(name = "chat", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Chat with a model: type a message, read the streamed reply.",
                "Commands: /reset (forget the conversation), /quit (or end of input)."})
public final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            defaultValue = "${sys:recall.home:-.}/models/zoo-mamba",
            description = "Model directory, or a Hugging Face id in the local cache. Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message that opens the conversation.")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens per reply (default: generation_config.json's max_new_tokens, else 256).")
    Integer maxTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature, 0 for greedy (default: as generation_config.json says).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k (0: off; default: generation_config.json).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p (1: off; default: generation_config.json).")
    Double topP;

    @Option(names = "--repetition-penalty", paramLabel = "R",
            description = "Repetition penalty (1: off; default: generation_config.json).")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed for sampling (default: a fresh one).")
    Long seed;

    @Mixin
    ExtraSamplingOptions extraSampling;

    @Option(names = "--no-progress", description = "Never draw a progress bar for long prompts.")
    boolean noProgress;

    private final Reader input;

    public ChatCommand() {
        this(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }

    /** A chat reading its messages from the given input (tests). */
    ChatCommand(Reader input) {
        this.input = input;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean interactive = System.console() != null;
        try (LoadedModel loaded = Recall.load(model)) {
            GenerateOptions options = options(loaded);
            Chat chat = loaded.chat();
            if (chat.usesFallbackFormat()) {
                err.println("recall: this model has no chat template; using a plain \"User: ...\" / \"Assistant:\" format");
                err.flush();
            }
            if (system != null) {
                chat.system(system);
            }
            BufferedReader lines = new BufferedReader(input);
            while (true) {
                if (interactive) {
                    RecallCli.stream(out, "> ");
                }
                String line = lines.readLine();
                if (line == null || line.strip().equals("/quit") || line.strip().equals("/exit")) {
                    break;
                }
                String message = line.strip();
                if (message.isEmpty()) {
                    continue;
                }
                if (message.equals("/reset")) {
                    chat.reset();
                    if (system != null) {
                        chat.system(system);
                    }
                    err.println("recall: conversation reset");
                    err.flush();
                    continue;
                }
                if (message.startsWith("/")) {
                    err.println("recall: unknown command " + message.split("\\s+")[0] + " (commands: /reset, /quit)");
                    err.flush();
                    continue;
                }
                turn(chat, line, options, out, err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    /** One exchange: the reply streams to out; a failure is one line on err and the chat goes on. */
    private void turn(Chat chat, String message, GenerateOptions options, PrintWriter out, PrintWriter err) {
        GenerateOptions turn = options.withProgress(ProgressBar.onTerminal(!noProgress));
        // The reply is stripped of leading whitespace as it streams ("Assistant: Hi" → "Hi").
        boolean[] started = {false};
        try {
            chat.send(message, turn, piece -> {
                String text = started[0] ? piece : piece.stripLeading();
                if (!text.isEmpty()) {
                    started[0] = true;
                    RecallCli.stream(out, text);
                }
            });
            out.println();
            out.flush();
        } catch (RecallException e) {
            if (started[0]) {
                out.println();
                out.flush();
            }
            err.println("recall: " + RecallCli.oneLine(e.getMessage()));
            err.flush();
        }
    }

    /** The model's generation defaults with the command line's overrides. */
    private GenerateOptions options(LoadedModel loaded) {
        GenerateOptions defaults = loaded.defaultOptions(seed != null ? seed : ThreadLocalRandom.current().nextLong());
        SamplingOptions d = defaults.sampling();
        SamplingOptions s = RecallCli.usage(spec, () -> extraSampling.applyTo(new SamplingOptions(
                temperature != null ? temperature : d.temperature(),
                topK != null ? topK : d.topK(),
                topP != null ? topP : d.topP(),
                d.seed(),
                repetitionPenalty != null ? repetitionPenalty : d.repetitionPenalty(),
                maxTokens != null ? maxTokens : d.maxTokens())));
        return defaults.withSampling(s);
    }
}
