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

    /** Ignores everything. */
    ProgressListener NONE = (done, total, unit) -> {
    };
}
