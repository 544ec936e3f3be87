package dev.recall.runtime.attention;

import dev.recall.kernels.LambdaAttention;
import dev.recall.kernels.Parallel;

/**
 * Causal multi-head attention with grouped KV heads over a {@link KvCache}. Models hand it
 * unrotated projections; it applies RoPE at each token's absolute position, attends according to
 * the cache's visibility rule and appends the batch to the cache. Prefill and decode are the same
 * code (decode is a batch of one), which is what keeps them numerically identical.
 *
 * <p>Query i of a batch sees earlier tokens from the cache and the batch's own keys up to itself,
 * read straight from the batch (so a ring cache never has to hold more than its window, and every
 * query of the batch is independent: they run in parallel). What a query sees:
 * <ul>
 *   <li>full: every key j ≤ i;</li>
 *   <li>sliding window w: keys with i − j &lt; w;</li>
 *   <li>Λ (LM-Infinite, window = d_max): the same local keys, plus the first n_global keys that
 *       fell out of the window, scored with the query rotated to position d_max against the
 *       unrotated key (relative distance clamped to d_max). One softmax covers both.</li>
 * </ul>
 */
public final class AttentionLayer {

    /** Multiply-adds below which a block of (query, head) pairs is not worth a parallel task. */
    private static final int PARALLEL_GRAIN_WORK = 1 << 15;

    private final int nHeads;
    private final int nKvHeads;
    private final int headDim;
    private final Rope rope;
    private final float scale;
    private final LambdaAttention attention = LambdaAttention.get();

    public AttentionLayer(int nHeads, int nKvHeads, int headDim, Rope rope, float scale) {
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(nHeads + " query heads cannot share " + nKvHeads + " KV heads evenly");
        }
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.headDim = headDim;
        this.rope = rope;
        this.scale = scale;
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    /** A fresh cache for this layer under the given policy. */
    public KvCache newCache(AttentionPolicy policy) {
        return switch (policy) {
            case AttentionPolicy.Full f -> new KvCache(kvDim(), 0);
            case AttentionPolicy.SlidingWindow w -> new KvCache(kvDim(), w.window());
            case AttentionPolicy.Lambda l -> KvCache.lambda(kvDim(), l.nGlobal(), l.dMax());
        };
    }

    /**
     * q is [t, nHeads·headDim], k and v are [t, nKvHeads·headDim] (unrotated; q and k are rotated
     * in place). out receives [t, nHeads·headDim].
     */
    public void forward(KvCache cache, float[] q, float[] kIn, float[] v, int t, float[] out) {
        int qDim = nHeads * headDim;
        int kvDim = kvDim();
        int start = cache.length;
        cache.keepGlobal(kIn, v, t);
        float[] qClamped = clampedQueries(cache, q, t);
        if (rope != null) {
            for (int i = 0; i < t; i++) {
                rope.rotate(q, i * qDim, nHeads, start + i);
                rope.rotate(kIn, i * kvDim, nKvHeads, start + i);
            }
        }
        int last = start + t - 1;
        int visible = cache.window > 0 ? Math.min(last + 1, cache.window + cache.nGlobal) : last + 1;
        int grain = (int) Math.max(1, PARALLEL_GRAIN_WORK / ((long) visible * headDim));
        Parallel.forRange(t * nHeads, grain, (from, to) -> {
            LambdaAttention.Accumulator acc = new LambdaAttention.Accumulator(headDim);
            for (int idx = from; idx < to; idx++) {
                attend(cache, start, idx / nHeads, idx % nHeads, q, qClamped, kIn, v, acc, out);
            }
        });
        cache.appendAll(kIn, v, t);
    }

    /**
     * For a Λ cache, the queries rotated to position d_max (the clamped distance of the global
     * path), for the batch rows that have one (position ≥ d_max); null when no row does.
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
        for (int i = Math.max(0, cache.window - start); i < t; i++) {
            System.arraycopy(q, i * qDim, clamped, i * qDim, qDim);
            rope.rotate(clamped, i * qDim, nHeads, cache.window);
        }
        return clamped;
    }

    /** Attention of batch row i, query head h: cached keys, the batch's own keys, then global keys. */
    private void attend(KvCache cache, int start, int i, int h, float[] q, float[] qClamped, float[] kIn, float[] v,
                        LambdaAttention.Accumulator acc, float[] out) {
        int qDim = nHeads * headDim;
        int kvDim = kvDim();
        int qo = i * qDim + h * headDim;
        int kvo = (h / (nHeads / nKvHeads)) * headDim;
        int pos = start + i;
        int lo = cache.window > 0 ? Math.max(0, pos - cache.window + 1) : 0;
        acc.reset();
        if (lo < start) {
            if (cache.window > 0) {
                attention.foldRing(q, qo, scale, cache.keys, cache.values, kvo, kvDim, cache.window,
                        cache.slot(lo), start - lo, acc);
            } else {
                attention.fold(q, qo, scale, cache.keys, cache.values, lo * kvDim + kvo, kvDim, start - lo, acc);
            }
        }
        int firstInBatch = Math.max(lo, start) - start;
        attention.fold(q, qo, scale, kIn, v, firstInBatch * kvDim + kvo, kvDim, i - firstInBatch + 1, acc);
        int globalRows = Math.min(cache.nGlobal, lo);
        if (globalRows > 0) {
            attention.fold(qClamped, qo, scale, cache.globalKeys, cache.globalValues, kvo, kvDim, globalRows, acc);
        }
        attention.finish(acc, out, qo);
    }
}
