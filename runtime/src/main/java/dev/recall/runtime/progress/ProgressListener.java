package dev.recall.runtime.progress;

/**
 * Receives progress of long work (prefill of a long prompt, OPRM chunks) so that the runtime can
 * report it without knowing who listens: a terminal bar, a log, a server's status endpoint.
 */
@FunctionalInterface
public interface ProgressListener {

    /**
     * @param done  units finished so far (0 ≤ done ≤ total)
     * @param total units in all
     * @param unit  plural name of a unit ("chunks", "tokens")
     */
    void update(long done, long total, String unit);

    /**
     * The work is over and output is about to follow where the progress was shown: a display must
     * be gone (or ended) when this returns. The decode loop calls it before its first token.
     */
    default void finish() {
    }

    /** Ignores everything. */
    ProgressListener NONE = (done, total, unit) -> {
    };
}
