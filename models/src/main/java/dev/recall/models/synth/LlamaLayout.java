package dev.recall.models.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static dev.recall.models.synth.TensorSpec.of;

/** Tensors of a Llama checkpoint ({@code model.*}, {@code lm_head}) for a config. */
final class LlamaLayout {

    private LlamaLayout() {
    }

    static List<TensorSpec> tensors(ObjectNode c) {
        int hidden = c.get("hidden_size").asInt();
        int intermediate = c.get("intermediate_size").asInt();
        int heads = c.get("num_attention_heads").asInt();
        int kvHeads = c.get("num_key_value_heads").asInt();
        int headDim = c.get("head_dim").asInt();
        int vocab = c.get("vocab_size").asInt();
        Init weight = Init.noise(0.02);
        Init one = Init.constant(1);
        List<TensorSpec> t = new ArrayList<>();
        t.add(of("model.embed_tokens.weight", weight, vocab, hidden));
        for (int i = 0; i < c.get("num_hidden_layers").asInt(); i++) {
            String p = "model.layers." + i + ".";
            t.add(of(p + "input_layernorm.weight", one, hidden));
            t.add(of(p + "self_attn.q_proj.weight", weight, (long) heads * headDim, hidden));
            t.add(of(p + "self_attn.k_proj.weight", weight, (long) kvHeads * headDim, hidden));
            t.add(of(p + "self_attn.v_proj.weight", weight, (long) kvHeads * headDim, hidden));
            t.add(of(p + "self_attn.o_proj.weight", weight, hidden, (long) heads * headDim));
            t.add(of(p + "post_attention_layernorm.weight", one, hidden));
            t.add(of(p + "mlp.gate_proj.weight", weight, intermediate, hidden));
            t.add(of(p + "mlp.up_proj.weight", weight, intermediate, hidden));
            t.add(of(p + "mlp.down_proj.weight", weight, hidden, intermediate));
        }
        t.add(of("model.norm.weight", one, hidden));
        if (!c.get("tie_word_embeddings").asBoolean()) {
            t.add(of("lm_head.weight", weight, vocab, hidden));
        }
        return t;
    }
}
