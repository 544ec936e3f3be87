package dev.recall.models.rwkv6;

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
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.tokenizer.GgufTokenizerExport;
import dev.recall.runtime.tokenizer.RwkvVocabularies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RWKV-6 in GGUF, llama.cpp's {@code rwkv6} architecture (conversion/rwkv.py, Rwkv6Model): tensors
 * {@code time_mix_*} and {@code channel_mix_*}; the five token-shift mixes stacked into one
 * {@code time_mix_lerp_fused}; the low-rank mixing matrices stored transposed ({@code time_mix_w1},
 * {@code time_mix_decay_w1/w2}) or permuted ({@code time_mix_w2}) against the Hugging Face layout;
 * with {@code rescale_every_n_layers} > 0, each block's attention output and FFN value weights
 * divided by 2^(block / n) and the residual halved every n blocks. The mixing tensors are small and
 * fp32 in every file (llama.cpp's converter forces it), so they are turned back into the Hugging
 * Face layout at load; the large matrices stay in the file as they are.
 */
final class Rwkv6Gguf {

    private Rwkv6Gguf() {
    }

    private static final String[] MIXES = {"w", "k", "v", "r", "g"};

    /** GGUF block tensor → Hugging Face name under {@code rwkv.blocks.N.}, for the tensors kept as they are. */
    private static final Map<String, String> DIRECT = Map.ofEntries(
            Map.entry("attn_norm.weight", "ln1.weight"), Map.entry("attn_norm.bias", "ln1.bias"),
            Map.entry("attn_norm_2.weight", "ln2.weight"), Map.entry("attn_norm_2.bias", "ln2.bias"),
            Map.entry("time_mix_lerp_x.weight", "attention.time_maa_x"),
            Map.entry("time_mix_first.weight", "attention.time_faaaa"),
            Map.entry("time_mix_decay.weight", "attention.time_decay"),
            Map.entry("time_mix_key.weight", "attention.key.weight"),
            Map.entry("time_mix_value.weight", "attention.value.weight"),
            Map.entry("time_mix_receptance.weight", "attention.receptance.weight"),
            Map.entry("time_mix_gate.weight", "attention.gate.weight"),
            Map.entry("time_mix_output.weight", "attention.output.weight"),
            Map.entry("time_mix_ln.weight", "attention.ln_x.weight"), Map.entry("time_mix_ln.bias", "attention.ln_x.bias"),
            Map.entry("channel_mix_lerp_k.weight", "feed_forward.time_maa_k"),
            Map.entry("channel_mix_lerp_r.weight", "feed_forward.time_maa_r"),
            Map.entry("channel_mix_key.weight", "feed_forward.key.weight"),
            Map.entry("channel_mix_value.weight", "feed_forward.value.weight"),
            Map.entry("channel_mix_receptance.weight", "feed_forward.receptance.weight"));

    static Checkpoint checkpoint(GgufFile gguf, Kernels kernels) {
        String where = gguf.path().getFileName().toString();
        Map<String, Tensor> named = new LinkedHashMap<>();
        Arena arena = Arena.ofAuto();
        for (Tensor t : gguf.tensors().values()) {
            String name = t.name();
            switch (name) {
                case "token_embd.weight" -> named.put("rwkv.embeddings.weight", t);
                case "token_embd_norm.weight" -> named.put("rwkv.blocks.0.pre_ln.weight", t);
                case "token_embd_norm.bias" -> named.put("rwkv.blocks.0.pre_ln.bias", t);
                case "output_norm.weight" -> named.put("rwkv.ln_out.weight", t);
                case "output_norm.bias" -> named.put("rwkv.ln_out.bias", t);
                case "output.weight" -> named.put("head.weight", t);
                default -> block(where, t, named, arena);
            }
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putArray("architectures").add("Rwkv6ForCausalLM");
        c.put("model_type", "rwkv6");
        c.put("hidden_size", gguf.integer("rwkv6.embedding_length"));
        c.put("num_hidden_layers", gguf.integer("rwkv6.block_count"));
        c.put("head_size", gguf.integer("rwkv6.wkv.head_size"));
        c.put("intermediate_size", gguf.integer("rwkv6.feed_forward_length"));
        c.put("layer_norm_epsilon", gguf.number("rwkv6.attention.layer_norm_epsilon", 1e-5));
        c.put("rescale_every", gguf.integer("rwkv6.rescale_every_n_layers", 0));
        c.put("head_size_divisor", 8);
        for (String key : new String[] {"bos", "eos"}) {
            if (gguf.has("tokenizer.ggml." + key + "_token_id")) {
                c.put(key + "_token_id", gguf.integer("tokenizer.ggml." + key + "_token_id"));
            }
        }
        return new Checkpoint(gguf.path(), new ModelConfig(where + " (GGUF metadata)", c), new Weights(named, gguf), null,
                kernels, Checkpoint.Format.GGUF);
    }

    private static void block(String where, Tensor t, Map<String, Tensor> named, Arena arena) {
        String name = t.name();
        BlockTensorName block = BlockTensorName.parse(name);
        if (block == null) {
            throw new RecallException(where + " has tensor '" + name + "', which an rwkv6 model does not have");
        }
        String rest = block.rest();
        String hf = "rwkv.blocks." + block.layer() + ".";
        String direct = DIRECT.get(rest);
        if (direct != null) {
            named.put(hf + direct, t);
            return;
        }
        switch (rest) {
            case "time_mix_lerp_fused.weight" -> {
                // [5, 1, 1, C]: the w, k, v, r, g mixes one after another, viewed in place.
                long channels = t.shape()[t.shape().length - 1];
                if (t.numel() != 5 * channels) {
                    throw new RecallException(where + ": tensor " + name + " has shape " + t.shapeString() + ", expected [5, 1, 1, C]");
                }
                long bytes = t.weightType().rowBytes(channels);
                for (int m = 0; m < 5; m++) {
                    named.put(hf + "attention.time_maa_" + MIXES[m], new Tensor(name + "[" + m + "]", t.type(), t.typeName(),
                            new long[] {channels}, t.data().asSlice(m * bytes, bytes)));
                }
            }
            // Stored transposed: [out, in] in the file, [in, out] (x @ W) in the Hugging Face layout.
            case "time_mix_w1.weight" -> named.put(hf + "attention.time_maa_w1", transposed(t, arena));
            case "time_mix_decay_w1.weight" -> named.put(hf + "attention.time_decay_w1", transposed(t, arena));
            case "time_mix_decay_w2.weight" -> named.put(hf + "attention.time_decay_w2", transposed(t, arena));
            // [5, C, r] in the file (each mix's matrix transposed), [5, r, C] in the Hugging Face layout.
            case "time_mix_w2.weight" -> named.put(hf + "attention.time_maa_w2", transposed(t, arena));
            default -> throw new RecallException(where + " has tensor '" + name + "', which an rwkv6 model does not have");
        }
    }

    /** The last two dimensions swapped, as a new fp32 tensor (only the small mixing matrices). */
    private static Tensor transposed(Tensor t, Arena arena) {
        long[] shape = t.shape();
        if (shape.length < 2 || t.numel() > (1 << 26)) {
            throw new RecallException("tensor " + t.name() + " has shape " + t.shapeString() + ", expected a small matrix or stack");
        }
        int rows = Math.toIntExact(shape[shape.length - 2]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        int count = Math.toIntExact(t.numel() / ((long) rows * cols));
        float[] in = t.toFloats();
        float[] out = new float[in.length];
        for (int m = 0; m < count; m++) {
            int base = m * rows * cols;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[base + c * rows + r] = in[base + r * cols + c];
                }
            }
        }
        long[] swapped = shape.clone();
        swapped[shape.length - 2] = cols;
        swapped[shape.length - 1] = rows;
        MemorySegment data = arena.allocate((long) out.length * 4, 64);
        MemorySegment.copy(out, 0, data, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, out.length);
        return new Tensor(t.name(), ElementType.F32, "F32", swapped, data);
    }

    /** The checkpoint as llama.cpp's converter writes it (conversion/rwkv.py). */
    static GgufModelSource export(Checkpoint checkpoint) {
        Weights w = checkpoint.weights();
        Rwkv6Tensors tensors = new Rwkv6Tensors(w);
        ModelConfig config = checkpoint.config();
        Tensor embeddings = tensors.tensor("rwkv.embeddings.weight");
        int vocab = embeddings.dim(0);
        int channels = embeddings.dim(1);
        int layers = 0;
        while (tensors.has("rwkv.blocks." + layers + ".ln1.weight")) {
            layers++;
        }
        Tensor bonus = tensors.tensor("rwkv.blocks.0.attention.time_faaaa");
        int headSize = bonus.dim(1);
        int ffn = tensors.tensor("rwkv.blocks.0.feed_forward.key.weight").dim(0);
        int rescale = config.integer("rescale_every", 0);
        Map<String, GgufWriter.Value> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufWriter.Value.string("rwkv6"));
        m.put("general.name", GgufWriter.Value.string(String.valueOf(checkpoint.dir().getFileName())));
        m.put("rwkv6.vocab_size", GgufWriter.Value.u32(vocab));
        m.put("rwkv6.context_length", GgufWriter.Value.u32(1048576));
        m.put("rwkv6.embedding_length", GgufWriter.Value.u32(channels));
        m.put("rwkv6.block_count", GgufWriter.Value.u32(layers));
        m.put("rwkv6.attention.layer_norm_epsilon", GgufWriter.Value.f32(config.number("layer_norm_epsilon", 1e-5)));
        m.put("rwkv6.rescale_every_n_layers", GgufWriter.Value.u32(Math.max(0, rescale)));
        m.put("rwkv6.wkv.head_size", GgufWriter.Value.u32(headSize));
        m.put("rwkv6.time_mix_extra_dim", GgufWriter.Value.u32(tensors.tensor("rwkv.blocks.0.attention.time_maa_w2").dim(1)));
        m.put("rwkv6.time_decay_extra_dim", GgufWriter.Value.u32(tensors.tensor("rwkv.blocks.0.attention.time_decay_w1").dim(1)));
        m.put("rwkv6.feed_forward_length", GgufWriter.Value.u32(ffn));
        m.put("rwkv6.attention.head_count", GgufWriter.Value.u32(0));
        // The world vocabulary of the released checkpoints, else a tokenizer.json (the zoo's BPE).
        String tokenizerNote = null;
        var vocabulary = RwkvVocabularies.ggufMetadata(checkpoint.dir(), vocab);
        if (vocabulary != null) {
            m.putAll(vocabulary);
        } else {
            GgufTokenizerExport.Export bpe = GgufTokenizerExport.of(checkpoint.dir(), vocab, checkpoint.eosTokenIds(),
                    checkpoint.bosTokenId());
            m.putAll(bpe.metadata());
            tokenizerNote = bpe.omitted();
        }

        List<GgufModelSource.SourceTensor> out = new ArrayList<>();
        out.add(GgufModelSource.SourceTensor.of("token_embd.weight", embeddings));
        out.add(GgufModelSource.SourceTensor.of("token_embd_norm.weight", tensors.tensor("rwkv.blocks.0.pre_ln.weight")));
        out.add(GgufModelSource.SourceTensor.of("token_embd_norm.bias", tensors.tensor("rwkv.blocks.0.pre_ln.bias")));
        for (int l = 0; l < layers; l++) {
            String hf = "rwkv.blocks." + l + ".";
            String blk = "blk." + l + ".";
            float rescaled = rescale > 0 ? (float) Math.scalb(1.0, -(l / rescale)) : 1f;
            for (var e : DIRECT.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                Tensor t = tensors.tensor(hf + e.getValue());
                GgufModelSource.SourceTensor s = GgufModelSource.SourceTensor.of(blk + e.getKey(), t);
                long[] shape = t.shape();
                if (e.getKey().equals("time_mix_lerp_x.weight") || e.getKey().startsWith("channel_mix_lerp")
                        || e.getKey().equals("time_mix_decay.weight")) {
                    // squeezed to [C] as the converter does; llama.cpp reads them as vectors
                    shape = new long[] {t.numel()};
                    s = new GgufModelSource.SourceTensor(s.name(), shape, s.stored(), flat(t));
                }
                boolean scaled = e.getKey().equals("time_mix_output.weight") || e.getKey().equals("channel_mix_value.weight");
                out.add(scaled && rescaled != 1f ? divided(s, rescaled) : s);
            }
            float[][] maa = new float[5][];
            for (int k = 0; k < 5; k++) {
                maa[k] = tensors.tensor(hf + "attention.time_maa_" + MIXES[k]).toFloats();
            }
            out.add(new GgufModelSource.SourceTensor(blk + "time_mix_lerp_fused.weight", new long[] {5, 1, 1, channels},
                    ElementType.F32, (r, o) -> System.arraycopy(maa[r], 0, o, 0, channels)));
            out.add(transposedSource(blk + "time_mix_w1.weight", tensors.tensor(hf + "attention.time_maa_w1")));
            out.add(transposedSource(blk + "time_mix_w2.weight", tensors.tensor(hf + "attention.time_maa_w2")));
            out.add(transposedSource(blk + "time_mix_decay_w1.weight", tensors.tensor(hf + "attention.time_decay_w1")));
            out.add(transposedSource(blk + "time_mix_decay_w2.weight", tensors.tensor(hf + "attention.time_decay_w2")));
        }
        out.add(GgufModelSource.SourceTensor.of("output_norm.weight", tensors.tensor("rwkv.ln_out.weight")));
        out.add(GgufModelSource.SourceTensor.of("output_norm.bias", tensors.tensor("rwkv.ln_out.bias")));
        out.add(GgufModelSource.SourceTensor.of("output.weight", tensors.tensor("head.weight")));
        return new GgufModelSource(m, out, () -> { }, tokenizerNote);
    }

    private static GgufModelSource.RowReader flat(Tensor t) {
        float[] values = t.toFloats();
        return (r, o) -> System.arraycopy(values, 0, o, 0, values.length);
    }

    /** Rows divided by a power of two (exact in any float type). */
    private static GgufModelSource.SourceTensor divided(GgufModelSource.SourceTensor s, float factor) {
        return new GgufModelSource.SourceTensor(s.name(), s.shape(), s.stored(), (r, o) -> {
            s.rows().row(r, o);
            for (int i = 0; i < s.cols(); i++) {
                o[i] *= factor;
            }
        });
    }

    /** The last two dimensions swapped, as fp32 rows (the converter's transpose or permute). */
    private static GgufModelSource.SourceTensor transposedSource(String name, Tensor t) {
        long[] shape = t.shape();
        int rows = Math.toIntExact(shape[shape.length - 2]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        float[] in = t.toFloats();
        long[] swapped = shape.clone();
        swapped[shape.length - 2] = cols;
        swapped[shape.length - 1] = rows;
        // Output row r of matrix m is input column (r mod cols) of matrix m = r / cols.
        return new GgufModelSource.SourceTensor(name, swapped, ElementType.F32, (r, o) -> {
            int m = r / cols;
            int c = r % cols;
            int base = m * rows * cols;
            for (int i = 0; i < rows; i++) {
                o[i] = in[base + i * cols + c];
            }
        });
    }
}
