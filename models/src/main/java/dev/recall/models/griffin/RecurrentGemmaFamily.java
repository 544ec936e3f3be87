package dev.recall.models.griffin;

import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelFamily;

import java.util.Set;

/** Registers RecurrentGemma (Griffin) checkpoints with the model loader. */
public final class RecurrentGemmaFamily implements ModelFamily {

    @Override
    public String name() {
        return RecurrentGemmaModel.FAMILY;
    }

    @Override
    public Set<String> architectures() {
        return RecurrentGemmaModel.ARCHITECTURES;
    }

    @Override
    public LanguageModel load(Checkpoint checkpoint) {
        return RecurrentGemmaModel.load(checkpoint);
    }
}
