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
     * LM-Infinite's Λ-shaped attention: query i sees key j locally when i − j &lt; dMax (RoPE at the
     * true distance) and globally when i − j ≥ dMax and j &lt; nGlobal (distance clamped to dMax);
     * every other key is masked. Only nGlobal + dMax keys are ever visible, so the cache is bounded.
     */
    record Lambda(int nGlobal, int dMax) implements AttentionPolicy {
        public Lambda {
            if (nGlobal < 0) {
                throw new IllegalArgumentException("LM-Infinite n_global must not be negative, got " + nGlobal);
            }
            if (dMax < 1) {
                throw new IllegalArgumentException("LM-Infinite d_max must be positive, got " + dMax);
            }
        }
    }

    static AttentionPolicy full() {
        return new Full();
    }
}
