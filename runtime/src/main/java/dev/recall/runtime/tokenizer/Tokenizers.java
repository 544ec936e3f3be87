package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.gguf.GgufFile;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds and loads the tokenizer of a model directory. */
public final class Tokenizers {

    /** Hugging Face tokenizer file name. */
    public static final String TOKENIZER_JSON = "tokenizer.json";
    /** RWKV "world" vocabulary file name. */
    public static final String RWKV_WORLD_VOCAB = "rwkv_vocab_v20230424.txt";

    private Tokenizers() {
    }

    /**
     * Loads from a model directory (tokenizer.json, tokenizer.json.gz, or else the RWKV world
     * vocabulary) or directly from a tokenizer file (.json, .json.gz, or an RWKV vocab .txt).
     */
    /** Whether a model directory holds a tokenizer file {@link #load} reads. */
    public static boolean present(Path dir) {
        for (String name : new String[] {TOKENIZER_JSON, TOKENIZER_JSON + ".gz", RWKV_WORLD_VOCAB}) {
            if (Files.isRegularFile(dev.recall.runtime.io.ModelFiles.file(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The tokenizer of a model: a directory's tokenizer file, or the {@code tokenizer.ggml.*}
     * metadata of a GGUF file (a vocabulary-only GGUF too).
     */
    public static Tokenizer forModel(Path model) {
        if (Files.isRegularFile(model) && GgufFile.looksLikeGguf(model)) {
            try (GgufFile file = GgufFile.open(model)) {
                if (!GgufTokenizers.present(file)) {
                    throw new RecallException(model.getFileName() + " has no tokenizer (no tokenizer.ggml.model metadata)");
                }
                return GgufTokenizers.load(file);
            }
        }
        return load(model);
    }

    public static Tokenizer load(Path path) {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {TOKENIZER_JSON, TOKENIZER_JSON + ".gz", RWKV_WORLD_VOCAB}) {
                Path candidate = dev.recall.runtime.io.ModelFiles.file(path, name);
                if (Files.isRegularFile(candidate)) {
                    return loadFile(candidate);
                }
            }
            throw new RecallException("no tokenizer found in " + path + ": expected " + TOKENIZER_JSON
                    + " or " + RWKV_WORLD_VOCAB);
        }
        if (!Files.isRegularFile(path)) {
            throw new RecallException("tokenizer path " + path + " does not exist");
        }
        return loadFile(path);
    }

    private static Tokenizer loadFile(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".json") || name.endsWith(".json.gz")) {
            return TokenizerJson.load(file);
        }
        if (name.endsWith(".txt")) {
            return RwkvWorldTokenizer.load(file);
        }
        throw new RecallException("Unrecognised tokenizer file " + file
                + ": expected a .json, .json.gz or RWKV vocabulary .txt file.");
    }
}
