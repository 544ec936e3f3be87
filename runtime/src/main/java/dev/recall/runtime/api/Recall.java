package dev.recall.runtime.api;

import dev.recall.runtime.chat.ChatTemplate;
import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufModelSource;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.tokenizer.GgufTokenizers;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelLocator;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
        if (Files.isRegularFile(dir) && GgufFile.looksLikeGguf(dir)) {
            return loadGguf(dir);
        }
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

    /**
     * A GGUF file: the model, and from the same metadata its tokenizer, its chat template
     * ({@code tokenizer.chat_template}) and the ids that end a reply (EOS, and EOT/EOM where the file
     * names them, as llama.cpp's end-of-generation set does).
     */
    private static LoadedModel loadGguf(Path file) {
        GgufFile gguf = GgufFile.open(file);
        LanguageModel model;
        try {
            model = ModelLoader.loadGguf(gguf, dev.recall.kernels.KernelProvider.get());
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
        try {
            Tokenizer tokenizer = GgufTokenizers.present(gguf) ? GgufTokenizers.load(gguf) : null;
            List<Integer> eos = new ArrayList<>();
            for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
                if (gguf.has(key) && !eos.contains((int) gguf.integer(key))) {
                    eos.add((int) gguf.integer(key));
                }
            }
            Optional<ChatTemplate> template = Optional.empty();
            if (gguf.has("tokenizer.chat_template")) {
                Map<String, String> specials = new HashMap<>();
                if (tokenizer != null) {
                    for (String name : new String[] {"bos", "eos", "unknown", "padding"}) {
                        String key = "tokenizer.ggml." + name + "_token_id";
                        if (gguf.has(key)) {
                            String text = tokenizer.idToToken((int) gguf.integer(key));
                            if (text != null) {
                                specials.put((name.equals("unknown") ? "unk" : name.equals("padding") ? "pad" : name) + "_token", text);
                            }
                        }
                    }
                }
                template = Optional.of(ChatTemplate.of(gguf.string("tokenizer.chat_template"), specials,
                        file.getFileName() + " (tokenizer.chat_template)"));
            }
            return new LoadedModel(file, model, tokenizer, GenerationDefaults.huggingFace(eos), template);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Writes a model directory or GGUF file as a GGUF file of one of llama.cpp's file types
     * ({@link GgufQuantizer}), streaming. Returns a note for the user, or null: why the tokenizer was
     * not written, when it was not.
     */
    public static String quantize(Path model, GgufQuantizer.FileType type, Path out, ProgressListener progress) {
        if (Files.isRegularFile(model) && GgufFile.looksLikeGguf(model)) {
            try (GgufModelSource source = GgufModelSource.of(GgufFile.open(model))) {
                GgufQuantizer.write(source, type, out, progress);
                return null;
            }
        }
        dev.recall.runtime.model.Checkpoint checkpoint = ModelLoader.checkpoint(model, dev.recall.kernels.KernelProvider.get());
        try (var weights = checkpoint.weights()) {
            GgufModelSource source = ModelLoader.familyFor(checkpoint.config()).ggufExport(checkpoint);
            GgufQuantizer.write(source, type, out, progress);
            return source.tokenizer();
        }
    }
}
