package dev.recall.runtime.model;

/**
 * Everything a model remembers about the tokens it has consumed: KV caches for attention layers,
 * conv/shift/SSM/LRU/WKV states for recurrences (fp32). The decode loop and the long-context
 * strategies only ever see this interface.
 */
public interface ModelState extends AutoCloseable {

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
        if (isClosed()) {
            throw closedError();
        }
    }

    /**
     * Done with this state: memory it holds that the model can give to its next state (attention
     * caches) goes back to the model. Afterwards every model refuses the state: {@code prefill},
     * {@code step}, {@code copy} and {@code reserve} throw {@link IllegalStateException} before
     * touching it, whatever the family, so a use after close fails the same way on a Mamba as on a
     * Llama (where the arrays may already hold another state's keys); {@link AbstractModelState}
     * gives a family's state that behaviour. {@link #position()} and {@link #sizeBytes()} still
     * answer. Closing again does nothing. A state that is never closed is
     * simply collected, but a long-running process that drops a long prompt's attention cache per
     * request leaves the collector that much garbage each time (docs/performance.md, Memory).
     */
    @Override
    void close();

    /**
     * Writes everything this state holds, for a state file that the same model's
     * {@link LanguageModel#readState} turns back into an equal state.
     */
    default void write(StateOut out) {
        throw new dev.recall.runtime.RecallException("states of this model cannot be saved");
    }

    /** Whether {@link #close()} was called. */
    boolean isClosed();

    /** The one error every family throws for a closed state. */
    static IllegalStateException closedError() {
        return new IllegalStateException("this model state was closed, so it can no longer be used"
                + " (its attention cache, if any, went back to the model for reuse)");
    }
}
