package dev.recall.runtime.attention;

import java.util.Arrays;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.StateIn;
import dev.recall.runtime.model.StateOut;

/**
 * Keys (already rotated to their absolute positions) and values of one attention layer.
 * Unbounded caches grow; windowed caches are a ring of {@code window} slots, so memory is
 * constant in the context length. An LM-Infinite (Λ) cache is a ring of {@code window} slots plus
 * the first n_global keys kept unrotated (their global score uses the clamped distance, so it needs
 * the key before rotation) and their values; with top-k attention it keeps every key unrotated
 * (any middle token may be chosen), so it grows with the context.
 *
 * <p>Every array grows with the tokens actually seen: a ring only takes its whole window once the
 * context fills it, and the global rows only as many as there are starting tokens. A window or an
 * n_global far beyond the prompt (a user's {@code --d-max 10000000}) costs nothing until used.
 *
 * <p>The key and value arrays come from the model's {@link KvArrayPool} and go back to it when
 * the cache is {@link #release() released}, so the next state reuses them. Reused arrays hold an
 * earlier cache's rows, which is harmless: only the slots of positions this cache has seen are ever
 * read. A released cache refuses to be used, since its arrays may belong to another state by then.
 */
public final class KvCache {

    final int kvDim;
    final int window;
    final int nGlobal;
    /** Λ: the distance limit of the global path (0 for other policies). */
    final int dMax;
    /** Λ with top-k attention: middle keys each late query also sees (0: none). */
    final int topK;
    /** Λ with top-k: the position the selecting query is rotated to. */
    final int topKInsertAt;
    /** Λ with top-k: the first query position that gets it. */
    final int topKFrom;
    private final KvArrayPool pool;
    float[] keys;
    float[] values;
    float[] globalKeys;
    float[] globalValues;
    int length;

    /** Tokens of room a new cache starts with (a ring never more than its window). */
    private static final int INITIAL_TOKENS = 64;

    /** A cache with arrays of its own (a pool of its own, shared with nothing). */
    public KvCache(int kvDim, int window) {
        this(kvDim, window, 0, new KvArrayPool());
    }

    /** @param window ring size, or 0 for an unbounded cache */
    public KvCache(int kvDim, int window, KvArrayPool pool) {
        this(kvDim, window, 0, pool);
    }

    private KvCache(int kvDim, int window, int nGlobal, KvArrayPool pool) {
        this(kvDim, window, nGlobal, 0, 0, 0, 0, pool);
    }

    private KvCache(int kvDim, int window, int nGlobal, int dMax, int topK, int topKInsertAt, int topKFrom,
                    KvArrayPool pool) {
        if (window < 0) {
            throw new IllegalArgumentException("cache window must not be negative, got " + window);
        }
        this.kvDim = kvDim;
        this.window = window;
        this.nGlobal = nGlobal;
        this.dMax = dMax;
        this.topK = topK;
        this.topKInsertAt = topKInsertAt;
        this.topKFrom = topKFrom;
        this.pool = pool;
        int initial = window > 0 ? Math.min(window, INITIAL_TOKENS) : INITIAL_TOKENS;
        this.keys = pool.take(initial * kvDim);
        this.values = pool.take(initial * kvDim);
        this.globalKeys = new float[0];
        this.globalValues = new float[0];
    }

    /** A Λ cache for the policy (as one layer applies it: {@link AttentionPolicy#forLayer}). */
    public static KvCache lambda(int kvDim, AttentionPolicy.Lambda l, KvArrayPool pool) {
        return new KvCache(kvDim, l.window(), l.nGlobal(), l.dMax(), l.topK(), l.topKInsertAt(), l.topKFrom(), pool);
    }

    /**
     * A Λ cache with arrays of its own: the first nGlobal keys unrotated plus a ring of the last
     * dMax rotated keys.
     */
    public static KvCache lambda(int kvDim, int nGlobal, int dMax) {
        return lambda(kvDim, new AttentionPolicy.Lambda(nGlobal, dMax), new KvArrayPool());
    }

    /** A copy of o on the given arrays (taken from o's pool, as long as o's). */
    private KvCache(KvCache o, float[] keys, float[] values) {
        this.kvDim = o.kvDim;
        this.window = o.window;
        this.nGlobal = o.nGlobal;
        this.dMax = o.dMax;
        this.topK = o.topK;
        this.topKInsertAt = o.topKInsertAt;
        this.topKFrom = o.topKFrom;
        this.pool = o.pool;
        this.length = o.length;
        this.keys = keys;
        this.values = values;
        System.arraycopy(o.keys, 0, keys, 0, o.keys.length);
        System.arraycopy(o.values, 0, values, 0, o.values.length);
        this.globalKeys = o.globalKeys.clone();
        this.globalValues = o.globalValues.clone();
    }

    /** Number of tokens seen (the next token's absolute position). */
    public int length() {
        return length;
    }

    /** Ring size (the local window / d_max), or 0 when unbounded. */
    public int window() {
        return window;
    }

    /** Starting tokens kept for Λ attention's global path (0 for other policies). */
    public int nGlobal() {
        return nGlobal;
    }

    /** Λ: the distance limit of the global path (0 for other policies). */
    public int dMax() {
        return dMax;
    }

    /** Tokens whose unrotated keys and values are kept: the first nGlobal, or all of them with top-k. */
    int unrotatedKept() {
        return topK > 0 ? Integer.MAX_VALUE : nGlobal;
    }

    /** Slot of absolute position pos in the key/value arrays. */
    int slot(int pos) {
        return window > 0 ? pos % window : pos;
    }

    /**
     * Keeps the unrotated keys and the values of the batch's positions below {@link
     * #unrotatedKept()}; call before the batch's keys are rotated. k and v hold t rows of kvDim for
     * positions length, length+1, ….
     */
    void keepGlobal(float[] k, float[] v, int t) {
        int limit = unrotatedKept();
        long kept = Math.min((long) length + t, limit);
        if (kept * kvDim > globalKeys.length) {
            int rows = grownCapacity(length, (int) (kept - length), globalKeys.length / kvDim, kvDim);
            rows = Math.min(rows, limit);
            globalKeys = Arrays.copyOf(globalKeys, rows * kvDim);
            globalValues = Arrays.copyOf(globalValues, rows * kvDim);
        }
        for (int i = 0; i < t && length + i < limit; i++) {
            System.arraycopy(k, i * kvDim, globalKeys, (length + i) * kvDim, kvDim);
            System.arraycopy(v, i * kvDim, globalValues, (length + i) * kvDim, kvDim);
        }
    }

    /**
     * Appends a batch of t rotated keys and values (rows of kvDim) at positions length, …; a ring
     * keeps only the last window of them.
     */
    void appendAll(float[] k, float[] v, int t) {
        if (window == 0) {
            if (!hasRoomFor(t)) {
                grow(grownCapacity(length, t, capacity(), kvDim));
            }
            System.arraycopy(k, 0, keys, length * kvDim, t * kvDim);
            System.arraycopy(v, 0, values, length * kvDim, t * kvDim);
        } else {
            int capacity = capacity();
            if (capacity < window && length + t > capacity) {
                // Not wrapped yet (slot = position): grow towards the window, keeping every slot.
                grow((int) Math.min(window, grownCapacity(length, t, capacity, kvDim)));
            }
            for (int i = Math.max(0, t - window); i < t; i++) {
                int s = slot(length + i) * kvDim;
                System.arraycopy(k, i * kvDim, keys, s, kvDim);
                System.arraycopy(v, i * kvDim, values, s, kvDim);
            }
        }
        length += t;
    }

    /**
     * Makes room for t more tokens at once: a prompt about to be prefilled in pieces, which would
     * otherwise grow the cache one doubling after another. Each doubling copies the cache and
     * leaves the old arrays behind as garbage, which a collector may keep until the next one (a
     * 16k-token prompt left about as much garbage as cache). An eighth more is added for the tokens
     * decoded after the prompt; a decode step's reserve(1) still doubles, as appending does. A ring
     * grows only as its tokens arrive and never past its window, so it ignores this.
     */
    public void reserve(int t) {
        requireOpen();
        if (window == 0 && !hasRoomFor(t)) {
            grow(reservedCapacity(length, t, capacity(), kvDim));
        }
    }

    /** Whether an unbounded cache holds t more tokens without growing. */
    private boolean hasRoomFor(int t) {
        return (long) length + t <= capacity();
    }

    /** Tokens the key and value arrays hold (a pooled array may be longer than was asked for). */
    private int capacity() {
        return Math.min(keys.length, values.length) / kvDim;
    }

    /**
     * Token capacity reserve(t) grows a cache of {@code capacity} tokens to: length + t and an
     * eighth more, or the doubling appending would give if that is larger, within one array.
     */
    static int reservedCapacity(int length, int t, int capacity, int kvDim) {
        int grown = grownCapacity(length, t, capacity, kvDim); // at least length + t, or the error when too large
        long need = (long) length + t;
        return (int) Math.min(MAX_ARRAY_FLOATS / kvDim, Math.max(grown, need + need / 8));
    }

    /** The most floats one Java array holds (a little below Integer.MAX_VALUE on every JVM). */
    static final int MAX_ARRAY_FLOATS = Integer.MAX_VALUE - 8;

    /**
     * Token capacity for an unbounded cache holding {@code length} tokens that must take
     * {@code t} more: doubling, capped at what one array holds, and an error (not an overflow into
     * a negative size) when even that is too small.
     */
    static int grownCapacity(int length, int t, int capacity, int kvDim) {
        long need = (long) length + t;
        long limit = MAX_ARRAY_FLOATS / kvDim;
        if (need > limit) {
            throw new RecallException("a context of " + need + " tokens is more than full attention can hold ("
                    + limit + " tokens of " + kvDim + " keys per layer); use the lm-infinite strategy or a shorter context");
        }
        return (int) Math.min(limit, Math.max(need, 2L * capacity));
    }

    /**
     * A key array and a value array from the pool (at least the given lengths), both or neither.
     * Out of memory becomes one sentence: {@code what} needs so many MiB, and {@code advice}. The
     * failed allocation is one large array, so the heap is intact and the caller can carry on.
     */
    private float[][] takeKeysAndValues(int keyFloats, int valueFloats, String what, String advice) {
        float[] k = null;
        try {
            k = pool.take(keyFloats);
            return new float[][]{k, pool.take(valueFloats)};
        } catch (OutOfMemoryError e) {
            if (k != null) {
                pool.give(k); // or the pool would count it in use forever
            }
            long bytes = ((long) keyFloats + valueFloats) * Float.BYTES;
            throw new RecallException(what + " needs " + (bytes >> 20) + " MiB more than the Java heap has left ("
                    + advice + ")");
        }
    }

    private void grow(int capacity) {
        float[][] kv = takeKeysAndValues(capacity * kvDim, capacity * kvDim,
                "the attention cache for " + capacity + " tokens",
                "raise -Xmx, or use the lm-infinite strategy, whose cache is bounded");
        float[] k = kv[0];
        float[] v = kv[1];
        // Before a ring wraps, slot = position: the rows seen so far are the first ones.
        System.arraycopy(keys, 0, k, 0, length * kvDim);
        System.arraycopy(values, 0, v, 0, length * kvDim);
        float[] oldKeys = keys;
        float[] oldValues = values;
        // The cache lets go of the old arrays before they go back, so no failure in between can
        // leave them both in the pool and in this cache.
        keys = k;
        values = v;
        pool.give(oldKeys);
        pool.give(oldValues);
    }

    public KvCache copy() {
        requireOpen();
        float[][] kv = takeKeysAndValues(keys.length, values.length, "copying the attention cache",
                "raise -Xmx, or close states and snapshots no longer needed");
        try {
            return new KvCache(this, kv[0], kv[1]);
        } catch (RuntimeException | Error e) {
            pool.give(kv[0]); // the copy failed after all: what it took goes back
            pool.give(kv[1]);
            throw e;
        }
    }

    /**
     * Writes the cache: its shape, its length, and the rows it holds (a ring's used slots, in slot
     * order, so that {@link #read} puts every row back where {@link #slot} finds it).
     */
    public void write(StateOut out) {
        requireOpen();
        out.writeInt(kvDim);
        out.writeInt(window);
        out.writeInt(nGlobal);
        out.writeInt(dMax);
        out.writeInt(topK);
        out.writeInt(topKInsertAt);
        out.writeInt(topKFrom);
        out.writeInt(length);
        int rows = window > 0 ? Math.min(length, window) : length;
        out.writeFloats(keys, 0, rows * kvDim);
        out.writeFloats(values, 0, rows * kvDim);
        int global = Math.min(length, unrotatedKept());
        out.writeFloats(globalKeys, 0, global * kvDim);
        out.writeFloats(globalValues, 0, global * kvDim);
    }

    /** A cache as {@link #write} wrote it, its arrays from {@code pool}; kvDim must be the layer's. */
    public static KvCache read(StateIn in, int kvDim, KvArrayPool pool) {
        int dim = in.readInt();
        if (dim != kvDim) {
            throw StateIn.damaged("an attention cache has " + dim + " key values per token where this model has " + kvDim);
        }
        int window = in.readCount("a cache window", MAX_ARRAY_FLOATS / kvDim);
        int nGlobal = in.readCount("a cache's global tokens", MAX_ARRAY_FLOATS / kvDim);
        int dMax = in.readCount("a cache's distance limit", Integer.MAX_VALUE);
        int topK = in.readCount("a cache's top-k", Integer.MAX_VALUE);
        int topKInsertAt = in.readCount("a cache's top-k position", Integer.MAX_VALUE);
        int topKFrom = in.readCount("a cache's first top-k position", Integer.MAX_VALUE);
        int length = in.readCount("a cache length", Integer.MAX_VALUE);
        if (nGlobal > 0 && (window == 0 || dMax == 0)) {
            throw StateIn.damaged("an attention cache has global tokens but no window or distance limit");
        }
        float[] k = in.readFloats();
        float[] v = in.readFloats();
        float[] gk = in.readFloats();
        float[] gv = in.readFloats();
        int rows = window > 0 ? Math.min(length, window) : length;
        int global = Math.min(length, topK > 0 ? Integer.MAX_VALUE : nGlobal);
        // In long arithmetic: a damaged length must not wrap around to a size that matches.
        long rowFloats = (long) rows * kvDim;
        long globalFloats = (long) global * kvDim;
        if (k.length != rowFloats || v.length != rowFloats || gk.length != globalFloats || gv.length != globalFloats) {
            throw StateIn.damaged("an attention cache's rows do not match its length of " + length);
        }
        KvCache cache = new KvCache(kvDim, window, nGlobal, dMax, topK, topKInsertAt, topKFrom, pool);
        if (cache.capacity() < rows) {
            cache.grow(rows);
        }
        System.arraycopy(k, 0, cache.keys, 0, k.length);
        System.arraycopy(v, 0, cache.values, 0, v.length);
        cache.globalKeys = gk;
        cache.globalValues = gv;
        cache.length = length;
        return cache;
    }

    /** Releases every cache of an array (null entries skipped); never throws. */
    public static void releaseAll(KvCache[] caches) {
        for (KvCache cache : caches) {
            if (cache != null) {
                cache.release();
            }
        }
    }

    /**
     * Hands the key and value arrays back to the pool for the next cache. Using the cache afterwards
     * is an error; releasing it again does nothing.
     */
    public void release() {
        if (!isReleased()) {
            float[] k = keys;
            float[] v = values;
            keys = null; // let go first, as in grow()
            values = null;
            globalKeys = null;
            globalValues = null;
            pool.give(k);
            pool.give(v);
        }
    }

    /** A released cache has handed its arrays back and holds none. */
    private boolean isReleased() {
        return keys == null;
    }

    /** Refuses a released cache: its arrays may hold another state's keys by now. */
    void requireOpen() {
        if (isReleased()) {
            throw new IllegalStateException("this model state was closed: its attention cache went back to the model"
                    + " for reuse, so it can no longer be used");
        }
    }

    /** Bytes held (0 once released). */
    public long sizeBytes() {
        if (isReleased()) {
            return 0;
        }
        return (long) (keys.length + values.length + globalKeys.length + globalValues.length) * Float.BYTES;
    }
}
