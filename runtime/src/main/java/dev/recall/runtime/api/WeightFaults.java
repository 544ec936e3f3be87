package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;

import java.nio.file.Path;

/**
 * The JVM's report of a fault in memory-mapped weights — a weights file truncated (or rewritten in
 * place) after the model mapped it — as one sentence for the request that hit it. Reading a page
 * past the new end of the file raises SIGBUS; the JVM turns it into {@code InternalError: a fault
 * occurred in an unsafe memory access operation} when the read is in code it can unwind (the
 * foreign-memory accessors). In compiled vector code it cannot, and the process ends: docs/security.md
 * says how to replace a model file safely (write a new file, rename it over the old one).
 */
final class WeightFaults {

    private WeightFaults() {
    }

    static RuntimeException translate(Throwable e, Path model) {
        if (e instanceof InternalError && e.getMessage() != null && e.getMessage().contains("unsafe memory access")) {
            return new RecallException("the weights of " + model.getFileName() + " can no longer be read: a weights file"
                    + " was truncated or rewritten while the model had it open (replace a model file by renaming a new one"
                    + " over it, then load the model again)", e);
        }
        if (e instanceof RuntimeException r) {
            return r;
        }
        throw (Error) e;
    }
}
