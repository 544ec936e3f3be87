package dev.recall.runtime.model;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;

import java.util.ArrayList;
import java.util.List;

/**
 * The narrow interface between model families and everything else (decode loop, strategies, CLI):
 * make a state, push tokens through it, read logits. One loaded model may serve many threads, each
 * with its own state.
 */
public interface LanguageModel extends AutoCloseable {

    ModelInfo info();

    /**
     * A fresh, empty state. The policy governs attention layers that have no window of their own
     * (a model's configured sliding window always applies); pure recurrences ignore it.
     */
    ModelState newState(AttentionPolicy policy);

    default ModelState newState() {
        return newState(AttentionPolicy.full());
    }

    /**
     * Consumes tokens[from, to) in one batch, advancing the state.
     *
     * @return the logits after the last token ([vocab]), or with {@code allLogits} the logits after
     * every token ([to − from, vocab], row-major)
     * @throws IllegalStateException if the state was closed (before anything is computed)
     */
    float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits);

    /**
     * The checks every {@link #prefill} starts with: a non-empty range inside the array (a caller's
     * bug) and token ids inside the vocabulary of {@code embeddings} rows (bad input: one sentence).
     */
    static void checkTokens(int[] tokens, int from, int to, int embeddings) {
        if (from < 0 || to > tokens.length || from >= to) {
            throw new IllegalArgumentException("token range [" + from + ", " + to + ") is empty or outside 0.." + tokens.length);
        }
        for (int i = from; i < to; i++) {
            if (tokens[i] < 0 || tokens[i] >= embeddings) {
                throw new RecallException("token id " + tokens[i] + " is outside the model's vocabulary of "
                        + embeddings + " embeddings");
            }
        }
    }

    /**
     * Advances every sequence of the batch by its tokens in one pass and returns each one's logits,
     * in batch order, as {@link #prefill} would return them for it alone (the same values: a
     * sequence's logits never depend on the rest of its batch). The families
     * ({@link CausalLanguageModel}) check every state and token before anything runs and then run
     * the sequences together, so that a decode step reads each weight once for the whole batch;
     * this default, for other implementations (test doubles), refuses closed states first and then
     * runs the sequences one after another (a single token wanting its logits as a {@link #step}).
     */
    default List<float[]> forward(Batch batch) {
        for (Sequence s : batch.sequences()) {
            if (s.state().isClosed()) {
                throw ModelState.closedError();
            }
        }
        List<float[]> out = new ArrayList<>(batch.size());
        for (Sequence s : batch.sequences()) {
            out.add(s.length() == 1 && !s.allLogits()
                    ? step(s.state(), s.tokens()[s.from()])
                    : prefill(s.state(), s.tokens(), s.from(), s.to(), s.allLogits()));
        }
        return out;
    }

    default float[] prefill(ModelState state, int[] tokens) {
        return prefill(state, tokens, 0, tokens.length, false);
    }

    /** Consumes one token; returns the next-token logits. */
    default float[] step(ModelState state, int token) {
        return prefill(state, new int[]{token}, 0, 1, false);
    }

    /**
     * A state equal to the one that wrote {@code in} ({@link ModelState#write}); a state of another
     * shape is refused in one sentence.
     */
    default ModelState readState(StateIn in) {
        throw new RecallException("states of this model cannot be restored");
    }

    /** Releases the mapped weights. */
    @Override
    void close();
}
