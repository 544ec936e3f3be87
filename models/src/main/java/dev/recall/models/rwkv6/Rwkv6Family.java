package dev.recall.models.rwkv6;

import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelFamily;

import java.util.Set;

/** RWKV-6 "Finch": the {@code RWKV/v6-Finch-*-HF} layout and checkpoints converted from native .pth files. */
public final class Rwkv6Family implements ModelFamily {

    @Override
    public String name() {
        return Rwkv6Model.FAMILY;
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Rwkv6ForCausalLM", "rwkv6");
    }

    @Override
    public LanguageModel load(Checkpoint checkpoint) {
        return Rwkv6Model.load(checkpoint);
    }
}
