package dev.recall.models.mamba;

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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mamba (and FalconMamba) in GGUF, llama.cpp's {@code mamba} architecture (conversion/mamba.py):
 * {@code mamba.ssm.*} hyper-parameters, tensors {@code blk.N.ssm_in/ssm_conv1d/ssm_x/ssm_dt/ssm_a/
 * ssm_d/ssm_out}. The converter stores {@code ssm_a = −exp(A_log)} rather than A_log, and the conv
 * taps as [channels, taps] rather than [channels, 1, taps]; FalconMamba is the same architecture
 * with {@code mamba.ssm.dt_b_c_rms} set.
 */
final class MambaGguf {

    /** The name the GGUF decay {@code ssm_a} (A itself, not A_log) gets under a layer's mixer. */
    static final String DECAY = "A";

    private MambaGguf() {
    }

    private static final Map<String, String> MIXER = Map.of(
            "ssm_in.weight", "in_proj.weight",
            "ssm_in.bias", "in_proj.bias",
            "ssm_conv1d.weight", "conv1d.weight",
            "ssm_conv1d.bias", "conv1d.bias",
            "ssm_x.weight", "x_proj.weight",
            "ssm_dt.weight", "dt_proj.weight",
            "ssm_dt.bias", "dt_proj.bias",
            "ssm_a", DECAY,
            "ssm_d", "D",
            "ssm_out.weight", "out_proj.weight");

    static Checkpoint checkpoint(GgufFile gguf, Kernels kernels) {
        String where = gguf.path().getFileName().toString();
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (Tensor t : gguf.tensors().values()) {
            String name = t.name();
            String hf = switch (name) {
                case "token_embd.weight" -> MambaDimensions.PREFIX + "embeddings.weight";
                case "output_norm.weight" -> MambaDimensions.PREFIX + "norm_f.weight";
                case "output.weight" -> "lm_head.weight";
                default -> blockName(name);
            };
            if (hf == null) {
                throw new RecallException(where + " has tensor '" + name + "', which a mamba model does not have");
            }
            if (hf.endsWith("conv1d.weight") && t.rank() == 2) {
                // [channels, taps] as llama.cpp stores it; the conv reads [channels, 1, taps].
                t = new Tensor(t.name(), t.type(), t.typeName(), new long[] {t.shape()[0], 1, t.shape()[1]}, t.data());
            }
            named.put(hf, t);
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        boolean falcon = gguf.bool("mamba.ssm.dt_b_c_rms", false);
        c.putArray("architectures").add(falcon ? "FalconMambaForCausalLM" : "MambaForCausalLM");
        c.put("model_type", falcon ? "falcon_mamba" : "mamba");
        c.put("hidden_size", gguf.integer("mamba.embedding_length"));
        c.put("num_hidden_layers", gguf.integer("mamba.block_count"));
        c.put("intermediate_size", gguf.integer("mamba.ssm.inner_size"));
        c.put("state_size", gguf.integer("mamba.ssm.state_size"));
        c.put("conv_kernel", gguf.integer("mamba.ssm.conv_kernel"));
        c.put("time_step_rank", gguf.integer("mamba.ssm.time_step_rank"));
        c.put("layer_norm_epsilon", gguf.number("mamba.attention.layer_norm_rms_epsilon", 1e-5));
        c.put("tie_word_embeddings", !named.containsKey("lm_head.weight"));
        if (gguf.has("tokenizer.ggml.bos_token_id")) {
            c.put("bos_token_id", gguf.integer("tokenizer.ggml.bos_token_id"));
        }
        if (gguf.has("tokenizer.ggml.eos_token_id")) {
            c.put("eos_token_id", gguf.integer("tokenizer.ggml.eos_token_id"));
        }
        return new Checkpoint(gguf.path(), new ModelConfig(where + " (GGUF metadata)", c), new Weights(named, gguf), null,
                kernels, Checkpoint.Format.GGUF);
    }

    private static String blockName(String gguf) {
        BlockTensorName block = BlockTensorName.parse(gguf);
        if (block == null) {
            return null;
        }
        String rest = block.rest();
        String prefix = MambaDimensions.layerPrefix(block.layer());
        if (rest.equals("attn_norm.weight")) {
            return prefix + "norm.weight";
        }
        String mixer = MIXER.get(rest);
        return mixer == null ? null : prefix + "mixer." + mixer;
    }

    /** The checkpoint as llama.cpp's converter writes it (conversion/mamba.py). */
    static GgufModelSource export(Checkpoint checkpoint, boolean falcon) {
        Weights w = checkpoint.weights();
        MambaDimensions d = MambaDimensions.read(w, checkpoint.config());
        Map<String, GgufWriter.Value> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufWriter.Value.string("mamba"));
        m.put("general.name", GgufWriter.Value.string(String.valueOf(checkpoint.dir().getFileName())));
        m.put("mamba.vocab_size", GgufWriter.Value.u32(d.vocab()));
        m.put("mamba.context_length", GgufWriter.Value.u32(1 << 20));
        m.put("mamba.embedding_length", GgufWriter.Value.u32(d.hidden()));
        m.put("mamba.feed_forward_length", GgufWriter.Value.u32(0));
        m.put("mamba.attention.head_count", GgufWriter.Value.u32(0));
        m.put("mamba.block_count", GgufWriter.Value.u32(d.layers()));
        m.put("mamba.ssm.conv_kernel", GgufWriter.Value.u32(d.convWidth()));
        m.put("mamba.ssm.inner_size", GgufWriter.Value.u32(d.inner()));
        m.put("mamba.ssm.state_size", GgufWriter.Value.u32(d.states()));
        m.put("mamba.ssm.time_step_rank", GgufWriter.Value.u32(d.rank()));
        m.put("mamba.attention.layer_norm_rms_epsilon",
                GgufWriter.Value.f32(checkpoint.config().number("layer_norm_epsilon", 1e-5)));
        m.put("mamba.ssm.dt_b_c_rms", GgufWriter.Value.bool(falcon));
        GgufTokenizerExport.Export tokenizer = GgufTokenizerExport.of(checkpoint.dir(), d.vocab(),
                checkpoint.eosTokenIds(), checkpoint.bosTokenId());
        m.putAll(tokenizer.metadata());

        List<GgufModelSource.SourceTensor> tensors = new ArrayList<>();
        tensors.add(GgufModelSource.SourceTensor.of("token_embd.weight", w.getAny(MambaDimensions.EMBEDDING_NAMES)));
        for (int i = 0; i < d.layers(); i++) {
            String hf = MambaDimensions.layerPrefix(i);
            String blk = "blk." + i + ".";
            tensors.add(GgufModelSource.SourceTensor.of(blk + "attn_norm.weight", w.get(hf + "norm.weight")));
            for (var e : MIXER.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                String name = hf + "mixer." + (e.getValue().equals(DECAY) ? "A_log" : e.getValue());
                if (!w.has(name)) {
                    continue;
                }
                Tensor t = w.get(name);
                if (e.getValue().equals(DECAY)) {
                    // ssm_a = −exp(A_log), in fp32 as the converter computes it.
                    float[] aLog = t.toFloats();
                    float[] a = new float[aLog.length];
                    for (int k = 0; k < a.length; k++) {
                        a[k] = (float) -Math.exp(aLog[k]);
                    }
                    int cols = t.dim(1);
                    tensors.add(new GgufModelSource.SourceTensor(blk + e.getKey(), t.shape(), ElementType.F32,
                            (r, out) -> System.arraycopy(a, r * cols, out, 0, cols)));
                } else if (e.getValue().equals("conv1d.weight")) {
                    GgufModelSource.SourceTensor conv = GgufModelSource.SourceTensor.of(blk + e.getKey(), t);
                    tensors.add(new GgufModelSource.SourceTensor(conv.name(), new long[] {t.dim(0), t.dim(-1)},
                            conv.stored(), conv.rows()));
                } else {
                    tensors.add(GgufModelSource.SourceTensor.of(blk + e.getKey(), t));
                }
            }
        }
        tensors.add(GgufModelSource.SourceTensor.of("output_norm.weight", w.get(MambaDimensions.PREFIX + "norm_f.weight")));
        if (!checkpoint.headTiedToEmbeddings(true)) {
            tensors.add(GgufModelSource.SourceTensor.of("output.weight", w.get("lm_head.weight")));
        }
        return new GgufModelSource(m, tensors, () -> { }, tokenizer.omitted());
    }
}
