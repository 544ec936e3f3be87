package dev.recall.runtime.eval;

import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.StrategyReport;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pass-key retrieval task of the reference table: each prompt through a strategy, then greedy
 * decoding (the project's one {@link DecodeLoop}) of at most {@value #MAX_ANSWER_TOKENS} tokens
 * stopping at the model's EOS (&lt;|endoftext|&gt; in the zoo); an answer is correct when its text
 * contains the key.
 */
public final class PasskeyEval {

    public static final int MAX_ANSWER_TOKENS = 6;

    private PasskeyEval() {
    }

    /** One prompt's outcome; chosenChunk, entropies and idk are OPRM's (null otherwise). */
    public record Row(int length, double depth, String key, String answer, boolean correct, Integer chosenChunk,
                      List<Double> entropies, List<Boolean> idk) {

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("length", length);
            m.put("depth", depth);
            m.put("key", key);
            m.put("answer", answer);
            m.put("correct", correct);
            m.put("chosen_chunk", chosenChunk);
            m.put("entropies", entropies);
            m.put("idk", idk);
            return m;
        }
    }

    /** Accuracy per context length (in the prompts' order) and every row. */
    public record Result(String method, Map<Integer, Double> accuracy, List<Row> rows) {

        public Map<String, Object> toJson() {
            Map<String, Object> acc = new LinkedHashMap<>();
            accuracy.forEach((len, a) -> acc.put(Integer.toString(len), a));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", method);
            m.put("accuracy", acc);
            m.put("rows", rows.stream().map(Row::toJson).toList());
            return m;
        }
    }

    public static Row run(LanguageModel model, Tokenizer tokenizer, LongContextStrategy strategy, PasskeyPrompt p) {
        Prepared prepared = strategy.prepare(model, p.prompt());
        GenerationResult generated;
        // Closed after the answer, so that the next prompt's state reuses its attention cache.
        try (ModelState state = prepared.state()) {
            generated = new DecodeLoop(model, tokenizer).decode(prepared, new DecodeLoop.Options(
                    SamplingOptions.greedy(MAX_ANSWER_TOKENS), StopCondition.eos(model.info().eosTokenIds())), TokenListener.NONE);
        }
        String answer = generated.text();
        // Only OPRM chooses a chunk; the other strategies leave the row's chunk fields empty.
        if (prepared.diagnostics() instanceof StrategyReport.Oprm oprm) {
            return new Row(p.length(), p.depth(), p.key(), answer, answer.contains(p.key()), oprm.chosenChunk(),
                    oprm.entropies(), oprm.idk());
        }
        return new Row(p.length(), p.depth(), p.key(), answer, answer.contains(p.key()), null, null, null);
    }

    public static Result run(LanguageModel model, Tokenizer tokenizer, LongContextStrategy strategy, String method,
                             List<PasskeyPrompt> prompts) {
        List<Row> rows = new ArrayList<>();
        for (PasskeyPrompt p : prompts) {
            rows.add(run(model, tokenizer, strategy, p));
        }
        return new Result(method, accuracy(rows), rows);
    }

    /** Fraction of correct rows per length, lengths in first-seen order. */
    public static Map<Integer, Double> accuracy(List<Row> rows) {
        Map<Integer, int[]> counts = new LinkedHashMap<>();
        for (Row r : rows) {
            int[] c = counts.computeIfAbsent(r.length(), k -> new int[2]);
            c[0] += r.correct() ? 1 : 0;
            c[1]++;
        }
        Map<Integer, Double> acc = new LinkedHashMap<>();
        counts.forEach((len, c) -> acc.put(len, (double) c[0] / c[1]));
        return acc;
    }
}
