package dev.recall.runtime.model;

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

    /** Builds the model from a checkpoint; sizes come from tensor shapes. */
    LanguageModel load(Checkpoint checkpoint);
}
