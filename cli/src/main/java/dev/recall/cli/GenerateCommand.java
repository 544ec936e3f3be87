package dev.recall.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.ChatPrompt;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.RequestLimits;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.progress.ProgressBar;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/** {@code recall generate}: text from a prompt, or from a long context and a query through a strategy. */
@Command(name = "generate", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Generate text, streaming it to stdout as it comes.",
                "Give --prompt, or a long-context request: --context-file with optional --prefix and --query."})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64",
            description = "Most tokens to generate (0: none). Default: ${DEFAULT-VALUE}")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "Sampling temperature; 0 is greedy (argmax). Default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
            description = "Sample among the K most likely tokens (0: off). Default: ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1",
            description = "Sample from the smallest set of tokens with probability ≥ P (1: off). Default: ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--seed", paramLabel = "N",
            description = "Random seed for sampling (default: a fresh one; --verbose prints it).")
    Long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1",
            description = "Penalty for tokens already in the prompt or output (1: off). Default: ${DEFAULT-VALUE}")
    double repetitionPenalty;

    @Mixin
    ExtraSamplingOptions extraSampling;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop when the output contains TEXT (which is not printed). Repeatable.")
    List<String> stopStrings = new ArrayList<>();

    @Option(names = "--context-file", paramLabel = "FILE", description = "Long context: a UTF-8 text file.")
    Path contextFile;

    @Option(names = "--prefix", paramLabel = "TEXT", description = "Instruction before the context.")
    String prefix;

    @Option(names = "--query", paramLabel = "TEXT", description = "Question after the context.")
    String query;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "none",
            description = "How the prompt is consumed: none, oprm, lm-infinite. Default: ${DEFAULT-VALUE}")
    String strategy;

    @Mixin
    StrategyFlags strategyFlags;

    @Option(names = "--chat", description = "Send --prompt as one user message through the model's chat template, "
            + "with generation_config.json's sampling defaults (options given here override them) and its stop ids; "
            + "with a long-context request, prefix + context + query become that one message (OPRM: every chunk's).")
    boolean chat;

    @Option(names = "--no-progress", description = "No progress bar on stderr (it only appears on a terminal, for work over half a second).")
    boolean noProgress;

    @Option(names = "--verbose", description = "Print the strategy's diagnostics and timings to stderr.")
    boolean verbose;

    @Option(names = "--json", description = "Print one JSON object when done (the text, why it stopped, token "
            + "counts, speeds, the strategy's diagnostics) instead of streaming the text.")
    boolean json;

    @Option(names = "--save-state", paramLabel = "FILE",
            description = "Save the state after the prefix and context (before the query) to FILE, then answer as usual.")
    Path saveState;

    @Option(names = "--load-state", paramLabel = "FILE",
            description = "Continue from a state saved with --save-state: only --query (or --prompt) is read.")
    Path loadState;

    @Override
    public Integer call() {
        boolean longContext = contextFile != null || prefix != null || query != null;
        if (prompt != null && longContext) {
            throw new ParameterException(spec.commandLine(),
                    "give either --prompt or a long-context request (--prefix, --context-file, --query), not both");
        }
        if (prompt == null && !longContext) {
            throw new ParameterException(spec.commandLine(), "give --prompt TEXT, or --context-file FILE with --query TEXT");
        }
        long actualSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        if (chat && !longContext) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--strategy")) {
                throw new ParameterException(spec.commandLine(),
                        "--chat with --prompt is one chat turn; a --strategy needs a long-context request (--context-file, --query)");
            }
            StrategyOptionUse.requireRead(spec, List.of("none")); // a chat turn reads its whole transcript
            return chatTurn(actualSeed);
        }
        SamplingOptions sampling = RecallCli.usage(spec,
                () -> extraSampling.applyTo(new SamplingOptions(temperature, topK, topP, actualSeed, repetitionPenalty,
                        maxTokens)));
        StrategyOptions strategyOptions = RecallCli.usage(spec,
                () -> strategyFlags.options(strategy));
        StrategyOptionUse.requireRead(spec, List.of(strategy));
        checkStateOptions();
        if (chat && (saveState != null || loadState != null)) {
            throw new ParameterException(spec.commandLine(), "--chat wraps the whole request in one turn: it cannot be"
                    + " combined with --save-state or --load-state");
        }
        String contextText = contextFile == null ? null : readContext(contextFile);

        // Through the embedding API, as an embedding program would: the same prompt encoding, the
        // same session, the same decode loop.
        try (LoadedModel loaded = model.load()) {
            GenerateOptions options = new GenerateOptions(sampling, strategyOptions, stopStrings,
                    ProgressBar.onTerminal(!noProgress));
            PrintWriter out = spec.commandLine().getOut();
            TokenListener listener = json ? TokenListener.NONE : piece -> RecallCli.stream(out, piece);
            GenerationResult result;
            if (loadState != null) {
                // The saved state holds the prefix and context: only the question is new.
                Session session = loaded.restore(loadState);
                String text = query != null ? query : prompt;
                result = session.generate(Prompt.plain(loaded.tokenizer().encode(text)), options, listener);
            } else if (saveState != null) {
                Prompt request = request(loaded, contextText, strategyOptions);
                Session session = loaded.session();
                // Read the prefix and context, save, then ask: the query is not part of the file.
                session.generate(new Prompt(request.prefix(), request.context(), new int[0]), options.withMaxTokens(0),
                        TokenListener.NONE);
                session.save(saveState);
                // The strategy has read the context; the question is appended as it is.
                result = session.generate(Prompt.plain(request.query()), options.withStrategy(StrategyOptions.none()),
                        listener);
            } else if (chat) {
                result = loaded.session().generate(request(loaded, contextText, strategyOptions), options, listener,
                        ChatPrompt.of(loaded).turnEnds());
            } else {
                result = loaded.session().generate(request(loaded, contextText, strategyOptions), options, listener);
            }
            finish(out, result, sampling);
        }
        return 0;
    }

    /**
     * The request's token ids: a long-context request's three parts as its strategy reads them
     * (with --chat, in one turn of the chat template), or the plain prompt.
     */
    private Prompt request(LoadedModel loaded, String contextText, StrategyOptions strategyOptions) {
        return prompt == null ? loaded.prompt(prefix, contextText, query, strategyOptions, chat, RequestLimits.DEFAULT)
                : loaded.prompt(null, prompt, null);
    }

    /**
     * --save-state splits the request after the context, which OPRM cannot do (it reads every
     * chunk with the query); --load-state brings its own context, so it takes only the question.
     */
    private void checkStateOptions() {
        if (saveState != null && loadState != null) {
            throw new ParameterException(spec.commandLine(), "give --save-state or --load-state, not both");
        }
        if (saveState != null && strategy.equals("oprm")) {
            throw new ParameterException(spec.commandLine(),
                    "--save-state cannot be used with --strategy oprm: OPRM reads every chunk with the query");
        }
        if (loadState != null && (contextFile != null || prefix != null
                || spec.commandLine().getParseResult().hasMatchedOption("--strategy"))) {
            throw new ParameterException(spec.commandLine(),
                    "--load-state continues a saved context: give only --query (or --prompt), not --context-file, "
                            + "--prefix or --strategy");
        }
    }

    /** One user message through the chat template; the reply streams to stdout. */
    private int chatTurn(long actualSeed) {
        ParseResult parsed = spec.commandLine().getParseResult();
        try (LoadedModel loaded = model.load()) {
            GenerateOptions defaults = loaded.defaultOptions(actualSeed);
            SamplingOptions d = defaults.sampling();
            SamplingOptions s = RecallCli.usage(spec, () -> extraSampling.applyTo(new SamplingOptions(
                    parsed.hasMatchedOption("--temperature") ? temperature : d.temperature(),
                    parsed.hasMatchedOption("--top-k") ? topK : d.topK(),
                    parsed.hasMatchedOption("--top-p") ? topP : d.topP(),
                    actualSeed,
                    parsed.hasMatchedOption("--repetition-penalty") ? repetitionPenalty : d.repetitionPenalty(),
                    parsed.hasMatchedOption("--max-tokens") || d.maxTokens() <= 0 ? maxTokens : d.maxTokens())));
            GenerateOptions options = defaults.withSampling(s).withProgress(ProgressBar.onTerminal(!noProgress));
            if (!stopStrings.isEmpty()) {
                options = options.withStopStrings(stopStrings);
            }
            Chat conversation = loaded.chat();
            PrintWriter out = spec.commandLine().getOut();
            if (conversation.usesFallbackFormat()) {
                spec.commandLine().getErr().println("recall: this model has no chat template; using a plain \"User: ...\" / \"Assistant:\" format");
                spec.commandLine().getErr().flush();
            }
            GenerationResult result = conversation.respond(prompt, options,
                    json ? null : piece -> RecallCli.stream(out, piece));
            finish(out, result, s);
        }
        return 0;
    }

    /** Ends the streamed text with a newline, or prints the JSON object; then --verbose's report. */
    private void finish(PrintWriter out, GenerationResult result, SamplingOptions sampling) {
        if (json) {
            out.println(toJson(result, sampling));
        } else {
            out.println();
        }
        out.flush();
        if (verbose) {
            report(spec.commandLine().getErr(), result, sampling);
        }
    }

    /** What --json prints: the text, why generation stopped, the counts, the speeds, the diagnostics. */
    static ObjectNode toJson(GenerationResult r, SamplingOptions sampling) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.put("text", r.text());
        o.put("stop_reason", r.stopReason().name().toLowerCase(Locale.ROOT));
        o.put("prompt_tokens", r.promptTokens());
        o.put("generated_tokens", r.ids().length);
        o.put("prefill_seconds", r.prefillNanos() / 1e9);
        o.put("decode_seconds", r.decodeNanos() / 1e9);
        putRate(o, "prefill_tokens_per_s", r.prefillTokensPerSecond());
        putRate(o, "decode_tokens_per_s", r.decodeTokensPerSecond());
        if (!sampling.isGreedy()) {
            o.put("seed", sampling.seed());
        }
        o.set("diagnostics", mapper.valueToTree(r.diagnostics().asMap()));
        return o;
    }

    /** A rate, or null where there was nothing to time (JSON has no NaN). */
    private static void putRate(ObjectNode o, String name, double rate) {
        if (Double.isNaN(rate)) {
            o.putNull(name);
        } else {
            o.put(name, rate);
        }
    }

    private static String readContext(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new RecallException(Files.isDirectory(file) ? "the context file " + file + " is a directory"
                    : "context file not found: " + file);
        }
        try {
            // A file too large for any prompt is refused before it is read into memory.
            RequestLimits.DEFAULT.checkPromptFileBytes(Files.size(file), "the context file " + file);
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecallException("cannot read context file " + file + ": " + IoErrors.describe(e), e);
        }
    }

    private static void report(PrintWriter err, GenerationResult r, SamplingOptions sampling) {
        for (Map.Entry<String, Object> e : r.diagnostics().asMap().entrySet()) {
            err.println(e.getKey() + ": " + Formats.value(e.getValue()));
        }
        err.printf("prompt: %d tokens, prefill %s (%s tokens/s)%n", r.promptTokens(),
                Formats.duration(r.prefillNanos()), Formats.rate(r.prefillTokensPerSecond()));
        err.printf("generated: %d tokens, stopped by %s, decode %s (%s tokens/s)%n", r.ids().length,
                r.stopReason().name().toLowerCase().replace('_', ' '), Formats.duration(r.decodeNanos()),
                Formats.rate(r.decodeTokensPerSecond()));
        if (!sampling.isGreedy()) {
            err.println("seed: " + sampling.seed());
        }
        err.flush();
    }
}
