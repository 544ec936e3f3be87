package dev.recall.models.mamba;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufModelSource;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelFamily;

import java.util.Set;

/** Mamba-1 and FalconMamba checkpoints in the Hugging Face layout (and the older embedding name). */
public final class MambaFamily implements ModelFamily {

    private static final Set<String> FALCON = Set.of("FalconMambaForCausalLM", "falcon_mamba");

    @Override
    public String name() {
        return "mamba";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MambaForCausalLM", "mamba", "FalconMambaForCausalLM", "falcon_mamba");
    }

    @Override
    public Set<String> ggufArchitectures() {
        return Set.of("mamba");
    }

    @Override
    public Checkpoint checkpoint(GgufFile file, Kernels kernels) {
        return MambaGguf.checkpoint(file, kernels);
    }

    @Override
    public GgufModelSource ggufExport(Checkpoint checkpoint) {
        return MambaGguf.export(checkpoint, isFalcon(checkpoint));
    }

    private static boolean isFalcon(Checkpoint checkpoint) {
        var config = checkpoint.config();
        return FALCON.contains(config.architecture()) || FALCON.contains(config.string("model_type", ""));
    }

    @Override
    public LanguageModel load(Checkpoint checkpoint) {
        return MambaModel.load(checkpoint, isFalcon(checkpoint));
    }
}
