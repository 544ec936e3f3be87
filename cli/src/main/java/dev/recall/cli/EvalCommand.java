package dev.recall.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.eval.PasskeyEval;
import dev.recall.runtime.eval.PasskeyPrompt;
import dev.recall.runtime.eval.PerplexityEval;
import dev.recall.runtime.eval.SvgChart;
import dev.recall.runtime.eval.longbench.LongBenchEval;
import dev.recall.runtime.eval.longbench.LongBenchSample;
import dev.recall.runtime.eval.longbench.LongBenchTask;
import dev.recall.runtime.progress.ProgressBar;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recall eval}: the long-context evaluations of the reference table, written as JSON (and
 * optionally drawn as an SVG line chart over context length).
 */
@Command(name = "eval", usageHelpAutoWidth = true, synopsisSubcommandLabel = "passkey | perplexity | longbench",
        description = "Long-context evaluations: pass-key retrieval accuracy, perplexity versus context length, "
                + "and LongBench tasks scored with LongBench's metrics.",
        subcommands = {EvalCommand.Passkey.class, EvalCommand.Perplexity.class, EvalCommand.LongBench.class})
public final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "an evaluation is required: passkey, perplexity or longbench");
    }

    @Command(name = "passkey", sortOptions = false, usageHelpAutoWidth = true,
            header = "Pass-key retrieval accuracy of each method over a file of prompts.",
            description = "Each prompt goes through the method and the model answers greedily, at most 6 tokens; "
                    + "an answer is correct when it contains the key. Prompts are JSON lines in the "
                    + "passkey_prompts.jsonl format.")
    static final class Passkey implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        ModelOption model;

        @Option(names = "--prompts", paramLabel = "FILE", required = true,
                description = "Prompts as JSON lines (length, depth, key, prompt_ids, prefix_ids, query_ids).")
        Path prompts;

        @Option(names = "--strategy", paramLabel = "NAME", split = ",",
                description = "none (reported as plain), oprm or lm-infinite; a comma-separated list runs each. "
                        + "Default: none")
        List<String> methods = List.of("none");

        /** The option's earlier name, still read so that existing scripts run; every command says --strategy. */
        @Option(names = "--method", hidden = true, split = ",", paramLabel = "NAME")
        void method(List<String> names) {
            methods = names;
        }

        @Mixin
        StrategyFlags strategyFlags;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Results as JSON.")
        Path out;

        @Option(names = "--plot", paramLabel = "FILE", description = "Accuracy versus context length as SVG.")
        Path plot;

        /**
         * The zoo's pass-key prompts are token ids, with the IDK answer the reference table used
         * (" unknown.") and no instruction to add: that is OPRM's default here, --idk overrides it.
         */
        private StrategyOptions passkeyOptions(String method) {
            StrategyOptions o = strategyFlags.options(method);
            if (o instanceof StrategyOptions.Oprm oprm && strategyFlags.idk.isEmpty() && strategyFlags.idkPhrase == null) {
                return oprm.withIdk(List.of(PasskeyPrompt.IDK_ANSWER));
            }
            return o;
        }

        @Override
        public Integer call() {
            checkWritable(out);
            checkWritable(plot);
            // By label: "none" is another name of the plain method, and reported as "plain".
            Map<String, StrategyOptions> options = new LinkedHashMap<>();
            for (String method : methods) {
                options.put(method.equals("none") ? "plain" : method, RecallCli.usage(spec,
                        () -> passkeyOptions(method)));
            }
            StrategyOptionUse.requireRead(spec, methods);
            if (spec.commandLine().getParseResult().hasMatchedOption("--idk-instruction")) {
                throw new ParameterException(spec.commandLine(), "--idk-instruction cannot be used here: the pass-key"
                        + " prompts are token ids, with no query text to add it to");
            }
            List<PasskeyPrompt> all = PasskeyPrompt.read(prompts);
            PrintWriter log = spec.commandLine().getOut();
            Map<String, Object> byMethod = new LinkedHashMap<>();
            SvgChart chart = new SvgChart("Pass-key accuracy: " + model.dir().getFileName(), "context length (tokens)",
                    "accuracy").yRange(0, 1);
            try (LoadedModel loaded = model.load()) {
                LanguageModel lm = loaded.model();
                Tokenizer tokenizer = loaded.tokenizer();
                for (String method : options.keySet()) {
                    LongContextStrategy strategy = Strategies.create(options.get(method), tokenizer);
                    List<PasskeyEval.Row> rows = new ArrayList<>();
                    for (PasskeyPrompt p : all) {
                        PasskeyEval.Row row = PasskeyEval.run(lm, tokenizer, strategy, p);
                        rows.add(row);
                        log.printf(Locale.ROOT, "%-11s length %5d depth %.2f key %s answer %-14s %s%s%n", method,
                                row.length(), row.depth(), row.key(), quote(row.answer()), row.correct() ? "ok" : "--",
                                row.chosenChunk() == null ? "" : "  chunk " + row.chosenChunk());
                        log.flush();
                    }
                    PasskeyEval.Result result = new PasskeyEval.Result(method, PasskeyEval.accuracy(rows), rows);
                    byMethod.put(method, result.toJson());
                    chart.add(method, result.accuracy());
                    result.accuracy().forEach((len, acc) ->
                            log.printf(Locale.ROOT, "%-11s accuracy at %5d: %.2f%n", method, len, acc));
                }
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.dir().toString());
            json.put("prompts", prompts.toString());
            json.put("passkey", byMethod);
            write(out, json);
            if (plot != null) {
                writeText(plot, chart.render());
            }
            return 0;
        }
    }

    @Command(name = "perplexity", sortOptions = false, usageHelpAutoWidth = true,
            header = "Perplexity versus context length under each attention strategy.",
            description = "The text is tokenised document by document (split on \"\\n<|endoftext|>\\n\", with "
                    + "<|endoftext|> after each); the perplexity at length L is exp(mean negative log-likelihood) "
                    + "over 4 windows of L + 1 tokens at offsets 5000 + w·8192.")
    static final class Perplexity implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        ModelOption model;

        @Option(names = "--text", paramLabel = "FILE", required = true, description = "UTF-8 corpus.")
        Path text;

        @Option(names = "--lengths", paramLabel = "L,...", split = ",", required = true,
                description = "Context lengths in tokens, e.g. 256,1024,2048,4096.")
        List<Integer> lengths;

        @Option(names = "--strategy", paramLabel = "NAME", split = ",", defaultValue = "none",
                description = "none or lm-infinite; a comma-separated list runs each. Default: ${DEFAULT-VALUE}")
        List<String> strategies;

        @Mixin
        StrategyFlags strategyFlags;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Results as JSON.")
        Path out;

        @Option(names = "--plot", paramLabel = "FILE", description = "Perplexity versus context length as SVG.")
        Path plot;

        @Override
        public Integer call() {
            checkWritable(out);
            checkWritable(plot);
            StrategyOptionUse.requireRead(spec, strategies);
            if (!Files.isRegularFile(text)) {
                throw new RecallException("text file not found: " + text);
            }
            String corpus;
            try {
                corpus = Files.readString(text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new RecallException("cannot read " + text + ": " + IoErrors.describe(e), e);
            }
            PrintWriter log = spec.commandLine().getOut();
            Map<String, Object> byStrategy = new LinkedHashMap<>();
            SvgChart chart = new SvgChart("Perplexity: " + model.dir().getFileName(), "context length (tokens)", "perplexity");
            try (LoadedModel loaded = model.load()) {
                LanguageModel lm = loaded.model();
                Tokenizer tokenizer = loaded.tokenizer();
                int[] ids = PerplexityEval.tokenize(corpus, tokenizer, PerplexityEval.endOfTextId(tokenizer, lm));
                log.printf(Locale.ROOT, "%d tokens%n", ids.length);
                for (String strategy : strategies) {
                    AttentionPolicy policy = PerplexityEval.policy(strategyFlags.options(strategy), lm);
                    Map<String, Object> values = new LinkedHashMap<>();
                    Map<Integer, Double> points = new LinkedHashMap<>();
                    for (int len : lengths) {
                        double ppl = PerplexityEval.perplexity(lm, policy, ids, len);
                        values.put(Integer.toString(len), ppl);
                        points.put(len, ppl);
                        log.printf(Locale.ROOT, "%-11s perplexity at %5d: %.3f%n", strategy, len, ppl);
                        log.flush();
                    }
                    byStrategy.put(strategy, values);
                    chart.add(strategy.equals("none") ? "plain" : strategy, points);
                }
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.dir().toString());
            json.put("text", text.toString());
            json.put("perplexity", byStrategy);
            write(out, json);
            if (plot != null) {
                writeText(plot, chart.render());
            }
            return 0;
        }
    }

    @Command(name = "longbench", sortOptions = false, usageHelpAutoWidth = true,
            header = "A LongBench task through each strategy, scored with LongBench's metric.",
            description = "Reads LongBench's JSON lines (input, context, answers, all_classes, length), builds each "
                    + "prompt as the OPRM reference does for the task (its instruction, the IDK form under OPRM's "
                    + "filter, its selection rule and answer length), answers greedily and scores the answer with the "
                    + "task's metric: overall and per length bucket (0-4k, 4-8k, 8k+), as a table, JSON and an SVG chart.")
    static final class LongBench implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        ModelOption model;

        @Option(names = "--data", paramLabel = "FILE", required = true, description = "The task's samples as JSON lines.")
        Path data;

        @Option(names = "--task", paramLabel = "NAME", required = true,
                description = "The task: hotpotqa, 2wikimqa, musique, narrativeqa, qasper, multifieldqa_en, gov_report, "
                        + "qmsum, multi_news, trec, triviaqa, samsum, passage_count, passage_retrieval_en, lcc, repobench-p.")
        String task;

        @Option(names = "--strategy", paramLabel = "NAME", split = ",",
                description = "none (reported as plain), oprm or lm-infinite; a comma-separated list runs each. "
                        + "Default: none")
        List<String> methods = List.of("none");

        @Mixin
        StrategyFlags strategyFlags;

        @Option(names = "--chat", description = "Wrap each prompt in one user turn of the model's chat template "
                + "(the reference writes each model's turn markers around it).")
        boolean chat;

        @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
                description = "Tokens each answer may have (0: the task's, as the reference sets them).")
        int maxTokens;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Only the first N samples (0: all).")
        int limit;

        @Option(names = "--segment", paramLabel = "N", defaultValue = "120000",
                description = "OPRM: context tokens read at a time, as the reference does (question answering keeps "
                        + "the most certain segment, summaries join one answer per segment). Default: ${DEFAULT-VALUE}")
        int segment;

        @Option(names = "--no-progress", description = "No progress bar on stderr.")
        boolean noProgress;

        @Option(names = "--out", paramLabel = "FILE", required = true,
                description = "Results as JSON: every prediction and score, the totals and the buckets.")
        Path out;

        @Option(names = "--plot", paramLabel = "FILE", description = "Score per length bucket as SVG.")
        Path plot;

        @Override
        public Integer call() {
            if (maxTokens < 0 || limit < 0) {
                throw new ParameterException(spec.commandLine(), "--max-tokens and --limit must not be negative");
            }
            if (segment < 1) {
                throw new ParameterException(spec.commandLine(), "--segment must be at least 1, got " + segment);
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--segment") && !methods.contains("oprm")) {
                throw new ParameterException(spec.commandLine(), "--segment is read only by oprm, which this run does not"
                        + " use (it uses " + String.join(", ", methods) + ")");
            }
            LongBenchTask longBenchTask = RecallCli.usage(spec, () -> LongBenchTask.named(task));
            Map<String, StrategyOptions> options = new LinkedHashMap<>();
            for (String method : methods) {
                options.put(method.equals("none") ? "plain" : method, RecallCli.usage(spec,
                        () -> strategyFlags.options(method)));
            }
            StrategyOptionUse.requireRead(spec, methods);
            boolean keepSelection = spec.commandLine().getParseResult().hasMatchedOption("--select");
            checkWritable(out);
            checkWritable(plot);
            List<LongBenchSample> samples = LongBenchSample.read(data);
            if (limit > 0 && samples.size() > limit) {
                samples = samples.subList(0, limit);
            }
            PrintWriter log = spec.commandLine().getOut();
            Map<String, Object> byStrategy = new LinkedHashMap<>();
            List<LongBenchEval.Result> results = new ArrayList<>();
            try (LoadedModel loaded = model.load()) {
                for (Map.Entry<String, StrategyOptions> e : options.entrySet()) {
                    String label = e.getKey();
                    LongBenchEval.Result result = LongBenchEval.run(loaded, longBenchTask, samples, e.getValue(),
                            keepSelection, chat, maxTokens, segment, ProgressBar.onTerminal(!noProgress), row -> {
                                log.printf(Locale.ROOT, "%-11s sample %4d length %6d score %.4f  %s%n", label, row.index(),
                                        row.length(), row.score(), quote(row.prediction()));
                                log.flush();
                            });
                    results.add(result);
                    byStrategy.put(label, resultJson(result));
                }
            }
            log.println();
            log.println(table(longBenchTask, results));
            log.flush();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.dir().toString());
            json.put("data", data.toString());
            json.put("task", longBenchTask.name());
            json.put("metric", longBenchTask.metric().name().toLowerCase(Locale.ROOT));
            json.put("samples", samples.size());
            json.put("results", byStrategy);
            write(out, json);
            if (plot != null) {
                SvgChart chart = new SvgChart("LongBench " + longBenchTask.name() + ": " + model.dir().getFileName(),
                        "sample length (bucket middles: 0-4k, 4-8k, 8k+)", "score").yRange(0, 100);
                for (LongBenchEval.Result r : results) {
                    Map<Integer, Double> points = new LinkedHashMap<>();
                    int[] middles = {2000, 6000, 12000};
                    for (int b = 0; b < LongBenchEval.BUCKETS.size(); b++) {
                        Double v = r.buckets().get(LongBenchEval.BUCKETS.get(b));
                        if (v != null) {
                            points.put(middles[b], v);
                        }
                    }
                    chart.add(r.strategy(), points);
                }
                writeText(plot, chart.render());
            }
            return 0;
        }

        private static Map<String, Object> resultJson(LongBenchEval.Result r) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("score", r.score());
            o.put("buckets", r.buckets());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (LongBenchEval.Row row : r.rows()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("index", row.index());
                m.put("length", row.length());
                m.put("pred", row.prediction());
                m.put("score", row.score());
                if (row.chosenChunk() != null) {
                    m.put("chosen_chunk", row.chosenChunk());
                }
                rows.add(m);
            }
            o.put("rows", rows);
            return o;
        }

        /** The scores as a Markdown table: one row per strategy, overall and per bucket ("-": no sample). */
        static String table(LongBenchTask task, List<LongBenchEval.Result> results) {
            StringBuilder b = new StringBuilder("| " + task.name() + " | all | " + String.join(" | ", LongBenchEval.BUCKETS)
                    + " |\n|---|---|---|---|---|\n");
            for (LongBenchEval.Result r : results) {
                b.append("| ").append(r.strategy()).append(" | ").append(format(r.score()));
                for (String bucket : LongBenchEval.BUCKETS) {
                    b.append(" | ").append(format(r.buckets().get(bucket)));
                }
                b.append(" |\n");
            }
            return b.toString().stripTrailing();
        }

        private static String format(Double v) {
            return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    private static void write(Path file, Map<String, Object> json) {
        try {
            writeText(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeText(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + IoErrors.describe(e), e);
        }
    }

    /**
     * Fails now, before an evaluation that may run for minutes, when a result file could not be
     * written at the end: a directory in its place, or a folder that cannot be made or written.
     */
    static void checkWritable(Path file) {
        if (file == null) {
            return;
        }
        if (Files.isDirectory(file)) {
            throw new RecallException("cannot write " + file + ": it is a directory");
        }
        Path parent = file.toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + IoErrors.describe(e), e);
        }
        if (parent != null && !Files.isWritable(parent) || Files.exists(file) && !Files.isWritable(file)) {
            throw new RecallException("cannot write " + file + ": permission denied");
        }
    }
}
