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

    private final int chunkSize;
    private final int idkToken;
    private final int trainLength;

    /**
     * @param chunkSize   tokens per chunk, or 0 for training length − prefix − query
     * @param idkToken    the IDK token id, or −1 for no IDK filter
     * @param trainLength training length overriding the model's (0: the model's)
     */
    public Oprm(int chunkSize, int idkToken, int trainLength) {
        if (chunkSize < 0 || trainLength < 0) {
            throw new RecallException("OPRM chunk size and training length must not be negative");
        }
        this.chunkSize = chunkSize;
        this.idkToken = idkToken;
        this.trainLength = trainLength;
    }

    @Override
    public String name() {
        return "oprm";
    }

    /** The chunk size used for this model and prompt. */
    public int chunkSize(LanguageModel model, Prompt prompt) {
        if (chunkSize > 0) {
            return chunkSize;
        }
        int train = trainLength > 0 ? trainLength : model.info().trainingLength();
        if (train <= 0) {
            throw new RecallException("OPRM needs a chunk size: the model's training length is unknown, so give --chunk or --train-length");
        }
        int c = train - prompt.prefix().length - prompt.query().length;
        if (c <= 0) {
            throw new RecallException("OPRM chunks do not fit: prefix and query take " + (prompt.prefix().length
                    + prompt.query().length) + " of the " + train + "-token training length; give --chunk");
        }
        return c;
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
                    + " give the request as prefix, context and query (--prefix, --context-file, --query)");
        }
        int c = chunkSize(model, prompt);
        int n = (context.length + c - 1) / c;
        double[] entropies = new double[n];
        boolean[] idk = new boolean[n];
        Selection selection = new Selection();
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        progress.update(0, n, "chunks");
        // One task per chunk; each prefill parallelises its own matmuls on the same pool (nested
        // fork/join: a waiting worker runs other tasks, so nesting cannot deadlock).
        try {
            Parallel.forRange(n, 1, (from, to) -> {
                for (int k = from; k < to; k++) {
                    int[] chunk = Arrays.copyOfRange(context, k * c, Math.min(context.length, (k + 1) * c));
                    ModelState state = model.newState();
                    float[] logits;
                    try {
                        logits = model.prefill(state, Prompt.concat(prompt.prefix(), chunk, prompt.query()));
                    } catch (RuntimeException | Error e) {
                        state.close();
                        throw e;
                    }
                    entropies[k] = entropy(logits);
                    idk[k] = Sampler.argmax(logits) == idkToken;
                    selection.offer(k, entropies[k], idk[k], state, logits);
                    progress.update(finished.incrementAndGet(), n, "chunks");
                }
            });
        } catch (RuntimeException | Error e) {
            selection.closeAll();
            throw e;
        }
        Candidate chosen = selection.chosen();
        List<Double> entropyList = new ArrayList<>(n);
        List<Boolean> idkList = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            entropyList.add(entropies[k]);
            idkList.add(idk[k]);
        }
        return new Prepared(chosen.state, chosen.logits, new StrategyReport.Oprm(prompt.length(), c, n, idkToken,
                entropyList, idkList, selection.bestInformed == null, chosen.index, chosen.state.sizeBytes()));
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
    private static final class Selection {
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
