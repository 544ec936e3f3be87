package dev.recall.runtime.model;

/**
 * Everything a model remembers about the tokens it has consumed: KV caches for attention layers,
 * conv/shift/SSM/LRU/WKV states for recurrences (fp32). The decode loop and the long-context
 * strategies only ever see this interface.
 */
public interface ModelState {

    /** Number of tokens consumed so far (the next token's absolute position). */
    int position();

    /** An independent copy: consuming tokens in one never changes the other. */
    ModelState copy();

    /** Bytes held by this state (reported by diagnostics and benchmarks). */
    long sizeBytes();

    /**
     * Makes room for {@code tokens} more tokens about to be consumed in several prefill calls (a long
     * prompt goes in pieces), so that a growing attention cache is sized once for all of them instead
     * of doubling piece by piece, each doubling a copy and garbage. Fixed-size states ignore it.
     */
    default void reserve(int tokens) {
    }
}
