package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionLayer;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.attention.KvArrayPool;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.layers.Linear;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * Griffin's local attention: multi-query attention (q/k/v without bias, o_proj with a bias), RoPE
 * on the first half of each head's dims, over a sliding window of recent tokens. The window lives
 * in the {@link KvCache} (a ring), so prefill and decode see the same keys.
 */
final class LocalAttentionBlock implements TemporalBlock {

    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final AttentionLayer attention;

    private LocalAttentionBlock(Linear q, Linear k, Linear v, Linear o, AttentionLayer attention) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.attention = attention;
    }

    static LocalAttentionBlock load(Kernels kernels, Weights weights, String prefix, int hidden, int heads, int headDim,
                                    Rope rope) {
        // The KV head count is the one size only the tensors tell: k_proj rows = kv heads · head_dim.
        int kvRows = weights.get(prefix + "k_proj.weight").dim(0);
        if (kvRows % headDim != 0) {
            throw new RecallException("tensor " + prefix + "k_proj.weight has " + kvRows
                    + " rows, which are not whole heads of " + headDim + " dims");
        }
        Linear q = Linear.load(kernels, weights, prefix + "q_proj", heads * headDim, hidden);
        Linear k = Linear.load(kernels, weights, prefix + "k_proj", kvRows, hidden);
        Linear v = Linear.load(kernels, weights, prefix + "v_proj", kvRows, hidden);
        Linear o = Linear.loadWithBias(kernels, weights, prefix + "o_proj", hidden, heads * headDim);
        int kvHeads = kvRows / headDim;
        AttentionLayer attention = new AttentionLayer(heads, kvHeads, headDim, rope, (float) (1.0 / Math.sqrt(headDim)), kernels);
        return new LocalAttentionBlock(q, k, v, o, attention);
    }

    int kvDim() {
        return attention.kvDim();
    }

    KvCache newCache(int window, KvArrayPool pool) {
        return attention.newCache(new AttentionPolicy.SlidingWindow(window), pool);
    }

    /**
     * u is the normalised input [rows, hidden]; out receives [rows, hidden]; piece p attends
     * through caches[p]. The cache copies the keys and
     * values it keeps, so they can live in scratch buffers; every context value is written by the
     * attention.
     */
    void forward(KvCache[] caches, float[] u, Rows rows, float[] out, Scratch scratch) {
        int t = rows.count();
        float[] queries = scratch.floats("attention.queries", t * q.out());
        float[] keys = scratch.floats("attention.keys", t * k.out());
        float[] values = scratch.floats("attention.values", t * v.out());
        q.forward(u, rows, queries);
        k.forward(u, rows, keys);
        v.forward(u, rows, values);
        float[] context = scratch.floats("attention.context", t * q.out());
        for (int p = 0; p < rows.pieces(); p++) {
            attention.forward(caches[p], queries, keys, values, rows.start(p), rows.length(p), context, scratch);
        }
        o.forward(context, rows, out);
    }
}
