package dev.recall.cli;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/**
 * Loads a model directory's tokenizer through {@code dev.recall.runtime.tokenizer.Tokenizers.load},
 * looked up at run time while the tokenizer implementation is developed on its own branch.
 * TODO(merge): call {@code Tokenizers.load(dir)} directly once it is on this branch.
 */
final class TokenizerLoader {

    private TokenizerLoader() {
    }

    static Tokenizer load(Path modelDir) {
        try {
            Class<?> tokenizers = Class.forName("dev.recall.runtime.tokenizer.Tokenizers");
            return (Tokenizer) tokenizers.getMethod("load", Path.class).invoke(null, modelDir);
        } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException e) {
            throw new RecallException("this build has no tokenizer implementation, so it cannot encode or decode text");
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new RecallException("cannot load the tokenizer of " + modelDir + ": " + e.getCause(), e.getCause());
        }
    }
}
