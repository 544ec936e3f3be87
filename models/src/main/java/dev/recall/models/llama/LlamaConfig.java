package dev.recall.models.llama;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.config.RopeConfig;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.Checkpoint;

import java.util.Arrays;
import java.util.List;

/**
 * The hyper-parameters of a Llama-layout checkpoint. Sizes come from tensor shapes; config.json
 * only cross-checks them (a disagreement means a broken or mismatched checkpoint) and supplies what
 * shapes cannot tell: the head size, norm epsilon, RoPE and sliding-window settings.
 *
 * @param slidingWindows per layer, the configured attention window, or 0 where the layer attends
 *                       to everything (then the caller's attention policy applies)
 * @param pairing        how q and k rows pair for RoPE: a Llama GGUF file's rows are permuted
 * @param ropeFreqs      null, or llama.cpp's per-pair frequency divisors from a GGUF file
 */
record LlamaConfig(String architecture, int vocabSize, int hiddenSize, int layers, int heads, int kvHeads,
                   int headDim, int intermediateSize, float rmsNormEps, int trainingLength, RopeConfig rope,
                   int[] slidingWindows, Rope.Pairing pairing, float[] ropeFreqs) {

    static final String PREFIX = "model.";

    /** Layers with a window of their own, which no attention policy changes. */
    int windowedLayers() {
        return (int) Arrays.stream(slidingWindows).filter(w -> w > 0).count();
    }

    static LlamaConfig from(Checkpoint checkpoint) {
        ModelConfig c = checkpoint.config();
        Weights w = checkpoint.weights();
        String arch = c.architecture();

        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new RecallException(c.source() + ": hidden_act '" + act + "' is not supported by the Llama family (expected silu)");
        }

        var embedding = w.get(PREFIX + "embed_tokens.weight");
        if (embedding.rank() != 2) {
            throw new RecallException("tensor " + embedding.name() + " has shape " + embedding.shapeString() + ", expected [vocab, hidden]");
        }
        int vocab = embedding.dim(0);
        int hidden = embedding.dim(1);
        c.crossCheck("vocab_size", vocab, "rows of " + embedding.name());
        c.crossCheck("hidden_size", hidden, "columns of " + embedding.name());

        int layers = 0;
        while (w.has(PREFIX + "layers." + layers + ".input_layernorm.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new RecallException("no decoder layers (" + PREFIX + "layers.0.*) in the model weights");
        }
        c.crossCheck("num_hidden_layers", layers, "decoder layers in the weights");

        // Head size is the one thing shapes cannot tell: q_proj rows = heads · head_dim.
        int headDim = c.has("head_dim") ? c.integer("head_dim") : hidden / c.positiveInteger("num_attention_heads");
        String layer0 = PREFIX + "layers.0.self_attn.";
        int qRows = w.get(layer0 + "q_proj.weight").dim(0);
        int kRows = w.get(layer0 + "k_proj.weight").dim(0);
        if (headDim <= 0 || qRows % headDim != 0 || kRows % headDim != 0) {
            throw new RecallException("q_proj rows " + qRows + " and k_proj rows " + kRows
                    + " are not multiples of head_dim " + headDim + " (" + c.source() + ")");
        }
        int heads = qRows / headDim;
        int kvHeads = kRows / headDim;
        c.crossCheck("num_attention_heads", heads, "q_proj rows / head_dim");
        if (c.has("num_key_value_heads")) {
            c.crossCheck("num_key_value_heads", kvHeads, "k_proj rows / head_dim");
        } else if (kvHeads != heads) {
            throw new RecallException(c.source() + " has no num_key_value_heads, so it expects " + heads
                    + " KV heads, but k_proj has " + kvHeads);
        }
        if (heads % kvHeads != 0) {
            throw new RecallException(heads + " query heads cannot share " + kvHeads + " KV heads evenly (" + c.source() + ")");
        }

        int intermediate = w.get(PREFIX + "layers.0.mlp.gate_proj.weight").dim(0);
        c.crossCheck("intermediate_size", intermediate, "rows of mlp.gate_proj");

        float eps = (float) c.epsilon("rms_norm_eps", 1e-6);
        int trainingLength = c.integer("max_position_embeddings", 0, 0, Integer.MAX_VALUE);
        // llama.cpp's converter permutes the q/k rows of llama files, not those of qwen2 files.
        boolean permuted = checkpoint.format() == Checkpoint.Format.GGUF && c.string("model_type", "").equals("llama");
        float[] ropeFreqs = null;
        if (w.has(LlamaGguf.ROPE_FREQS)) {
            ropeFreqs = w.get(LlamaGguf.ROPE_FREQS).expectShape(headDim / 2).toFloats();
        }
        return new LlamaConfig(arch, vocab, hidden, layers, heads, kvHeads, headDim, intermediate, eps,
                trainingLength, RopeConfig.from(c), slidingWindows(c, layers),
                permuted ? Rope.Pairing.ADJACENT : Rope.Pairing.HALVES, ropeFreqs);
    }

    /**
     * The configured window of each layer. Mistral slides every layer when {@code sliding_window} is
     * set; Qwen2 only when {@code use_sliding_window} is true, and then only layers from
     * {@code max_window_layers} on. A transformers ≥ 5 {@code layer_types} list says it per layer.
     */
    private static int[] slidingWindows(ModelConfig c, int layers) {
        int[] windows = new int[layers];
        boolean qwen2 = c.architecture().startsWith("Qwen2") || c.string("model_type", "").equals("qwen2");
        boolean enabled = c.has("sliding_window") && (!qwen2 || c.bool("use_sliding_window", false));
        if (!enabled) {
            return windows;
        }
        int window = c.integer("sliding_window");
        if (window < 1) {
            throw new RecallException(c.source() + ": sliding_window must be positive, got " + window);
        }
        List<String> types = c.stringList("layer_types").orElse(null);
        if (types != null && types.size() != layers) {
            throw new RecallException(c.source() + ": layer_types lists " + types.size() + " layers, the weights have " + layers);
        }
        int firstSliding = qwen2 ? c.integer("max_window_layers", 28) : 0;
        for (int i = 0; i < layers; i++) {
            boolean sliding = types != null ? types.get(i).equals("sliding_attention") : i >= firstSliding;
            windows[i] = sliding ? window : 0;
        }
        return windows;
    }
}
