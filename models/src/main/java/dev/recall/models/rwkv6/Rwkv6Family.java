package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufModelSource;
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
    public Set<String> ggufArchitectures() {
        return Set.of("rwkv6");
    }

    @Override
    public Checkpoint checkpoint(GgufFile file, Kernels kernels) {
        return Rwkv6Gguf.checkpoint(file, kernels);
    }

    @Override
    public GgufModelSource ggufExport(Checkpoint checkpoint) {
        return Rwkv6Gguf.export(checkpoint);
    }

    @Override
    public LanguageModel load(Checkpoint checkpoint) {
        return Rwkv6Model.load(checkpoint);
    }
}
