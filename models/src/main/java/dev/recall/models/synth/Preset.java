package dev.recall.models.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.function.Consumer;

/**
 * The shapes of the models the benchmarks run: the published configurations of the real checkpoints
 * (field for field what their config.json says about shapes) and the four zoo models. Weights are
 * never taken from anywhere; only sizes.
 */
public enum Preset {

    /** state-spaces/mamba-130m-hf. */
    MAMBA_130M("mamba-130m", SyntheticFamily.MAMBA, c -> mamba(c, 768, 24, 50280)),
    /** state-spaces/mamba-1.4b-hf. */
    MAMBA_1_4B("mamba-1.4b", SyntheticFamily.MAMBA, c -> mamba(c, 2048, 48, 50280)),
    /** meta-llama/Llama-3.2-1B. */
    LLAMA_1B("llama-1b", SyntheticFamily.LLAMA, c -> {
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama").put("hidden_size", 2048).put("intermediate_size", 8192)
                .put("num_hidden_layers", 16).put("num_attention_heads", 32).put("num_key_value_heads", 8)
                .put("head_dim", 64).put("vocab_size", 128256).put("max_position_embeddings", 131072)
                .put("rms_norm_eps", 1e-5).put("hidden_act", "silu").put("tie_word_embeddings", true)
                .put("bos_token_id", 128000).put("eos_token_id", 128001);
        c.putObject("rope_parameters").put("rope_type", "llama3").put("rope_theta", 500000.0).put("factor", 32.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
    }),
    /** RWKV/v6-Finch-1B6-HF. */
    RWKV6_1B6("rwkv6-1b6", SyntheticFamily.RWKV6, c -> rwkv6(c, 2048, 24, 65536, 7168)),
    /** google/recurrentgemma-2b. */
    RECURRENTGEMMA_2B("recurrentgemma-2b", SyntheticFamily.RECURRENT_GEMMA,
            c -> recurrentGemma(c, 2560, 26, 256000, 15360, 10, 256, 2048)),

    /** The shapes of /work/shared/zoo/llama (for quick benchmarks without the zoo). */
    ZOO_LLAMA("zoo-llama", SyntheticFamily.LLAMA, c -> {
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama").put("hidden_size", 256).put("intermediate_size", 688)
                .put("num_hidden_layers", 4).put("num_attention_heads", 4).put("num_key_value_heads", 2)
                .put("head_dim", 64).put("vocab_size", 4096).put("max_position_embeddings", 256)
                .put("rms_norm_eps", 1e-5).put("hidden_act", "silu").put("tie_word_embeddings", false)
                .put("bos_token_id", 0).put("eos_token_id", 0);
        c.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0);
    }),
    ZOO_MAMBA("zoo-mamba", SyntheticFamily.MAMBA, c -> mamba(c, 256, 4, 4096)),
    ZOO_RWKV6("zoo-rwkv6", SyntheticFamily.RWKV6, c -> rwkv6(c, 256, 4, 4096, 896)),
    ZOO_RECURRENT_GEMMA("zoo-recurrent-gemma", SyntheticFamily.RECURRENT_GEMMA,
            c -> recurrentGemma(c, 256, 3, 4096, 768, 4, 64, 128));

    private final String id;
    private final SyntheticFamily family;
    private final Consumer<ObjectNode> config;

    Preset(String id, SyntheticFamily family, Consumer<ObjectNode> config) {
        this.id = id;
        this.family = family;
        this.config = config;
    }

    /** The name used on the command line, e.g. {@code mamba-130m}. */
    public String id() {
        return id;
    }

    public SyntheticFamily family() {
        return family;
    }

    /** A fresh copy of the config.json content. */
    ObjectNode config() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        config.accept(c);
        return c;
    }

    private static void mamba(ObjectNode c, int hidden, int layers, int vocab) {
        c.putArray("architectures").add("MambaForCausalLM");
        c.put("model_type", "mamba").put("hidden_size", hidden).put("intermediate_size", 2 * hidden)
                .put("num_hidden_layers", layers).put("vocab_size", vocab).put("state_size", 16)
                .put("conv_kernel", 4).put("expand", 2).put("time_step_rank", (hidden + 15) / 16)
                .put("layer_norm_epsilon", 1e-5).put("use_bias", false).put("use_conv_bias", true)
                .put("residual_in_fp32", true).put("tie_word_embeddings", true)
                .put("bos_token_id", 0).put("eos_token_id", 0);
    }

    private static void rwkv6(ObjectNode c, int hidden, int layers, int vocab, int intermediate) {
        c.putArray("architectures").add("Rwkv6ForCausalLM");
        c.put("model_type", "rwkv6").put("hidden_size", hidden).put("attention_hidden_size", hidden)
                .put("num_hidden_layers", layers).put("vocab_size", vocab).put("head_size", 64)
                .put("head_size_divisor", 8).put("intermediate_size", intermediate)
                .put("layer_norm_epsilon", 1e-5).put("rescale_every", 0).put("tie_word_embeddings", false)
                .put("context_length", 4096).put("bos_token_id", 0).put("eos_token_id", 0);
    }

    private static void recurrentGemma(ObjectNode c, int hidden, int layers, int vocab, int intermediate,
                                       int heads, int headDim, int window) {
        c.putArray("architectures").add("RecurrentGemmaForCausalLM");
        c.put("model_type", "recurrent_gemma").put("hidden_size", hidden).put("lru_width", hidden)
                .put("num_hidden_layers", layers).put("vocab_size", vocab).put("intermediate_size", intermediate)
                .put("num_attention_heads", heads).put("num_key_value_heads", 1).put("head_dim", headDim)
                .put("attention_window_size", window).put("conv1d_width", 4).put("logits_soft_cap", 30.0)
                .put("rms_norm_eps", 1e-6).put("hidden_activation", "gelu_pytorch_tanh")
                .put("partial_rotary_factor", 0.5).put("tie_word_embeddings", true)
                .put("bos_token_id", 2).put("eos_token_id", 1);
        c.putArray("block_types").add("recurrent").add("recurrent").add("attention");
        c.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0)
                .put("partial_rotary_factor", 0.5);
    }
}
