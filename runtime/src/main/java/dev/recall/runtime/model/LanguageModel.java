package dev.recall.runtime.model;

import dev.recall.runtime.attention.AttentionPolicy;

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
     */
    float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits);

    default float[] prefill(ModelState state, int[] tokens) {
        return prefill(state, tokens, 0, tokens.length, false);
    }

    /** Consumes one token; returns the next-token logits. */
    default float[] step(ModelState state, int token) {
        return prefill(state, new int[]{token}, 0, 1, false);
    }

    /** Releases the mapped weights. */
    @Override
    void close();
}
