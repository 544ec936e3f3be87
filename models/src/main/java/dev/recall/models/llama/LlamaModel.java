package dev.recall.models.llama;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.attention.AttentionLayer;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.attention.KvArrayPool;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;
import dev.recall.runtime.model.StateIn;

/**
 * A RoPE decoder transformer in the Llama layout (Llama, Mistral, Qwen2). Per decoder block:
 * <pre>
 *   h = x + o_proj(Attention(RMSNorm(x)))           RoPE, GQA, causal (optionally windowed)
 *   x = h + down_proj(silu(gate_proj(n)) ⊙ up_proj(n)),   n = RMSNorm(h)
 * </pre>
 * then a final RMSNorm and the output head. Prefill pushes a batch of tokens through each layer
 * at once (every projection is one matmul over the batch); decoding is a batch of one.
 *
 * <p>The model is immutable and shared: all activations live in per-call buffers and everything a
 * sequence remembers lives in its {@link LlamaState}, so many threads may decode at once.
 */
public final class LlamaModel extends CausalLanguageModel<LlamaState> {

    /** Most tokens pushed through the layers together: bounds activation memory on long prompts. */
    static final int PREFILL_CHUNK = 256;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final AttentionLayer attention;
    private final Kernels k;
    /** Cache arrays of closed states, for the next ones. */
    private final KvArrayPool cacheArrays = new KvArrayPool();

    private LlamaModel(Checkpoint checkpoint, LlamaConfig config, LlamaWeights weights) {
        Kernels k = checkpoint.kernels();
        int d = config.hiddenSize();
        float eps = config.rmsNormEps();
        super(checkpoint, LlamaState.class,
                new Ends(weights.embedding(), (in, from, out, to) -> k.rmsNorm(in, from * d, weights.finalNorm(), 0f, eps, out, to * d, d),
                        weights.head()),
                new Facts("llama", config.layers(), config.layers(), config.windowedLayers()));
        this.k = k;
        this.config = config;
        this.weights = weights;
        // The attention arithmetic is the same in every layer; only the caches differ.
        this.attention = new AttentionLayer(config.heads(), config.kvHeads(), config.headDim(),
                new Rope(config.rope(), config.headDim(), k, config.pairing(), config.ropeFreqs()), (float) (1.0 / Math.sqrt(config.headDim())), k);
    }

    public static LlamaModel load(Checkpoint checkpoint) {
        LlamaConfig config = LlamaConfig.from(checkpoint);
        LlamaWeights weights = LlamaWeights.load(checkpoint, config);
        return new LlamaModel(checkpoint, config, weights);
    }

    /** The arrays closed states handed back (for tests). */
    KvArrayPool cacheArrays() {
        return cacheArrays;
    }

    @Override
    public LlamaState readState(StateIn in) {
        int layers = in.readInt();
        if (layers != config.layers()) {
            throw StateIn.damaged("it holds " + layers + " layers where this model has " + config.layers());
        }
        KvCache[] caches = new KvCache[layers];
        try {
            for (int i = 0; i < layers; i++) {
                caches[i] = KvCache.read(in, attention.kvDim(), cacheArrays);
            }
        } catch (RuntimeException | Error e) {
            KvCache.releaseAll(caches);
            throw e;
        }
        return new LlamaState(this, caches);
    }

    /** One cache per layer: the layer's configured sliding window if it has one, else the policy. */
    @Override
    public LlamaState newState(AttentionPolicy policy) {
        KvCache[] caches = new KvCache[config.layers()];
        for (int i = 0; i < caches.length; i++) {
            int window = config.slidingWindows()[i];
            caches[i] = attention.newCache(window > 0 ? new AttentionPolicy.SlidingWindow(window) : policy.forLayer(i), cacheArrays);
        }
        return new LlamaState(this, caches);
    }

    @Override
    protected int pieceLength() {
        return PREFILL_CHUNK;
    }

    @Override
    protected boolean owns(LlamaState state) {
        return state.model == this;
    }

    /**
     * One decoder block over the pass's rows, appending each piece's keys and values to its
     * state's cache of this layer. The activation buffers come from {@code scratch}, so the layers
     * and the pieces of one long prompt share one set.
     */
    @Override
    protected void layer(int l, Pass<LlamaState> pass, float[] x, Scratch scratch) {
        Rows rows = pass.rows();
        int t = rows.count();
        int d = config.hiddenSize();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvHeads() * config.headDim();
        int ff = config.intermediateSize();
        float eps = config.rmsNormEps();

        float[] xn = scratch.floats("xn", t * d);         // normalised input of a sub-block
        float[] q = scratch.floats("q", t * qDim);
        float[] key = scratch.floats("key", t * kvDim);
        float[] value = scratch.floats("value", t * kvDim);
        float[] attended = scratch.floats("attended", t * qDim);
        float[] projected = scratch.floats("projected", t * d);  // a sub-block's output before the residual add
        float[] gate = scratch.floats("gate", t * ff);
        float[] up = scratch.floats("up", t * ff);
        LlamaWeights.Layer layer = weights.layers().get(l);

        // Attention: h = x + o(Attn(RMSNorm(x))). RoPE and the cache are the AttentionLayer's
        // job, one sequence's piece at a time; the projections take every row at once.
        rmsNormRows(x, layer.attentionNorm(), eps, xn, t, d);
        layer.q().forward(xn, rows, q);
        layer.k().forward(xn, rows, key);
        layer.v().forward(xn, rows, value);
        for (int p = 0; p < pass.pieceCount(); p++) {
            attention.forward(pass.piece(p).state().caches[l], q, key, value, rows.start(p), rows.length(p),
                    attended, scratch);
        }
        layer.o().forward(attended, rows, projected);
        k.add(projected, 0, x, 0, t * d);

        // SwiGLU MLP: x = h + down(silu(gate(n)) ⊙ up(n)), n = RMSNorm(h).
        rmsNormRows(x, layer.mlpNorm(), eps, xn, t, d);
        layer.gate().forward(xn, rows, gate);
        layer.up().forward(xn, rows, up);
        k.siluMul(gate, up, t * ff);
        layer.down().forward(gate, rows, projected);
        k.add(projected, 0, x, 0, t * d);
    }

    private void rmsNormRows(float[] x, float[] weight, float eps, float[] y, int t, int d) {
        for (int i = 0; i < t; i++) {
            k.rmsNorm(x, i * d, weight, 0f, eps, y, i * d, d);
        }
    }

}
