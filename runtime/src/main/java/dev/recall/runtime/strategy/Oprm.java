package dev.recall.runtime.strategy;

import dev.recall.runtime.progress.ProgressListener;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.Sampler;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OPRM (overflow prevention, Ben-Kish et al. 2025): split the context into chunks, prefill
 * {@code prefix + chunk + query} for every chunk from an empty state (in parallel: the chunks are
 * independent), and decode from the chunk whose next-token distribution is most certain (lowest
 * entropy), skipping chunks whose most likely next token is the "I don't know" token. Only the
 * chosen chunk's state is kept; nothing is re-prefilled. See shared/spec/long-context.md.
 */
public final class Oprm implements LongContextStrategy {

    /**
     * The chunk size when neither a chunk nor a training length is given: the reference's
     * ({@code eval_longbench_oprm.py}, {@code 'chunk_size': 2000}, for every model).
     */
    public static final int DEFAULT_CHUNK = 2000;

    private final int chunkSize;
    private final int[] idkTokens;
    private final int trainLength;
    private final StrategyOptions.Selection selection;

    /**
     * @param chunkSize   tokens per chunk, or 0 for training length − prefix − query
     * @param idkToken    the IDK token id, or −1 for no IDK filter
     * @param trainLength training length overriding the model's (0: the model's)
     */
    public Oprm(int chunkSize, int idkToken, int trainLength) {
        this(chunkSize, idkToken < 0 ? new int[0] : new int[]{idkToken}, trainLength, StrategyOptions.Selection.ENTROPY);
    }

    /**
     * @param chunkSize   tokens per chunk, or 0 for training length − prefix − query (or {@value
     *                    #DEFAULT_CHUNK} when the training length is unknown)
     * @param idkTokens   the IDK token ids (none: no IDK filter)
     * @param trainLength training length overriding the model's (0: the model's)
     * @param selection   how the chunk is chosen
     */
    public Oprm(int chunkSize, int[] idkTokens, int trainLength, StrategyOptions.Selection selection) {
        if (chunkSize < 0 || trainLength < 0) {
            throw new RecallException("OPRM chunk size and training length must not be negative");
        }
        this.chunkSize = chunkSize;
        this.idkTokens = idkTokens.clone();
        this.trainLength = trainLength;
        this.selection = selection;
    }

    @Override
    public String name() {
        return "oprm";
    }

    /**
     * The chunk size used for this model and prompt: the given one; else the training length less
     * the prefix and the query (each chunk prompt fits what the model was trained on, as
     * shared/spec/long-context.md defines it); else, when the training length is unknown, the
     * reference's {@value #DEFAULT_CHUNK}.
     */
    public int chunkSize(LanguageModel model, Prompt prompt) {
        if (chunkSize > 0) {
            return chunkSize;
        }
        int train = trainLength > 0 ? trainLength : model.info().trainingLength();
        if (train <= 0) {
            return DEFAULT_CHUNK;
        }
        int c = train - prompt.prefix().length - prompt.query().length;
        if (c <= 0) {
            throw new RecallException("OPRM chunks do not fit: prefix and query take " + (prompt.prefix().length
                    + prompt.query().length) + " of the " + train + "-token training length; give a chunk size")
                    .naming("chunk");
        }
        return c;
    }

    /** True when the chunk's most likely next token is one of the IDK tokens. */
    private boolean answersIdk(float[] logits) {
        if (idkTokens.length == 0) {
            return false;
        }
        int top = Sampler.argmax(logits);
        for (int t : idkTokens) {
            if (t == top) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress) {
        int[] context = prompt.context();
        if (context.length == 0) {
            throw new RecallException("OPRM needs a context to split into chunks, but the prompt's context is empty");
        }
        if (prompt.query().length == 0) {
            // Without it every chunk would be scored on how confidently it continues itself, and
            // only the last chunk would hold whatever question ends the text.
            throw new RecallException("OPRM needs a query to ask of every chunk, but the prompt has none:"
                    + " give the request as prefix, context and query").naming("prefix", "context", "query");
        }
        int c = chunkSize(model, prompt);
        if (selection == StrategyOptions.Selection.LAST && context.length > c) {
            // The reference's code-completion mode (lcc): only the context's last c tokens are read.
            context = Arrays.copyOfRange(context, context.length - c, context.length);
        }
        int[] chunked = context;
        int n = (context.length + c - 1) / c;
        double[] entropies = new double[n];
        boolean[] idk = new boolean[n];
        Choice choice = new Choice();
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        progress.update(0, n, "chunks");
        // One task per chunk; each prefill parallelises its own matmuls on the same pool (nested
        // fork/join: a waiting worker runs other tasks, so nesting cannot deadlock).
        try {
            Parallel.forRange(n, 1, (from, to) -> {
                for (int k = from; k < to; k++) {
                    int[] chunk = Arrays.copyOfRange(chunked, k * c, Math.min(chunked.length, (k + 1) * c));
                    ModelState state = model.newState();
                    float[] logits;
                    try {
                        logits = model.prefill(state, Prompt.concat(prompt.prefix(), chunk, prompt.query()));
                    } catch (RuntimeException | Error e) {
                        state.close();
                        throw e;
                    }
                    entropies[k] = entropy(logits);
                    idk[k] = answersIdk(logits);
                    choice.offer(k, entropies[k], idk[k], state, logits);
                    progress.update(finished.incrementAndGet(), n, "chunks");
                }
            });
        } catch (RuntimeException | Error e) {
            choice.closeAll();
            throw e;
        }
        Candidate chosen = choice.chosen();
        List<Double> entropyList = new ArrayList<>(n);
        List<Boolean> idkList = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            entropyList.add(entropies[k]);
            idkList.add(idk[k]);
        }
        return new Prepared(chosen.state, chosen.logits, new StrategyReport.Oprm(prompt.length(), c, n, selection.label(), Arrays.stream(idkTokens).boxed().toList(),
                entropyList, idkList, choice.bestInformed == null, chosen.index, chosen.state.sizeBytes()));
    }

    /** −Σ p log p of softmax(logits), natural log, computed in double. */
    public static double entropy(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double z = 0, weighted = 0;
        for (float l : logits) {
            double shifted = l - max;
            double e = Math.exp(shifted);
            z += e;
            weighted += e * shifted;
        }
        return Math.log(z) - weighted / z;
    }

    private record Candidate(int index, double entropy, ModelState state, float[] logits) {
        boolean beats(Candidate o) {
            if (o == null) {
                return true;
            }
            int c = Double.compare(entropy, o.entropy); // NaN compares above every number: it never wins
            return c < 0 || (c == 0 && index < o.index);
        }
    }

    /**
     * The running choice as chunks finish in any order: the lowest-entropy chunk that is not IDK,
     * and the lowest-entropy chunk of all for when every chunk is IDK. Other states are closed
     * as soon as they lose (a transformer's attention cache goes back to the model for the chunks
     * still to come), so at most two are kept besides those still being prefilled. Once chosen, the
     * other of the two is closed as well.
     */
    private static final class Choice {
        Candidate bestInformed;
        Candidate bestOverall;
        /** A chunk failed: chunks still finishing elsewhere close their states at once. */
        boolean failed;

        synchronized void offer(int k, double entropy, boolean idk, ModelState state, float[] logits) {
            if (failed) {
                state.close();
                return;
            }
            Candidate c = new Candidate(k, entropy, state, logits);
            Candidate oldOverall = bestOverall, oldInformed = bestInformed;
            if (c.beats(bestOverall)) {
                bestOverall = c;
            }
            if (!idk && c.beats(bestInformed)) {
                bestInformed = c;
            }
            closeIfDropped(c);
            closeIfDropped(oldOverall);
            closeIfDropped(oldInformed);
        }

        private void closeIfDropped(Candidate c) {
            if (c != null && c != bestOverall && c != bestInformed) {
                c.state.close();
            }
        }

        /** The chosen chunk; the other state still kept is closed. */
        synchronized Candidate chosen() {
            Candidate chosen = bestInformed != null ? bestInformed : bestOverall;
            if (bestOverall != chosen) {
                bestOverall.state.close();
            }
            return chosen;
        }

        /** After a failed chunk: closes every state kept so far. */
        synchronized void closeAll() {
            failed = true;
            for (Candidate c : new Candidate[] {bestInformed, bestOverall}) {
                if (c != null) {
                    c.state.close();
                }
            }
            bestInformed = bestOverall = null;
        }
    }
}
