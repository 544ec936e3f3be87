package dev.recall.runtime.eval;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.LmInfinite;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Perplexity versus context length as the reference table defines it (spec/long-context.md):
 * the corpus tokenised document by document with &lt;|endoftext|&gt; after each; for length L the
 * {@value #WINDOWS} windows of L + 1 tokens at offsets {@value #FIRST_OFFSET} + w·{@value #STRIDE};
 * the negative log-likelihood of the L next-token predictions summed over the windows;
 * perplexity = exp(sum / (windows·L)).
 */
public final class PerplexityEval {

    public static final String DOCUMENT_SEPARATOR = "\n<|endoftext|>\n";
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final int WINDOWS = 4;
    public static final int FIRST_OFFSET = 5000;
    public static final int STRIDE = 8192;
    /** Tokens prefilled at once while scoring: bounds the [piece, vocab] logits held in memory. */
    static final int PIECE = 512;

    private PerplexityEval() {
    }

    /** Each document's ids followed by the end-of-text id. */
    public static int[] tokenize(String corpus, Tokenizer tokenizer, int endOfTextId) {
        String[] docs = corpus.split(Pattern.quote(DOCUMENT_SEPARATOR), -1);
        int[][] encoded = new int[docs.length][];
        int total = 0;
        for (int d = 0; d < docs.length; d++) {
            encoded[d] = tokenizer.encode(docs[d]);
            total += encoded[d].length + 1;
        }
        int[] ids = new int[total];
        int o = 0;
        for (int[] doc : encoded) {
            System.arraycopy(doc, 0, ids, o, doc.length);
            o += doc.length;
            ids[o++] = endOfTextId;
        }
        return ids;
    }

    /** The end-of-text id: the tokenizer's &lt;|endoftext|&gt;, else the model's first EOS id. */
    public static int endOfTextId(Tokenizer tokenizer, LanguageModel model) {
        var id = tokenizer.tokenToId(END_OF_TEXT);
        if (id.isPresent()) {
            return id.getAsInt();
        }
        List<Integer> eos = model.info().eosTokenIds();
        if (eos.isEmpty()) {
            throw new RecallException("neither the tokenizer nor the model config defines an end-of-text token");
        }
        return eos.getFirst();
    }

    /** The attention every window is read with: full (plain) or LM-Infinite's Λ (top-k from every window's first token). */
    public static AttentionPolicy policy(StrategyOptions strategy, LanguageModel model) {
        return switch (strategy) {
            case StrategyOptions.Plain p -> AttentionPolicy.full();
            case StrategyOptions.LmInfinite l -> new LmInfinite(l).policy(model);
            default -> throw new RecallException("perplexity supports strategies none and lm-infinite, not '"
                    + strategy.name() + "'");
        };
    }

    /** Perplexity at each length (in the given order). */
    public static Map<Integer, Double> run(LanguageModel model, AttentionPolicy policy, int[] ids, List<Integer> lengths) {
        Map<Integer, Double> out = new LinkedHashMap<>();
        for (int len : lengths) {
            out.put(len, perplexity(model, policy, ids, len));
        }
        return out;
    }

    public static double perplexity(LanguageModel model, AttentionPolicy policy, int[] ids, int length) {
        if (length < 1) {
            throw new RecallException("perplexity length must be positive, got " + length);
        }
        int need = FIRST_OFFSET + (WINDOWS - 1) * STRIDE + length + 1;
        if (ids.length < need) {
            throw new RecallException("length " + length + " needs a text of at least " + need + " tokens (" + WINDOWS
                    + " windows from token " + FIRST_OFFSET + ", " + STRIDE + " apart), but this one has " + ids.length);
        }
        double[] nll = new double[WINDOWS];
        // Windows are independent; each prefill also parallelises inside (nested fork/join).
        Parallel.forRange(WINDOWS, 1, (from, to) -> {
            for (int w = from; w < to; w++) {
                nll[w] = windowNll(model, policy, ids, FIRST_OFFSET + w * STRIDE, length);
            }
        });
        double sum = 0;
        for (double x : nll) {
            sum += x;
        }
        return Math.exp(sum / ((double) WINDOWS * length));
    }

    /** Σ −log p(ids[start+i+1] | ids[start..start+i]) for i in [0, length). */
    static double windowNll(LanguageModel model, AttentionPolicy policy, int[] ids, int start, int length) {
        // Closed at the end, so that the next window's state reuses its attention cache.
        try (ModelState state = model.newState(policy)) {
            state.reserve(length); // the window goes in pieces; its cache is sized once
            int vocab = model.info().vocabSize();
            double nll = 0;
            for (int from = 0; from < length; from += PIECE) {
                int to = Math.min(length, from + PIECE);
                float[] logits = model.prefill(state, ids, start + from, start + to, true);
                for (int i = from; i < to; i++) {
                    nll -= logSoftmax(logits, (i - from) * vocab, vocab, ids[start + i + 1]);
                }
            }
            return nll;
        }
    }

    /** log softmax(x[off, off + n))[target], in double. */
    static double logSoftmax(float[] x, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double z = 0;
        for (int i = 0; i < n; i++) {
            z += Math.exp(x[off + i] - max);
        }
        return x[off + target] - max - Math.log(z);
    }
}
