package dev.recall.runtime.generate;

/**
 * Asks a running generation to stop: after {@link #cancel()}, from any thread, the decode loop
 * stops before choosing its next token and returns what it generated so far with
 * {@link StopReason#CANCELLED}. The state stays consistent, so a session continues from there.
 * Interrupting the generating thread has the same effect (its interrupt status stays set).
 */
public final class Cancellation {

    private volatile boolean cancelled;

    /** Requests the stop; idempotent. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
