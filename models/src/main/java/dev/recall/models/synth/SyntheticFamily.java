package dev.recall.models.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Function;

/** The model families a synthetic checkpoint can be written for, each with its tensor layout. */
public enum SyntheticFamily {
    LLAMA("llama", "llama-1b", LlamaLayout::tensors),
    MAMBA("mamba", "mamba-130m", MambaLayout::tensors),
    RWKV6("rwkv6", "rwkv6-1b6", Rwkv6Layout::tensors),
    RECURRENT_GEMMA("recurrent-gemma", "recurrentgemma-2b", RecurrentGemmaLayout::tensors);

    private final String id;
    private final String defaultPreset;
    private final Function<ObjectNode, List<TensorSpec>> layout;

    SyntheticFamily(String id, String defaultPreset, Function<ObjectNode, List<TensorSpec>> layout) {
        this.id = id;
        this.defaultPreset = defaultPreset;
        this.layout = layout;
    }

    /** The name used on the command line, e.g. {@code recurrent-gemma}. */
    public String id() {
        return id;
    }

    /** The real-size preset written when only the family is given. */
    public String defaultPreset() {
        return defaultPreset;
    }

    /** Every tensor of a checkpoint with this config, in file order. */
    List<TensorSpec> tensors(ObjectNode config) {
        return layout.apply(config);
    }
}
