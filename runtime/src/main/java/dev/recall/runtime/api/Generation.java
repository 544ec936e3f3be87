package dev.recall.runtime.api;

import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.GenerationResult;

import java.util.concurrent.CompletableFuture;

/**
 * A generation running on a thread of its own ({@link Session#start}): its result when it is done,
 * and a way to stop it early. {@link #cancel()} stops it before its next token; the result then
 * completes normally with what was generated and {@code StopReason.CANCELLED}, and the session
 * continues from there once it has.
 */
public final class Generation {

    private final CompletableFuture<GenerationResult> result;
    private final Cancellation cancellation;

    Generation(CompletableFuture<GenerationResult> result, Cancellation cancellation) {
        this.result = result;
        this.cancellation = cancellation;
    }

    /** Completes with the result, or exceptionally with what the generation threw. */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Asks the generation to stop before its next token (idempotent; nothing happens once it is done). */
    public void cancel() {
        cancellation.cancel();
    }
}
