package dev.recall.models.llama;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.attention.AttentionLayer;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.attention.KvArrayPool;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Scratch;

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
public final class LlamaModel implements LanguageModel {

    /** Most tokens pushed through the layers together: bounds activation memory on long prompts. */
    static final int PREFILL_CHUNK = 256;

    private final Checkpoint checkpoint;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final AttentionLayer attention;
    private final ModelInfo info;
    private final Kernels k;
    private final Scratch.Pool scratches = new Scratch.Pool();
    /** Cache arrays of closed states, for the next ones. */
    private final KvArrayPool cacheArrays = new KvArrayPool();

    private LlamaModel(Checkpoint checkpoint, LlamaConfig config, LlamaWeights weights) {
        this.checkpoint = checkpoint;
        this.k = checkpoint.kernels();
        this.config = config;
        this.weights = weights;
        // The attention arithmetic is the same in every layer; only the caches differ.
        this.attention = new AttentionLayer(config.heads(), config.kvHeads(), config.headDim(),
                new Rope(config.rope(), config.headDim(), k), (float) (1.0 / Math.sqrt(config.headDim())), k);
        var w = checkpoint.weights();
        this.info = new ModelInfo("llama", config.architecture(), weights.head().rows(), config.hiddenSize(),
                config.layers(), config.trainingLength(), config.layers(), config.windowedLayers(),
                weights.layers().getFirst().q().weight().type().name(), w.parameterCount(), w.totalBytes(),
                ModelInfo.lookupOnlyBytes(weights.embedding(), weights.head()), checkpoint.bosTokenId(), checkpoint.eosTokenIds());
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
    public ModelInfo info() {
        return info;
    }

    /** One cache per layer: the layer's configured sliding window if it has one, else the policy. */
    @Override
    public LlamaState newState(AttentionPolicy policy) {
        KvCache[] caches = new KvCache[config.layers()];
        for (int i = 0; i < caches.length; i++) {
            int window = config.slidingWindows()[i];
            caches[i] = attention.newCache(window > 0 ? new AttentionPolicy.SlidingWindow(window) : policy, cacheArrays);
        }
        return new LlamaState(this, caches);
    }

    @Override
    public float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        if (!(state instanceof LlamaState s) || s.model != this) {
            throw new IllegalArgumentException("the state was not created by this model");
        }
        s.requireOpen();
        LanguageModel.checkTokens(tokens, from, to, weights.embedding().rows());
        int vocab = info.vocabSize();
        float[] logits = allLogits ? new float[(to - from) * vocab] : null;
        s.reserve(to - from); // one allocation for this call's tokens (callers feeding pieces reserve for all)
        try (Scratch scratch = scratches.take()) {
            for (int start = from; start < to; start += PREFILL_CHUNK) {
                int end = Math.min(to, start + PREFILL_CHUNK);
                if (allLogits) {
                    float[] chunk = forward(s, tokens, start, end, Head.EVERY_TOKEN, scratch);
                    System.arraycopy(chunk, 0, logits, (start - from) * vocab, chunk.length);
                } else if (end == to) {
                    logits = forward(s, tokens, start, end, Head.LAST_TOKEN, scratch).clone();
                } else {
                    forward(s, tokens, start, end, Head.NONE, scratch);
                }
            }
        }
        return logits;
    }

    /** Which tokens of a batch need next-token logits. */
    private enum Head { NONE, LAST_TOKEN, EVERY_TOKEN }

    /**
     * Runs tokens[from, to) through every layer, appending to the state's caches, and returns the
     * logits the head mode asks for ([vocab] per token, row-major; null for none), in a buffer of
     * {@code scratch} that the next piece reuses. Every activation buffer comes from {@code scratch}
     * too, so the pieces of one long prompt share one set.
     */
    private float[] forward(LlamaState state, int[] tokens, int from, int to, Head head, Scratch scratch) {
        int t = to - from;
        int d = config.hiddenSize();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvHeads() * config.headDim();
        int ff = config.intermediateSize();
        float eps = config.rmsNormEps();

        float[] x = scratch.floats("x", t * d);          // residual stream
        float[] xn = scratch.floats("xn", t * d);         // normalised input of a sub-block
        float[] q = scratch.floats("q", t * qDim);
        float[] key = scratch.floats("key", t * kvDim);
        float[] value = scratch.floats("value", t * kvDim);
        float[] attended = scratch.floats("attended", t * qDim);
        float[] projected = scratch.floats("projected", t * d);  // a sub-block's output before the residual add
        float[] gate = scratch.floats("gate", t * ff);
        float[] up = scratch.floats("up", t * ff);

        for (int i = 0; i < t; i++) {
            weights.embedding().row(tokens[from + i], x, i * d);
        }

        for (int l = 0; l < config.layers(); l++) {
            LlamaWeights.Layer layer = weights.layers().get(l);

            // Attention: h = x + o(Attn(RMSNorm(x))). RoPE and the cache are the AttentionLayer's job.
            rmsNormRows(x, layer.attentionNorm(), eps, xn, t, d);
            layer.q().forward(xn, t, q);
            layer.k().forward(xn, t, key);
            layer.v().forward(xn, t, value);
            attention.forward(state.caches[l], q, key, value, t, attended);
            layer.o().forward(attended, t, projected);
            k.add(projected, 0, x, 0, t * d);

            // SwiGLU MLP: x = h + down(silu(gate(n)) ⊙ up(n)), n = RMSNorm(h).
            rmsNormRows(x, layer.mlpNorm(), eps, xn, t, d);
            layer.gate().forward(xn, t, gate);
            layer.up().forward(xn, t, up);
            k.siluMul(gate, up, t * ff);
            layer.down().forward(gate, t, projected);
            k.add(projected, 0, x, 0, t * d);
        }

        if (head == Head.NONE) {
            return null;
        }
        int first = head == Head.EVERY_TOKEN ? 0 : t - 1;
        int rows = t - first;
        for (int i = 0; i < rows; i++) {
            k.rmsNorm(x, (first + i) * d, weights.finalNorm(), 0f, eps, xn, i * d, d);
        }
        float[] logits = scratch.floats("logits", rows * info.vocabSize());
        k.matmul(weights.head(), xn, rows, logits);
        return logits;
    }

    private void rmsNormRows(float[] x, float[] weight, float eps, float[] y, int t, int d) {
        for (int i = 0; i < t; i++) {
            k.rmsNorm(x, i * d, weight, 0f, eps, y, i * d, d);
        }
    }

    @Override
    public void close() {
        checkpoint.weights().close();
    }
}
