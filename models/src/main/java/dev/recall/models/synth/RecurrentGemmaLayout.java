package dev.recall.models.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static dev.recall.models.synth.TensorSpec.of;

/**
 * Tensors of a RecurrentGemma checkpoint ({@code model.*}) for a config. Norm weights are 0 (Gemma
 * norms multiply by 1 + w); the RG-LRU parameter Λ is drawn so that softplus(Λ) lies in about
 * [0.02, 0.7], i.e. per-token decays between roughly 0.85 and 0.004 at full gate.
 */
final class RecurrentGemmaLayout {

    private RecurrentGemmaLayout() {
    }

    static List<TensorSpec> tensors(ObjectNode c) {
        int hidden = c.get("hidden_size").asInt();
        int width = c.get("lru_width").asInt();
        int mlp = c.get("intermediate_size").asInt() / 2;
        int heads = c.get("num_attention_heads").asInt();
        int kvHeads = c.get("num_key_value_heads").asInt();
        int headDim = c.get("head_dim").asInt();
        int kernel = c.get("conv1d_width").asInt();
        int vocab = c.get("vocab_size").asInt();
        int blockWidth = width / heads;
        var blockTypes = c.get("block_types");
        Init weight = Init.noise(0.02);
        Init zero = Init.constant(0);
        List<TensorSpec> t = new ArrayList<>();
        t.add(of("model.embed_tokens.weight", weight, vocab, hidden));
        for (int i = 0; i < c.get("num_hidden_layers").asInt(); i++) {
            String p = "model.layers." + i + ".";
            t.add(of(p + "temporal_pre_norm.weight", zero, hidden));
            t.add(of(p + "channel_pre_norm.weight", zero, hidden));
            String b = p + "temporal_block.";
            if (blockTypes.get(i % blockTypes.size()).asText().equals("recurrent")) {
                linear(t, b + "linear_x", width, hidden);
                linear(t, b + "linear_y", width, hidden);
                linear(t, b + "linear_out", hidden, width);
                double convBound = 1 / Math.sqrt(kernel);
                t.add(of(b + "conv_1d.weight", Init.uniform(-convBound, convBound), width, 1, kernel));
                t.add(of(b + "conv_1d.bias", zero, width));
                t.add(of(b + "rg_lru.recurrent_param", Init.uniform(-4, 0), width));
                t.add(of(b + "rg_lru.input_gate_weight", weight, heads, blockWidth, blockWidth));
                t.add(of(b + "rg_lru.input_gate_bias", zero, heads, blockWidth));
                t.add(of(b + "rg_lru.recurrent_gate_weight", weight, heads, blockWidth, blockWidth));
                t.add(of(b + "rg_lru.recurrent_gate_bias", zero, heads, blockWidth));
            } else {
                t.add(of(b + "q_proj.weight", weight, (long) heads * headDim, hidden));
                t.add(of(b + "k_proj.weight", weight, (long) kvHeads * headDim, hidden));
                t.add(of(b + "v_proj.weight", weight, (long) kvHeads * headDim, hidden));
                linear(t, b + "o_proj", hidden, (long) heads * headDim);
            }
            linear(t, p + "mlp_block.gate_proj", mlp, hidden);
            linear(t, p + "mlp_block.up_proj", mlp, hidden);
            linear(t, p + "mlp_block.down_proj", hidden, mlp);
        }
        t.add(of("model.final_norm.weight", zero, hidden));
        return t;
    }

    private static void linear(List<TensorSpec> t, String prefix, long out, long in) {
        t.add(of(prefix + ".weight", Init.noise(0.02), out, in));
        t.add(of(prefix + ".bias", Init.constant(0), out));
    }
}
