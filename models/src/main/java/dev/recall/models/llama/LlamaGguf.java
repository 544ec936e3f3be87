package dev.recall.models.llama;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.kernels.ElementType;
import dev.recall.kernels.Kernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.io.gguf.BlockTensorName;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufModelSource;
import dev.recall.runtime.io.gguf.GgufWriter;
import dev.recall.runtime.tokenizer.GgufTokenizerExport;
import dev.recall.runtime.model.Checkpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama or Qwen2 GGUF file as the checkpoint {@link LlamaModel} reads: the hyper-parameters of
 * the {@code ARCH.*} metadata as the config.json keys they stand for, and the tensors under
 * Hugging Face's names (llama.cpp's {@code convert_hf_to_gguf.py} tensor map, read backwards).
 *
 * <p>llama.cpp's converter permutes the q and k rows of {@code llama} files so that each head's
 * two rotary halves interleave (its RoPE pairs neighbours); {@code qwen2} files are not permuted.
 * The weights stay as they are in the file, and the model rotates neighbouring pairs instead
 * ({@link dev.recall.runtime.attention.Rope.Pairing#ADJACENT}): the same rotation of the same
 * values, with no copy of the matrices.
 */
final class LlamaGguf {

    private LlamaGguf() {
    }

    /** GGUF tensor name suffixes of a block and the Hugging Face names they stand for. */
    private static final Map<String, String> BLOCK_TENSORS = Map.ofEntries(
            Map.entry("attn_norm.weight", "input_layernorm.weight"),
            Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
            Map.entry("attn_k.weight", "self_attn.k_proj.weight"),
            Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
            Map.entry("attn_output.weight", "self_attn.o_proj.weight"),
            Map.entry("attn_q.bias", "self_attn.q_proj.bias"),
            Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
            Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
            Map.entry("attn_output.bias", "self_attn.o_proj.bias"),
            Map.entry("ffn_norm.weight", "post_attention_layernorm.weight"),
            Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"),
            Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
            Map.entry("ffn_down.weight", "mlp.down_proj.weight"));

    /** The name llama.cpp's converter gives llama3 rope scaling's per-pair frequency divisors. */
    static final String ROPE_FREQS = "rope_freqs.weight";

    static Checkpoint checkpoint(GgufFile gguf, Kernels kernels) {
        String arch = gguf.string("general.architecture");
        String where = gguf.path().getFileName().toString();
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (Tensor t : gguf.tensors().values()) {
            String hf = hfName(t.name());
            if (hf == null) {
                throw new RecallException(where + " has tensor '" + t.name() + "', which a " + arch + " model does not have");
            }
            named.put(hf, t);
        }

        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putArray("architectures").add(arch.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.put("model_type", arch);
        int hidden = positive(gguf, arch + ".embedding_length");
        int heads = positive(gguf, arch + ".attention.head_count");
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", positive(gguf, arch + ".block_count"));
        c.put("intermediate_size", positive(gguf, arch + ".feed_forward_length"));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", gguf.has(arch + ".attention.head_count_kv")
                ? positive(gguf, arch + ".attention.head_count_kv") : heads);
        int headDim = gguf.has(arch + ".attention.key_length") ? positive(gguf, arch + ".attention.key_length") : hidden / heads;
        c.put("head_dim", headDim);
        int rotary = gguf.has(arch + ".rope.dimension_count") ? positive(gguf, arch + ".rope.dimension_count") : headDim;
        if (rotary != headDim) {
            c.put("partial_rotary_factor", (double) rotary / headDim);
        }
        c.put("rms_norm_eps", gguf.number(arch + ".attention.layer_norm_rms_epsilon", 1e-6));
        c.put("rope_theta", gguf.number(arch + ".rope.freq_base", 10000.0));
        c.put("max_position_embeddings", gguf.integer(arch + ".context_length", 0));
        String scaling = gguf.string(arch + ".rope.scaling.type", "none");
        switch (scaling) {
            case "none" -> {
            }
            case "linear" -> {
                ObjectNode s = c.putObject("rope_scaling");
                s.put("rope_type", "linear");
                s.put("factor", gguf.number(arch + ".rope.scaling.factor", 1.0));
            }
            default -> throw new RecallException(where + " uses rope scaling '" + scaling
                    + "', which Recall does not support for GGUF files (none and linear are)");
        }
        c.put("tie_word_embeddings", !named.containsKey("lm_head.weight"));
        c.put("attention_bias", named.containsKey("model.layers.0.self_attn.q_proj.bias"));
        if (gguf.has("tokenizer.ggml.bos_token_id")) {
            c.put("bos_token_id", gguf.integer("tokenizer.ggml.bos_token_id"));
        }
        if (gguf.has("tokenizer.ggml.eos_token_id")) {
            c.put("eos_token_id", gguf.integer("tokenizer.ggml.eos_token_id"));
        }
        ModelConfig config = new ModelConfig(where + " (GGUF metadata)", c);
        return new Checkpoint(gguf.path(), config, new Weights(named, gguf), null, kernels, Checkpoint.Format.GGUF);
    }

    private static String hfName(String gguf) {
        switch (gguf) {
            case "token_embd.weight":
                return "model.embed_tokens.weight";
            case "output_norm.weight":
                return "model.norm.weight";
            case "output.weight":
                return "lm_head.weight";
            case ROPE_FREQS:
                return ROPE_FREQS;
            default:
                break;
        }
        BlockTensorName block = BlockTensorName.parse(gguf);
        String suffix = block == null ? null : BLOCK_TENSORS.get(block.rest());
        return suffix == null ? null : "model.layers." + block.layer() + "." + suffix;
    }

    private static int positive(GgufFile gguf, String key) {
        long v = gguf.integer(key);
        if (v < 1 || v > (1 << 24)) {
            throw new RecallException(gguf.path().getFileName() + ": metadata " + key + " is " + v
                    + ", expected a whole number from 1 to " + (1 << 24));
        }
        return (int) v;
    }

    /**
     * The checkpoint as llama.cpp's converter writes it: {@code ARCH.*} hyper-parameters, the
     * tokenizer where llama.cpp can name it, tensors in block order under GGUF names, and (for
     * {@code llama}) each head's q and k rows interleaved for ggml's RoPE.
     */
    static GgufModelSource export(Checkpoint checkpoint) {
        LlamaConfig c = LlamaConfig.from(checkpoint);
        if (!c.rope().type().equals("default") && !c.rope().type().equals("linear") && !c.rope().type().equals("llama3")) {
            throw new RecallException(checkpoint.config().source() + " uses " + c.rope().type()
                    + " rope scaling, which recall quantize does not write yet");
        }
        if (c.windowedLayers() > 0) {
            throw new RecallException(checkpoint.config().source() + " has sliding-window layers, which llama.cpp's "
                    + "llama architecture does not express");
        }
        String arch = c.architecture().startsWith("Qwen2") || c.architecture().equals("qwen2") ? "qwen2" : "llama";
        Map<String, GgufWriter.Value> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufWriter.Value.string(arch));
        m.put("general.name", GgufWriter.Value.string(String.valueOf(checkpoint.dir().getFileName())));
        m.put(arch + ".vocab_size", GgufWriter.Value.u32(c.vocabSize()));
        m.put(arch + ".context_length", GgufWriter.Value.u32(c.trainingLength() > 0 ? c.trainingLength() : 2048));
        m.put(arch + ".embedding_length", GgufWriter.Value.u32(c.hiddenSize()));
        m.put(arch + ".block_count", GgufWriter.Value.u32(c.layers()));
        m.put(arch + ".feed_forward_length", GgufWriter.Value.u32(c.intermediateSize()));
        m.put(arch + ".rope.dimension_count", GgufWriter.Value.u32((int) (c.headDim() * c.rope().partialRotaryFactor())));
        m.put(arch + ".attention.head_count", GgufWriter.Value.u32(c.heads()));
        m.put(arch + ".attention.head_count_kv", GgufWriter.Value.u32(c.kvHeads()));
        if (c.headDim() != c.hiddenSize() / c.heads()) {
            m.put(arch + ".attention.key_length", GgufWriter.Value.u32(c.headDim()));
            m.put(arch + ".attention.value_length", GgufWriter.Value.u32(c.headDim()));
        }
        m.put(arch + ".attention.layer_norm_rms_epsilon", GgufWriter.Value.f32(c.rmsNormEps()));
        m.put(arch + ".rope.freq_base", GgufWriter.Value.f32(c.rope().theta()));
        if (c.rope().type().equals("linear")) {
            m.put(arch + ".rope.scaling.type", GgufWriter.Value.string("linear"));
            m.put(arch + ".rope.scaling.factor", GgufWriter.Value.f32(c.rope().factor()));
        }
        GgufTokenizerExport.Export tokenizer = GgufTokenizerExport.of(checkpoint.dir(), c.vocabSize(),
                checkpoint.eosTokenIds(), checkpoint.bosTokenId());
        m.putAll(tokenizer.metadata());

        Weights w = checkpoint.weights();
        List<GgufModelSource.SourceTensor> tensors = new ArrayList<>();
        if (c.rope().type().equals("llama3")) {
            float[] factors = llama3RopeFactors(c);
            tensors.add(new GgufModelSource.SourceTensor(ROPE_FREQS, new long[] {factors.length}, ElementType.F32,
                    (r, out) -> System.arraycopy(factors, 0, out, 0, factors.length)));
        }
        tensors.add(GgufModelSource.SourceTensor.of("token_embd.weight", w.get(LlamaConfig.PREFIX + "embed_tokens.weight")));
        boolean permute = arch.equals("llama");
        for (int i = 0; i < c.layers(); i++) {
            String hf = LlamaConfig.PREFIX + "layers." + i + ".";
            String blk = "blk." + i + ".";
            tensors.add(GgufModelSource.SourceTensor.of(blk + "attn_norm.weight", w.get(hf + "input_layernorm.weight")));
            for (String[] p : new String[][] {{"q", "attn_q"}, {"k", "attn_k"}, {"v", "attn_v"}, {"o", "attn_output"}}) {
                GgufModelSource.SourceTensor weight = GgufModelSource.SourceTensor.of(blk + p[1] + ".weight",
                        w.get(hf + "self_attn." + p[0] + "_proj.weight"));
                int heads = p[0].equals("q") ? c.heads() : c.kvHeads();
                boolean rotary = p[0].equals("q") || p[0].equals("k");
                tensors.add(permute && rotary ? interleaveHeads(weight, heads) : weight);
                if (w.has(hf + "self_attn." + p[0] + "_proj.bias")) {
                    GgufModelSource.SourceTensor bias = GgufModelSource.SourceTensor.of(blk + p[1] + ".bias",
                            w.get(hf + "self_attn." + p[0] + "_proj.bias"));
                    tensors.add(permute && rotary ? interleaveHeads(bias, heads) : bias);
                }
            }
            tensors.add(GgufModelSource.SourceTensor.of(blk + "ffn_norm.weight", w.get(hf + "post_attention_layernorm.weight")));
            for (String[] p : new String[][] {{"gate", "ffn_gate"}, {"up", "ffn_up"}, {"down", "ffn_down"}}) {
                tensors.add(GgufModelSource.SourceTensor.of(blk + p[1] + ".weight", w.get(hf + "mlp." + p[0] + "_proj.weight")));
            }
        }
        tensors.add(GgufModelSource.SourceTensor.of("output_norm.weight", w.get(LlamaConfig.PREFIX + "norm.weight")));
        if (!checkpoint.headTiedToEmbeddings(false)) {
            tensors.add(GgufModelSource.SourceTensor.of("output.weight", w.get("lm_head.weight")));
        }
        return new GgufModelSource(m, tensors, () -> { }, tokenizer.omitted());
    }

    /**
     * llama3 rope scaling as llama.cpp's converter writes it (conversion/llama.py,
     * generate_extra_tensors): a divisor per rotary pair, computed in fp32 as torch does.
     */
    static float[] llama3RopeFactors(LlamaConfig c) {
        var rope = c.rope();
        int dim = c.headDim();
        float base = (float) rope.theta();
        float factor = (float) rope.factor();
        float low = (float) rope.lowFreqFactor();
        float high = (float) rope.highFreqFactor();
        float old = rope.originalMaxPositions();
        float lowWavelen = old / low;
        float highWavelen = old / high;
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            float freq = (float) (1.0 / (float) Math.pow(base, (float) (2 * i) / dim));
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) {
                out[i] = 1;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                float smooth = (old / wavelen - low) / (high - low);
                out[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return out;
    }

    /**
     * llama.cpp's permute for q and k: within each head, row 2i is the first half's row i and row
     * 2i + 1 the second half's (a 1-D bias is permuted the same way, element by element).
     */
    private static GgufModelSource.SourceTensor interleaveHeads(GgufModelSource.SourceTensor t, int heads) {
        if (t.dims() == 1) {
            int n = t.cols();
            int headDim = n / heads;
            return new GgufModelSource.SourceTensor(t.name(), t.shape(), t.stored(), (r, out) -> {
                float[] all = new float[n];
                t.rows().row(0, all);
                for (int e = 0; e < n; e++) {
                    out[e] = all[hfIndex(e, headDim)];
                }
            });
        }
        int headDim = t.rowCount() / heads;
        return new GgufModelSource.SourceTensor(t.name(), t.shape(), t.stored(), (r, out) -> t.rows().row(hfIndex(r, headDim), out));
    }

    private static int hfIndex(int r, int headDim) {
        int head = r / headDim;
        int j = r % headDim;
        return head * headDim + (j % 2 == 0 ? j / 2 : headDim / 2 + j / 2);
    }
}
