package dev.recall.runtime.eval.longbench;

import dev.recall.runtime.api.ChatPrompt;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.RequestLimits;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.strategy.StrategyReport;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs a LongBench task through a strategy and scores it as LongBench does: each sample's prompt
 * built as the OPRM reference builds it ({@link LongBenchTask}), a greedy answer of the task's
 * length, the task's metric against each reference answer (the best counts), and the mean × 100
 * rounded to two decimals, overall and per length bucket (LongBench-E's 0–4k, 4–8k and 8k+ by the
 * sample's {@code length}).
 */
public final class LongBenchEval {

    /** LongBench-E's buckets, by the sample's length: below 4,000, below 8,000, the rest. */
    public static final List<String> BUCKETS = List.of("0-4k", "4-8k", "8k+");

    private static final Pattern ERROR_WORD = Pattern.compile("\\bError\\b");

    /**
     * The reference's {@code max_len_per_seg}: OPRM reads a longer context this many tokens at a
     * time, keeps the segment whose chosen chunk is most certain (question answering), or answers
     * each segment and joins the answers (summaries).
     */
    public static final int DEFAULT_SEGMENT = 120_000;

    private LongBenchEval() {
    }

    /** One scored sample. */
    public record Row(int index, int length, String prediction, double score, Integer chosenChunk) {
    }

    /** A task's result under one strategy: its rows, the score, and the score per bucket (null for an empty bucket). */
    public record Result(String strategy, String task, List<Row> rows, double score, Map<String, Double> buckets) {
    }

    /**
     * @param strategy     the strategy and its options; OPRM's selection becomes the task's unless
     *                     {@code keepSelection}, and its IDK instruction is the task template's
     * @param maxTokens    tokens to generate (0: the task's)
     * @param segment      OPRM: context tokens read per segment ({@link #DEFAULT_SEGMENT} as the reference)
     * @param onRow        receives each row as it is scored
     */
    public static Result run(LoadedModel model, LongBenchTask task, List<LongBenchSample> samples,
                             StrategyOptions strategy, boolean keepSelection, boolean chat, int maxTokens, int segment,
                             ProgressListener progress, Consumer<Row> onRow) {
        if (segment < 1) {
            throw new IllegalArgumentException("the segment must be at least one token, got " + segment);
        }
        StrategyOptions options = strategy;
        if (strategy instanceof StrategyOptions.Oprm oprm) {
            // The task's templates carry the IDK instruction where the reference puts it.
            oprm = oprm.withIdkInstruction("");
            options = keepSelection ? oprm : oprm.withSelection(task.selection());
        }
        boolean idk = options instanceof StrategyOptions.Oprm o && !o.idkAnswers().isEmpty();
        LongContextStrategy longContext = Strategies.create(options, model.tokenizer());
        List<Integer> ends = chat ? ChatPrompt.of(model).turnEnds() : model.eosTokenIds();
        int tokens = maxTokens > 0 ? maxTokens : task.maxTokens();
        DecodeLoop.Options decode = new DecodeLoop.Options(SamplingOptions.greedy(tokens), StopCondition.eos(ends));
        DecodeLoop loop = new DecodeLoop(model.model(), model.tokenizer());
        List<Row> rows = new ArrayList<>();
        progress.update(0, samples.size(), "samples");
        for (int i = 0; i < samples.size(); i++) {
            LongBenchSample s = samples.get(i);
            Prompt prompt = model.prompt(task.before(idk), s.context(), task.question(s.input(), idk), options, chat,
                    RequestLimits.DEFAULT);
            Answer answer = options instanceof StrategyOptions.Oprm o && o.selection() != StrategyOptions.Selection.LAST
                    && prompt.context().length > segment
                    ? bySegments(model, loop, longContext, prompt, decode, segment, o.selection())
                    : once(model, loop, longContext, prompt, decode);
            String prediction = answer.text();
            if (idk && task.name().equals("qasper")) {
                // The reference asks for "Error" in place of "unanswerable" under the filter, and maps
                // it back before scoring ("so the Qasper score will work").
                prediction = ERROR_WORD.matcher(prediction).replaceAll("unanswerable");
            }
            Row row = new Row(i, s.length(), prediction, score(task, prediction, s), answer.chunk());
            rows.add(row);
            onRow.accept(row);
            progress.update(i + 1, samples.size(), "samples");
        }
        progress.finish();
        return new Result(options.name().equals("none") ? "plain" : options.name(), task.name(), rows,
                percent(rows.stream().map(Row::score).toList()), buckets(rows));
    }

    /** A sample's answer and, for OPRM, the chunk it came from (counted over the whole context). */
    private record Answer(String text, Integer chunk) {
    }

    private static Answer once(LoadedModel model, DecodeLoop loop, LongContextStrategy strategy, Prompt prompt,
                               DecodeLoop.Options decode) {
        Prepared prepared = strategy.prepare(model.model(), prompt, ProgressListener.NONE);
        // Closed after the answer, so that the next sample's state reuses its attention cache.
        try (ModelState state = prepared.state()) {
            String text = loop.decode(prepared, decode, TokenListener.NONE).text();
            return new Answer(text, prepared.diagnostics() instanceof StrategyReport.Oprm r ? r.chosenChunk() : null);
        }
    }

    /**
     * The reference's loop over segments of the context ({@code eval_longbench_oprm.py}): each
     * segment is read with the prefix and query as OPRM reads a context. Question answering keeps
     * the segment whose chosen chunk has the lowest entropy (an equal one later does not replace
     * it: {@code cur_min_ent > min_ent}); summaries answer every segment and join the answers, each
     * followed by a newline ({@code pred += decoded; pred += '\n'}).
     */
    private static Answer bySegments(LoadedModel model, DecodeLoop loop, LongContextStrategy strategy, Prompt prompt,
                                     DecodeLoop.Options decode, int segment, StrategyOptions.Selection selection) {
        int[] context = prompt.context();
        StringBuilder joined = new StringBuilder();
        Prepared best = null;
        double bestEntropy = Double.POSITIVE_INFINITY;
        int bestChunk = -1, chunksBefore = 0;
        try {
            for (int from = 0; from < context.length; from += segment) {
                Prompt part = new Prompt(prompt.prefix(), Arrays.copyOfRange(context, from,
                        Math.min(context.length, from + segment)), prompt.query());
                Prepared prepared = strategy.prepare(model.model(), part, ProgressListener.NONE);
                StrategyReport.Oprm report = (StrategyReport.Oprm) prepared.diagnostics();
                if (selection == StrategyOptions.Selection.ENTROPY_SUMMARY) {
                    try (ModelState state = prepared.state()) {
                        joined.append(loop.decode(prepared, decode, TokenListener.NONE).text()).append('\n');
                    }
                } else {
                    double entropy = report.entropies().get(report.chosenChunk());
                    if (entropy < bestEntropy) {
                        if (best != null) {
                            best.state().close();
                        }
                        best = prepared;
                        bestEntropy = entropy;
                        bestChunk = chunksBefore + report.chosenChunk();
                    } else {
                        prepared.state().close();
                    }
                }
                chunksBefore += report.chunks();
            }
            if (selection == StrategyOptions.Selection.ENTROPY_SUMMARY) {
                return new Answer(joined.toString(), null);
            }
            try (ModelState state = best.state()) {
                return new Answer(loop.decode(best, decode, TokenListener.NONE).text(), bestChunk);
            }
        } catch (RuntimeException | Error e) {
            if (best != null) {
                best.state().close();
            }
            throw e;
        }
    }

    /** The best score of the prediction over the sample's answers (eval.py's scorer). */
    public static double score(LongBenchTask task, String prediction, LongBenchSample sample) {
        String scored = LongBenchMetrics.firstLineFor(task.name(), prediction);
        double best = 0;
        for (String answer : sample.answers()) {
            best = Math.max(best, task.metric().score(scored, answer, sample.allClasses()));
        }
        return best;
    }

    /** {@code round(100 * np.mean(scores), 2)}; null for no scores (NumPy's mean of nothing is NaN). */
    public static Double percent(List<Double> scores) {
        if (scores.isEmpty()) {
            return null;
        }
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        // Python's round() rounds the double's exact value half to even.
        return new BigDecimal(100 * (sum / scores.size())).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** Scores per bucket of LongBench-E, in {@link #BUCKETS} order. */
    public static Map<String, Double> buckets(List<Row> rows) {
        Map<String, List<Double>> by = new LinkedHashMap<>();
        BUCKETS.forEach(b -> by.put(b, new ArrayList<>()));
        for (Row r : rows) {
            by.get(bucket(r.length())).add(r.score());
        }
        Map<String, Double> out = new LinkedHashMap<>();
        by.forEach((b, scores) -> out.put(b, percent(scores)));
        return out;
    }

    public static String bucket(int length) {
        return length < 4000 ? "0-4k" : length < 8000 ? "4-8k" : "8k+";
    }
}
