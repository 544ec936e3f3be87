package dev.recall.runtime.attention;

/**
 * Which earlier keys a query may see. Chosen per request and applied to every attention layer of
 * a model, independent of the model family.
 */
public sealed interface AttentionPolicy {

    /** Causal attention over every earlier token; the cache grows with the context. */
    record Full() implements AttentionPolicy {
    }

    /** Query i sees keys j with 0 ≤ i − j < window (Mistral/Qwen2 sliding window, Griffin local attention). */
    record SlidingWindow(int window) implements AttentionPolicy {
        public SlidingWindow {
            if (window < 1) {
                throw new IllegalArgumentException("attention window must be positive, got " + window);
            }
        }
    }

    /**
     * LM-Infinite's Λ-shaped attention (Glaciohound/LM-Infinite, {@code models/llama.py} and
     * {@code models/lambda_attention.py}): query i sees key j locally when i − j &lt; window (RoPE
     * at the true distance: the reference's {@code local_branch}) and globally when i − j ≥ window
     * and j &lt; nGlobal ({@code global_branch}), scored with the query rotated to position
     * min(dMax, i) against the unrotated key ({@code limit_distance}); every other key is masked.
     *
     * <p>With topK &gt; 0, a query at position ≥ topKFrom (the last prompt token and every decoded
     * token: the reference gives it to the last query of each forward call) in a layer with
     * top-k also sees the topK middle keys j (nGlobal ≤ j ≤ i − window) that score highest with the
     * query rotated to position topKInsertAt against the unrotated key, at that score, once there
     * are at least topK of them ({@code top_k_attention}, {@code top_k_insert_at}). Then every key
     * is kept, so the cache grows with the context.
     *
     * @param topKFromLayer the first layer with top-k attention ({@code top_k_from_layer});
     *                      {@link #forLayer} clears topK below it
     */
    record Lambda(int nGlobal, int window, int dMax, int topK, int topKFromLayer, int topKInsertAt, int topKFrom)
            implements AttentionPolicy {
        public Lambda {
            if (nGlobal < 0) {
                throw new IllegalArgumentException("LM-Infinite n_global must not be negative, got " + nGlobal);
            }
            if (window < 1) {
                throw new IllegalArgumentException("LM-Infinite window must be positive, got " + window);
            }
            if (dMax < 1) {
                throw new IllegalArgumentException("LM-Infinite d_max must be positive, got " + dMax);
            }
            if (topK < 0 || topKFromLayer < 0 || topKInsertAt < 0 || topKFrom < 0) {
                throw new IllegalArgumentException("LM-Infinite top-k settings must not be negative");
            }
        }

        /** The paper's shape: window = distance limit = dMax, no top-k. */
        public Lambda(int nGlobal, int dMax) {
            this(nGlobal, dMax, dMax, 0, 0, 0, 0);
        }

        @Override
        public AttentionPolicy forLayer(int layer) {
            return topK > 0 && layer < topKFromLayer ? new Lambda(nGlobal, window, dMax, 0, 0, 0, 0) : this;
        }
    }

    /** The policy as layer {@code layer} (0-based, among all the model's layers) applies it. */
    default AttentionPolicy forLayer(int layer) {
        return this;
    }

    static AttentionPolicy full() {
        return new Full();
    }
}
