package dev.recall.runtime.attention;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.LambdaAttention;
import dev.recall.kernels.Parallel;
import dev.recall.runtime.model.Scratch;

/**
 * Causal multi-head attention with grouped KV heads over a {@link KvCache}. Models hand it
 * unrotated projections; it applies RoPE at each token's absolute position, attends according to
 * the cache's visibility rule and appends the batch to the cache. Prefill and decode are the same
 * code (decode is a batch of one), which is what keeps them numerically identical.
 *
 * <p>Query i of a batch sees earlier tokens from the cache and the batch's own keys up to itself,
 * read straight from the batch (so a ring cache never has to hold more than its window, and every
 * query of the batch is independent). Queries are processed in blocks of {@value #QUERY_BLOCK}
 * positions times the query heads sharing one KV head: the keys every query of the block sees
 * are streamed once for all of them (attention is bound by reading keys and values, not by
 * arithmetic), and each query then adds its own few extra keys. Blocks run in parallel. What a
 * query sees:
 * <ul>
 *   <li>full: every key j ≤ i;</li>
 *   <li>sliding window w: keys with i − j &lt; w;</li>
 *   <li>Λ (LM-Infinite): the keys of its local window, plus the first n_global keys that fell
 *       out of it, scored with the query rotated to position min(d_max, i) against the unrotated
 *       key (relative distance clamped to d_max); with top-k attention, a late query also sees the
 *       top k middle keys (see {@link AttentionPolicy.Lambda}). One softmax covers them all.</li>
 * </ul>
 */
public final class AttentionLayer {

    /** Multiply-adds below which a group of query blocks is not worth a parallel task. */
    private static final int PARALLEL_GRAIN_WORK = 1 << 16;
    /** Positions per query block. */
    static final int QUERY_BLOCK = 16;

    private final int nHeads;
    private final int nKvHeads;
    private final int headDim;
    private final Rope rope;
    private final float scale;
    private final LambdaAttention attention;

    public AttentionLayer(int nHeads, int nKvHeads, int headDim, Rope rope, float scale, Kernels kernels) {
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(nHeads + " query heads cannot share " + nKvHeads + " KV heads evenly");
        }
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.headDim = headDim;
        this.rope = rope;
        this.scale = scale;
        this.attention = kernels.attention();
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    /** A fresh cache for this layer under the given policy, with arrays of its own. */
    public KvCache newCache(AttentionPolicy policy) {
        return newCache(policy, new KvArrayPool());
    }

    /** A fresh cache for this layer under the given policy, its arrays from (and back to) the model's pool. */
    public KvCache newCache(AttentionPolicy policy, KvArrayPool pool) {
        return switch (policy) {
            case AttentionPolicy.Full f -> new KvCache(kvDim(), 0, pool);
            case AttentionPolicy.SlidingWindow w -> new KvCache(kvDim(), w.window(), pool);
            case AttentionPolicy.Lambda l -> KvCache.lambda(kvDim(), l, pool);
        };
    }

    /**
     * {@link #forward(KvCache, float[], float[], float[], int, float[])} for rows [r0, r0 + t) of
     * q, kIn, v and out: one sequence's piece of a batch. A piece that does not start at row 0 is
     * copied into buffers of {@code scratch} and its output copied back.
     */
    public void forward(KvCache cache, float[] q, float[] kIn, float[] v, int r0, int t, float[] out, Scratch scratch) {
        if (r0 == 0) {
            forward(cache, q, kIn, v, t, out);
            return;
        }
        int qDim = nHeads * headDim;
        int kvDim = kvDim();
        float[] pq = scratch.floats("attention.piece.q", t * qDim);
        float[] pk = scratch.floats("attention.piece.k", t * kvDim);
        float[] pv = scratch.floats("attention.piece.v", t * kvDim);
        float[] po = scratch.floats("attention.piece.out", t * qDim);
        System.arraycopy(q, r0 * qDim, pq, 0, t * qDim);
        System.arraycopy(kIn, r0 * kvDim, pk, 0, t * kvDim);
        System.arraycopy(v, r0 * kvDim, pv, 0, t * kvDim);
        forward(cache, pq, pk, pv, t, po);
        System.arraycopy(po, 0, out, r0 * qDim, t * qDim);
    }

    /**
     * q is [t, nHeads·headDim], k and v are [t, nKvHeads·headDim] (unrotated; q and k are rotated
     * in place). out receives [t, nHeads·headDim].
     */
    public void forward(KvCache cache, float[] q, float[] kIn, float[] v, int t, float[] out) {
        int qDim = nHeads * headDim;
        cache.requireOpen();
        int kvDim = kvDim();
        int start = cache.length;
        cache.keepGlobal(kIn, v, t);
        float[] qClamped = clampedQueries(cache, q, t);
        float[] qNear = nearQueries(cache, q, t);
        if (rope != null) {
            // One set of angles per position serves its query and its key.
            float[] cos = new float[rope.pairs()];
            float[] sin = new float[rope.pairs()];
            for (int i = 0; i < t; i++) {
                rope.angles(start + i, cos, sin);
                rope.rotate(q, i * qDim, nHeads, cos, sin);
                rope.rotate(kIn, i * kvDim, nKvHeads, cos, sin);
            }
        }
        int last = start + t - 1;
        int visible = cache.window > 0 ? Math.min(last + 1, cache.window + cache.nGlobal) : last + 1;
        int blocks = (t + QUERY_BLOCK - 1) / QUERY_BLOCK;
        long blockWork = (long) Math.min(t, QUERY_BLOCK) * (nHeads / nKvHeads) * visible * headDim;
        int grain = (int) Math.max(1, PARALLEL_GRAIN_WORK / blockWork);
        Parallel.forRange(blocks * nKvHeads, grain, (from, to) -> {
            BlockScratch scratch = new BlockScratch();
            for (int idx = from; idx < to; idx++) {
                attendBlock(cache, start, t, idx / nKvHeads, idx % nKvHeads, q, qClamped, qNear, kIn, v, scratch, out);
            }
        });
        cache.appendAll(kIn, v, t);
    }

    /**
     * For a Λ cache, the queries rotated to position min(d_max, i) (the clamped distance of the
     * global path), for the batch rows that have one (position ≥ window); null when no row does.
     */
    private float[] clampedQueries(KvCache cache, float[] q, int t) {
        int start = cache.length;
        if (cache.nGlobal == 0 || start + t - 1 < cache.window) {
            return null;
        }
        if (rope == null) {
            return q;
        }
        int qDim = nHeads * headDim;
        float[] clamped = new float[t * qDim];
        float[] cos = new float[rope.pairs()];
        float[] sin = new float[rope.pairs()];
        int anglesAt = -1;
        for (int i = Math.max(0, cache.window - start); i < t; i++) {
            int at = Math.min(cache.dMax, start + i);
            if (at != anglesAt) {
                rope.angles(at, cos, sin);
                anglesAt = at;
            }
            System.arraycopy(q, i * qDim, clamped, i * qDim, qDim);
            rope.rotate(clamped, i * qDim, nHeads, cos, sin);
        }
        return clamped;
    }

    /**
     * For a Λ cache with top-k attention, the queries rotated to the top-k position, for the batch
     * rows that get it (position ≥ topKFrom); null when none does.
     */
    private float[] nearQueries(KvCache cache, float[] q, int t) {
        int start = cache.length;
        if (cache.topK == 0 || start + t - 1 < cache.topKFrom) {
            return null;
        }
        int qDim = nHeads * headDim;
        float[] near = new float[t * qDim];
        float[] cos = rope == null ? null : new float[rope.pairs()];
        float[] sin = rope == null ? null : new float[rope.pairs()];
        if (rope != null) {
            rope.angles(cache.topKInsertAt, cos, sin);
        }
        for (int i = Math.max(0, cache.topKFrom - start); i < t; i++) {
            System.arraycopy(q, i * qDim, near, i * qDim, qDim);
            if (rope != null) {
                rope.rotate(near, i * qDim, nHeads, cos, sin);
            }
        }
        return near;
    }

    /** Per-task accumulators and query offsets for one block. */
    private final class BlockScratch {
        final int group = nHeads / nKvHeads;
        final LambdaAttention.Accumulator[] accs = new LambdaAttention.Accumulator[QUERY_BLOCK * group];
        final int[] offsets = new int[QUERY_BLOCK * group];
        int[] topRows = new int[0];
        float[] topScores = new float[0];

        BlockScratch() {
            for (int j = 0; j < accs.length; j++) {
                accs[j] = new LambdaAttention.Accumulator(headDim);
            }
        }
    }

    /** First position a query at position pos sees locally. */
    private static int localFrom(KvCache cache, int pos) {
        return cache.window > 0 ? Math.max(0, pos - cache.window + 1) : 0;
    }

    /** Global rows (positions [0, n)) query position pos sees with the clamped distance. */
    private static int globalRows(KvCache cache, int pos) {
        return Math.min(cache.nGlobal, localFrom(cache, pos));
    }

    /**
     * Attention of batch rows [b·B, b·B + B) × the query heads of KV head g. Keys every query of
     * the block sees (local: from the last query's window start up to the first query, if any; global:
     * the first query's global rows) are folded for all queries together; then each query folds
     * its own remainder (the older local keys only earlier queries still see, the block's own
     * keys up to itself, and global rows that only later queries have).
     */
    private void attendBlock(KvCache cache, int start, int t, int b, int g, float[] q, float[] qClamped, float[] qNear,
                             float[] kIn, float[] v, BlockScratch s, float[] out) {
        int qDim = nHeads * headDim;
        int i0 = b * QUERY_BLOCK, i1 = Math.min(t, i0 + QUERY_BLOCK);
        int nq = (i1 - i0) * s.group;
        for (int i = i0, j = 0; i < i1; i++) {
            for (int h = g * s.group; h < (g + 1) * s.group; h++, j++) {
                s.offsets[j] = i * qDim + h * headDim;
                s.accs[j].reset();
            }
        }
        int firstPos = start + i0, lastPos = start + i1 - 1;
        // A block longer than the window has no key all its queries see: then sharedFrom = firstPos.
        int sharedFrom = Math.min(localFrom(cache, lastPos), firstPos);
        int sharedGlobal = globalRows(cache, firstPos);
        foldLocal(cache, start, g, q, s.offsets, 0, nq, kIn, v, sharedFrom, firstPos, s.accs);
        foldGlobal(cache, g, qClamped, s.offsets, 0, nq, 0, sharedGlobal, s.accs);
        for (int i = i0, j = 0; i < i1; i++) {
            int pos = start + i;
            for (int h = 0; h < s.group; h++, j++) {
                foldLocal(cache, start, g, q, s.offsets, j, j + 1, kIn, v, localFrom(cache, pos), sharedFrom, s.accs);
                foldLocal(cache, start, g, q, s.offsets, j, j + 1, kIn, v, Math.max(firstPos, localFrom(cache, pos)), pos + 1, s.accs);
                foldGlobal(cache, g, qClamped, s.offsets, j, j + 1, sharedGlobal, globalRows(cache, pos), s.accs);
                if (qNear != null && pos >= cache.topKFrom) {
                    foldTopK(cache, g, pos, qNear, s.offsets[j], s.accs[j], s);
                }
                attention.finish(s.accs[j], out, s.offsets[j]);
            }
        }
    }

    /**
     * Folds the rotated keys of absolute positions [from, to) into queries [qFrom, qTo): positions
     * before the batch come from the cache (a ring wraps), the rest from the batch itself.
     */
    private void foldLocal(KvCache cache, int start, int g, float[] q, int[] offsets, int qFrom, int qTo, float[] kIn,
                           float[] v, int from, int to, LambdaAttention.Accumulator[] accs) {
        int kvDim = kvDim();
        int kvo = g * headDim;
        int cachedTo = Math.min(to, start);
        if (from < cachedTo) {
            if (cache.window > 0) {
                attention.foldRing(q, offsets, qFrom, qTo, scale, cache.keys, cache.values, kvo, kvDim, cache.window,
                        cache.slot(from), cachedTo - from, accs);
            } else {
                attention.fold(q, offsets, qFrom, qTo, scale, cache.keys, cache.values, from * kvDim + kvo, kvDim,
                        cachedTo - from, accs);
            }
        }
        int batchFrom = Math.max(from, start);
        if (batchFrom < to) {
            attention.fold(q, offsets, qFrom, qTo, scale, kIn, v, (batchFrom - start) * kvDim + kvo, kvDim,
                    to - batchFrom, accs);
        }
    }

    /**
     * LM-Infinite's top-k attention for one query: among the middle keys (positions nGlobal up to
     * the window's start, kept unrotated), the k that score highest with the query rotated to the
     * top-k position join its softmax with that score. Nothing happens while there are fewer than
     * k middle keys (the reference's {@code col_high >= global_branch + top_k_attention}).
     */
    private void foldTopK(KvCache cache, int g, int pos, float[] qNear, int qo, LambdaAttention.Accumulator acc,
                          BlockScratch s) {
        int middle = localFrom(cache, pos) - cache.nGlobal;
        int k = cache.topK;
        if (middle < k) {
            return;
        }
        if (s.topRows.length < k) {
            s.topRows = new int[k];
            s.topScores = new float[k];
        }
        int kvDim = kvDim();
        int first = cache.nGlobal * kvDim + g * headDim;
        attention.topK(qNear, qo, headDim, scale, cache.globalKeys, first, kvDim, middle, k, s.topRows, s.topScores);
        for (int r = 0; r < k; r++) {
            attention.fold(qNear, qo, scale, cache.globalKeys, cache.globalValues, first + s.topRows[r] * kvDim, kvDim, 1,
                    acc);
        }
    }

    /** Folds the unrotated global keys [from, to) into queries [qFrom, qTo) with their clamped rotation. */
    private void foldGlobal(KvCache cache, int g, float[] qClamped, int[] offsets, int qFrom, int qTo, int from, int to,
                            LambdaAttention.Accumulator[] accs) {
        if (from < to) {
            attention.fold(qClamped, offsets, qFrom, qTo, scale, cache.globalKeys, cache.globalValues,
                    from * kvDim() + g * headDim, kvDim(), to - from, accs);
        }
    }
}
