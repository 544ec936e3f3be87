package dev.recall.models.llama;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufModelSource;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelFamily;

import java.util.Set;

/**
 * RoPE decoder transformers in the Llama layout: Llama (1–3.x, Falcon3), Mistral (sliding window)
 * and Qwen2 (q/k/v biases). They differ only in switches the checkpoint itself carries, so one
 * model class reads all three.
 */
public final class LlamaFamily implements ModelFamily {

    @Override
    public String name() {
        return "llama";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "llama", "mistral", "qwen2");
    }

    @Override
    public Set<String> ggufArchitectures() {
        return Set.of("llama", "qwen2");
    }

    @Override
    public Checkpoint checkpoint(GgufFile file, Kernels kernels) {
        return LlamaGguf.checkpoint(file, kernels);
    }

    @Override
    public GgufModelSource ggufExport(Checkpoint checkpoint) {
        return LlamaGguf.export(checkpoint);
    }

    @Override
    public LanguageModel load(Checkpoint checkpoint) {
        return LlamaModel.load(checkpoint);
    }
}
