package dev.recall.runtime.api;

import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelLocator;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;

import java.nio.file.Path;

/**
 * The entry point for embedding Recall in a Java program:
 * <pre>{@code
 * try (LoadedModel model = Recall.load("models/zoo-mamba")) {
 *     Session session = model.session();
 *     String reply = session.generate("The weather", GenerateOptions.greedy(20), System.out::print);
 * }
 * }</pre>
 * See docs/embedding.md.
 */
public final class Recall {

    private Recall() {
    }

    /** Loads a model directory, or a Hugging Face id ({@code org/name}) from the local cache. */
    public static LoadedModel load(String spec) {
        return load(ModelLocator.resolve(spec));
    }

    /**
     * Loads a model directory (config.json, safetensors, tokenizer). A directory without a
     * tokenizer still loads (a random-weight benchmark model, say): what needs text then fails with
     * one sentence ({@link LoadedModel#tokenizer()}); a tokenizer file that is present but damaged
     * is refused here.
     */
    public static LoadedModel load(Path dir) {
        LanguageModel model = ModelLoader.load(dir);
        try {
            Tokenizer tokenizer = Tokenizers.present(dir) ? Tokenizers.load(dir) : null;
            GenerationDefaults defaults = GenerationDefaults.read(dir);
            return new LoadedModel(dir, model, tokenizer, defaults);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
