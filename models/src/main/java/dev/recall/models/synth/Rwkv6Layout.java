package dev.recall.models.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static dev.recall.models.synth.TensorSpec.of;

/**
 * Tensors of an RWKV-6 checkpoint in the {@code RWKV/v6-Finch-*-HF} layout for a config. The
 * low-rank sizes follow the reference (32 and 64, doubled at width 4096); time_decay is spread over
 * [−6, −1] so per-token decays range from about 0.69 to 0.998, as in trained models.
 */
final class Rwkv6Layout {

    private Rwkv6Layout() {
    }

    static List<TensorSpec> tensors(ObjectNode c) {
        int hidden = c.get("hidden_size").asInt();
        int attention = c.get("attention_hidden_size").asInt();
        int headSize = c.get("head_size").asInt();
        int heads = attention / headSize;
        int intermediate = c.get("intermediate_size").asInt();
        int vocab = c.get("vocab_size").asInt();
        int mixRank = hidden >= 4096 ? 64 : 32;
        int decayRank = hidden >= 4096 ? 128 : 64;
        Init weight = Init.noise(0.02);
        Init lowRank = Init.noise(0.01);
        Init mix = Init.uniform(0, 1);
        List<TensorSpec> t = new ArrayList<>();
        t.add(of("rwkv.embeddings.weight", weight, vocab, hidden));
        for (int i = 0; i < c.get("num_hidden_layers").asInt(); i++) {
            String p = "rwkv.blocks." + i + ".";
            if (i == 0) {
                layerNorm(t, p + "pre_ln", hidden);
            }
            layerNorm(t, p + "ln1", hidden);
            layerNorm(t, p + "ln2", hidden);
            String a = p + "attention.";
            for (String m : new String[]{"x", "w", "k", "v", "r", "g"}) {
                t.add(of(a + "time_maa_" + m, mix, 1, 1, hidden));
            }
            t.add(of(a + "time_maa_w1", lowRank, hidden, 5L * mixRank));
            t.add(of(a + "time_maa_w2", lowRank, 5, mixRank, hidden));
            t.add(of(a + "time_decay", Init.uniform(-6, -1), 1, 1, attention));
            t.add(of(a + "time_decay_w1", lowRank, hidden, decayRank));
            t.add(of(a + "time_decay_w2", lowRank, decayRank, attention));
            t.add(of(a + "time_faaaa", Init.uniform(0, 1), heads, headSize));
            for (String m : new String[]{"receptance", "key", "value", "gate"}) {
                t.add(of(a + m + ".weight", weight, attention, hidden));
            }
            t.add(of(a + "output.weight", weight, hidden, attention));
            layerNorm(t, a + "ln_x", attention);
            String f = p + "feed_forward.";
            t.add(of(f + "time_maa_k", mix, 1, 1, hidden));
            t.add(of(f + "time_maa_r", mix, 1, 1, hidden));
            t.add(of(f + "key.weight", weight, intermediate, hidden));
            t.add(of(f + "receptance.weight", weight, hidden, hidden));
            t.add(of(f + "value.weight", weight, hidden, intermediate));
        }
        layerNorm(t, "rwkv.ln_out", hidden);
        t.add(of("head.weight", weight, vocab, hidden));
        return t;
    }

    private static void layerNorm(List<TensorSpec> t, String prefix, int width) {
        t.add(of(prefix + ".weight", Init.constant(1), width));
        t.add(of(prefix + ".bias", Init.constant(0), width));
    }
}
