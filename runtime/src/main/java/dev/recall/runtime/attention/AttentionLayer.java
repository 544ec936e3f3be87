package dev.recall.runtime.attention;

import dev.recall.kernels.Kernels;

/**
 * Causal multi-head attention with grouped KV heads over a {@link KvCache}. Models hand it
 * unrotated projections; it applies RoPE at each token's absolute position, appends to the cache
 * and attends according to the cache's visibility rule. Prefill and decode are the same code
 * (decode is a batch of one), which is what keeps them numerically identical.
 */
public final class AttentionLayer {

    private final int nHeads;
    private final int nKvHeads;
    private final int headDim;
    private final Rope rope;
    private final float scale;
    private final Kernels k = Kernels.get();

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
        };
    }

    /**
     * q is [t, nHeads·headDim], k and v are [t, nKvHeads·headDim] (unrotated; q and k are rotated
     * in place). out receives [t, nHeads·headDim].
     */
    public void forward(KvCache cache, float[] q, float[] kIn, float[] v, int t, float[] out) {
        int qDim = nHeads * headDim;
        int kvDim = kvDim();
        int group = nHeads / nKvHeads;
        float[] scores = new float[cache.window > 0 ? cache.window : cache.length + t];
        for (int i = 0; i < t; i++) {
            int pos = cache.length;
            if (rope != null) {
                rope.rotate(q, i * qDim, nHeads, pos);
                rope.rotate(kIn, i * kvDim, nKvHeads, pos);
            }
            cache.append(kIn, i * kvDim, v, i * kvDim);
            int first = cache.window > 0 ? Math.max(0, pos - cache.window + 1) : 0;
            int n = pos - first + 1;
            if (scores.length < n) {
                scores = new float[n];
            }
            for (int h = 0; h < nHeads; h++) {
                int qo = i * qDim + h * headDim;
                int kvo = (h / group) * headDim;
                for (int j = 0; j < n; j++) {
                    int s = cache.slot(first + j) * kvDim + kvo;
                    scores[j] = k.dot(q, qo, cache.keys, s, headDim) * scale;
                }
                k.softmax(scores, 0, n);
                int oo = i * qDim + h * headDim;
                java.util.Arrays.fill(out, oo, oo + headDim, 0f);
                for (int j = 0; j < n; j++) {
                    int s = cache.slot(first + j) * kvDim + kvo;
                    k.axpy(scores[j], cache.values, s, out, oo, headDim);
                }
            }
        }
    }
}
