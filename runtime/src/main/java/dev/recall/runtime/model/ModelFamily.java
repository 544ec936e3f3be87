package dev.recall.runtime.model;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.gguf.GgufFile;

import java.util.Set;

/**
 * A model family, discovered with {@link java.util.ServiceLoader} (models register in
 * META-INF/services), so the runtime never names a model class.
 */
public interface ModelFamily {

    /** Short name, e.g. "mamba". */
    String name();

    /** config.json architecture strings (and model_type values) this family loads. */
    Set<String> architectures();

    /** GGUF {@code general.architecture} values this family reads (none by default). */
    default Set<String> ggufArchitectures() {
        return Set.of();
    }

    /**
     * The checkpoint of a GGUF file of one of {@link #ggufArchitectures()}: a config derived from
     * its metadata and its tensors under the Hugging Face names {@link #load} asks for. The
     * checkpoint owns the file (closing its weights closes the file).
     */
    default Checkpoint checkpoint(GgufFile file, Kernels kernels) {
        throw new RecallException("the " + name() + " family does not read GGUF files");
    }

    /**
     * The checkpoint as llama.cpp's converter would write it to GGUF: metadata and tensors under
     * llama.cpp's names and layout, for {@code recall quantize}. The source reads the checkpoint's
     * weights, which stay owned by the checkpoint.
     */
    default dev.recall.runtime.io.gguf.GgufModelSource ggufExport(Checkpoint checkpoint) {
        throw new RecallException("the " + name() + " family cannot be written as GGUF yet");
    }

    /** Builds the model from a checkpoint; sizes come from tensor shapes. */
    LanguageModel load(Checkpoint checkpoint);
}
