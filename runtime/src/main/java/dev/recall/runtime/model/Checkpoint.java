package dev.recall.runtime.model;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Weights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a family builds a model from: a Hugging Face style config (config.json, or one a family
 * derived from a GGUF file's metadata), weights under Hugging Face's tensor names, optional
 * generation_config.json, and the kernels the model is to compute with (a family passes them to
 * every layer it builds).
 *
 * @param dir    the model directory, or the GGUF file
 * @param format where the weights come from: a GGUF file's may be laid out as llama.cpp's
 *               converter leaves them (Llama's q/k rows permuted for ggml's RoPE)
 */
public record Checkpoint(Path dir, ModelConfig config, Weights weights, ModelConfig generationConfig, Kernels kernels,
                         Format format) {

    /** The file format the checkpoint was read from. */
    public enum Format { SAFETENSORS, GGUF }

    /** EOS ids from generation_config.json, else config.json (each may be an int or a list). */
    public List<Integer> eosTokenIds() {
        return eosTokenIds(generationConfig, config);
    }

    /** The rule of {@link #eosTokenIds()} for parsed files, either of which may be null (absent). */
    public static List<Integer> eosTokenIds(ModelConfig generationConfig, ModelConfig config) {
        List<Integer> ids = new ArrayList<>();
        if (generationConfig != null) {
            ids.addAll(generationConfig.intList("eos_token_id"));
        }
        if (ids.isEmpty() && config != null) {
            ids.addAll(config.intList("eos_token_id"));
        }
        return ids;
    }

    /**
     * Whether the output head is the input embedding table, by transformers' rule: tied whenever
     * {@code tie_word_embeddings} is set, even if a copy of {@code lm_head.weight} was saved, and
     * necessarily when no {@code lm_head.weight} was.
     *
     * @param tiedByDefault the architecture's default for {@code tie_word_embeddings}
     */
    public boolean headTiedToEmbeddings(boolean tiedByDefault) {
        return config.bool("tie_word_embeddings", tiedByDefault) || !weights.has("lm_head.weight");
    }

    public int bosTokenId() {
        List<Integer> ids = config.intList("bos_token_id");
        return ids.isEmpty() ? -1 : ids.get(0);
    }

    static ModelConfig readGenerationConfig(Path dir) {
        Path p = dev.recall.runtime.io.ModelFiles.file(dir, "generation_config.json");
        return Files.isRegularFile(p) ? ModelConfig.read(p) : null;
    }
}
