package dev.recall.models.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.io.SafeTensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Writes a small random Llama-layout checkpoint (config.json + model.safetensors) for tests:
 * hidden 32, 4 query heads sharing 2 KV heads of size 8, MLP 48, vocab 64, 2 layers, untied head.
 * The query/key weights are large enough that attention is far from uniform, so masking changes
 * the result.
 */
final class TinyCheckpoint {

    static final int HIDDEN = 32, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 8, FF = 48, VOCAB = 64, LAYERS = 2;

    private TinyCheckpoint() {
    }

    /** @param overrides config fields added or replaced (null values are written as JSON null) */
    static Path write(Path dir, String architecture, Map<String, Object> overrides, boolean qkvBias, long seed) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add(architecture);
        config.put("hidden_size", HIDDEN);
        config.put("num_attention_heads", HEADS);
        config.put("num_key_value_heads", KV_HEADS);
        config.put("head_dim", HEAD_DIM);
        config.put("intermediate_size", FF);
        config.put("vocab_size", VOCAB);
        config.put("num_hidden_layers", LAYERS);
        config.put("hidden_act", "silu");
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_theta", 10000.0);
        config.put("max_position_embeddings", 64);
        config.put("tie_word_embeddings", false);
        config.put("bos_token_id", 1);
        config.put("eos_token_id", 2);
        overrides.forEach((k, v) -> config.set(k, json.valueToTree(v)));

        Random random = new Random(seed);
        SafeTensorsWriter st = new SafeTensorsWriter();
        st.f32("model.embed_tokens.weight", gaussian(random, VOCAB * HIDDEN, 1), VOCAB, HIDDEN);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            st.f32(p + "input_layernorm.weight", normWeight(random, HIDDEN), HIDDEN);
            st.f32(p + "self_attn.q_proj.weight", gaussian(random, HEADS * HEAD_DIM * HIDDEN, 0.6), HEADS * HEAD_DIM, HIDDEN);
            st.f32(p + "self_attn.k_proj.weight", gaussian(random, KV_HEADS * HEAD_DIM * HIDDEN, 0.6), KV_HEADS * HEAD_DIM, HIDDEN);
            st.f32(p + "self_attn.v_proj.weight", gaussian(random, KV_HEADS * HEAD_DIM * HIDDEN, 0.3), KV_HEADS * HEAD_DIM, HIDDEN);
            if (qkvBias) {
                st.f32(p + "self_attn.q_proj.bias", gaussian(random, HEADS * HEAD_DIM, 0.5), HEADS * HEAD_DIM);
                st.f32(p + "self_attn.k_proj.bias", gaussian(random, KV_HEADS * HEAD_DIM, 0.5), KV_HEADS * HEAD_DIM);
                st.f32(p + "self_attn.v_proj.bias", gaussian(random, KV_HEADS * HEAD_DIM, 0.5), KV_HEADS * HEAD_DIM);
            }
            st.f32(p + "self_attn.o_proj.weight", gaussian(random, HIDDEN * HEADS * HEAD_DIM, 0.2), HIDDEN, HEADS * HEAD_DIM);
            st.f32(p + "post_attention_layernorm.weight", normWeight(random, HIDDEN), HIDDEN);
            st.f32(p + "mlp.gate_proj.weight", gaussian(random, FF * HIDDEN, 0.2), FF, HIDDEN);
            st.f32(p + "mlp.up_proj.weight", gaussian(random, FF * HIDDEN, 0.2), FF, HIDDEN);
            st.f32(p + "mlp.down_proj.weight", gaussian(random, HIDDEN * FF, 0.15), HIDDEN, FF);
        }
        st.f32("model.norm.weight", normWeight(random, HIDDEN), HIDDEN);
        st.f32("lm_head.weight", gaussian(random, VOCAB * HIDDEN, 0.3), VOCAB, HIDDEN);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        st.write(dir.resolve("model.safetensors"));
        return dir;
    }

    static int[] randomTokens(long seed, int n) {
        Random random = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextInt(VOCAB);
        }
        return ids;
    }

    private static float[] gaussian(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    private static float[] normWeight(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + 0.1 * random.nextGaussian());
        }
        return v;
    }
}
