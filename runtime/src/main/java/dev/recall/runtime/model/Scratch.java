package dev.recall.runtime.model;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The working buffers of one forward call, reused across its layers and prompt pieces, and, when
 * taken from a {@link Pool}, across the calls that follow it.
 *
 * <p>A batch of t tokens needs a handful of [t, width] activation arrays in every layer. Allocated
 * per layer, a 512-token piece of mamba-130m made about 600 MB of garbage, and the collector grew
 * the heap to some 300 MB to absorb it: more than the model's whole memory budget beside its
 * mapped weights. The layers of one model share their widths, so one set of named buffers serves
 * them all, and a long prompt costs one piece's activations however many layers and pieces it has.
 *
 * <p>A name stands for one role at one call site ("mixer.x", "mlp.gate"); two buffers that are live
 * at the same time must have different names. A name keeps a buffer for each of the last
 * {@value #LENGTHS_PER_NAME} lengths asked of it: a request goes through the model as full prompt
 * pieces, a shorter last piece, then one-token decode steps, and with one buffer per name each
 * request allocated a piece's activations again (tens of MB on llama-1b), live long enough to
 * reach the old generation, where they stayed as garbage (docs/performance.md, Memory). Not
 * thread-safe: one call uses a scratch at a time (OPRM's chunk prefills run in parallel, each
 * with its own from the pool).
 */
public final class Scratch implements AutoCloseable {

    /** Buffers kept per name: the prompt piece, the last piece and the decode step. */
    static final int LENGTHS_PER_NAME = 3;

    /** Per name, its buffers, the most recently used first. */
    private final Map<String, ArrayDeque<float[]>> buffers = new HashMap<>();
    /** Where {@link #close} returns this scratch; null for one made on its own. */
    private final Pool pool;

    /** A scratch of its own, for one call; {@link #close} does nothing. */
    public Scratch() {
        this(null);
    }

    private Scratch(Pool pool) {
        this.pool = pool;
    }

    /** The buffer called {@code name}, exactly {@code length} floats, holding whatever its last user left. */
    public float[] floats(String name, int length) {
        ArrayDeque<float[]> kept = buffers.computeIfAbsent(name, k -> new ArrayDeque<>(LENGTHS_PER_NAME + 1));
        float[] first = kept.peekFirst();
        if (first != null && first.length == length) {
            return first; // the common case: the same length as last time
        }
        for (Iterator<float[]> it = kept.iterator(); it.hasNext(); ) {
            float[] b = it.next();
            if (b.length == length) {
                it.remove();
                kept.addFirst(b);
                return b;
            }
        }
        float[] b = new float[length];
        kept.addFirst(b);
        if (kept.size() > LENGTHS_PER_NAME) {
            kept.removeLast(); // the length used longest ago
        }
        return b;
    }

    /** Floats held by all buffers (for tests and diagnostics). */
    public long heldFloats() {
        long n = 0;
        for (ArrayDeque<float[]> kept : buffers.values()) {
            for (float[] b : kept) {
                n += b.length;
            }
        }
        return n;
    }

    /** Gives this scratch back to its pool, buffers and all; the caller must not use it afterwards. */
    @Override
    public void close() {
        if (pool != null) {
            pool.idle.push(this);
        }
    }

    /**
     * The idle scratches of one model. A long prompt reaches a model as one prefill call per
     * 512-token piece (so progress can be reported), and a decode as one call per token; with a
     * new scratch per call, every piece of a 4,096-token prompt allocated mamba-130m's 25 MB of
     * activations again, 300 MB in all, which the collectors kept resident (the Serial collector
     * promoted it into an old generation of 300 MB). Taking the scratch from the model's pool and
     * closing it at the end of the call reuses one set of buffers for all pieces. The pool holds
     * at most as many scratches as calls ever ran at once on the model (OPRM's parallel chunks).
     */
    public static final class Pool {
        private final ConcurrentLinkedDeque<Scratch> idle = new ConcurrentLinkedDeque<>();

        /** An idle scratch, most recently used first (its buffers are the likeliest to fit), or a new one. */
        public Scratch take() {
            Scratch s = idle.poll();
            return s != null ? s : new Scratch(this);
        }

        /** Scratches waiting to be taken (for tests). */
        public int idleCount() {
            return idle.size();
        }
    }
}
