package dev.recall.runtime.model;

/**
 * What every family's state shares: closing it once, and refusing it afterwards. A family's state
 * extends this, calls {@link #requireOpen()} where it is used (its model's prefill, its own copy)
 * and overrides {@link #release()} if it holds memory the model can reuse.
 */
public abstract class AbstractModelState implements ModelState {

    private boolean closed;

    /** Closes once: the first call releases, later ones do nothing. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /**
     * Hands back what the model can give to its next state (attention caches); runs once, on the
     * first {@link #close()}. Must not throw. Nothing by default: a recurrent state's arrays simply
     * go with it.
     */
    protected void release() {
    }

    /**
     * Called by the model after a pass consumed {@code tokens} more tokens of this sequence (every
     * layer done). Nothing by default: a state whose position is its caches' length needs no count.
     */
    protected void advance(int tokens) {
    }

    @Override
    public final boolean isClosed() {
        return closed;
    }

    /** Throws {@link ModelState#closedError()} if this state was closed. */
    public final void requireOpen() {
        if (closed) {
            throw ModelState.closedError();
        }
    }
}
