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

    static AttentionPolicy full() {
        return new Full();
    }
}
