package dev.recall.models.mamba;

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
    public LanguageModel load(Checkpoint checkpoint) {
        var config = checkpoint.config();
        boolean falcon = FALCON.contains(config.architecture())
                || FALCON.contains(config.string("model_type", ""));
        return MambaModel.load(checkpoint, falcon);
    }
}
