package dev.recall.models.griffin;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionLayer;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.io.Weights;
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

    static LocalAttentionBlock load(Weights weights, String prefix, int hidden, int heads, int headDim, Rope rope) {
        Linear q = Linear.load(weights, prefix + "q_proj", false);
        Linear k = Linear.load(weights, prefix + "k_proj", false);
        Linear v = Linear.load(weights, prefix + "v_proj", false);
        Linear o = Linear.load(weights, prefix + "o_proj", true);
        if (q.out() != heads * headDim || q.in() != hidden || o.in() != heads * headDim || o.out() != hidden) {
            throw new RecallException(prefix + "q_proj/o_proj shapes do not match " + heads + " heads of "
                    + headDim + " dims and hidden size " + hidden);
        }
        if (k.out() % headDim != 0 || k.out() != v.out() || k.in() != hidden || v.in() != hidden) {
            throw new RecallException(prefix + "k_proj/v_proj shapes " + k.out() + "x" + k.in() + " and " + v.out()
                    + "x" + v.in() + " are not whole heads of " + headDim + " dims over hidden size " + hidden);
        }
        int kvHeads = k.out() / headDim;
        AttentionLayer attention = new AttentionLayer(heads, kvHeads, headDim, rope, (float) (1.0 / Math.sqrt(headDim)));
        return new LocalAttentionBlock(q, k, v, o, attention);
    }

    KvCache newCache(int window) {
        return attention.newCache(new AttentionPolicy.SlidingWindow(window));
    }

    /**
     * u is the normalised input [t, hidden]; out receives [t, hidden]. The cache copies the keys and
     * values it keeps, so they can live in scratch buffers; every context value is written by the
     * attention.
     */
    void forward(KvCache cache, float[] u, int t, float[] out, Scratch scratch) {
        float[] queries = scratch.floats("attention.queries", t * q.out());
        float[] keys = scratch.floats("attention.keys", t * k.out());
        float[] values = scratch.floats("attention.values", t * v.out());
        q.forward(u, t, queries);
        k.forward(u, t, keys);
        v.forward(u, t, values);
        float[] context = scratch.floats("attention.context", t * q.out());
        attention.forward(cache, queries, keys, values, t, context);
        o.forward(context, t, out);
    }
}
