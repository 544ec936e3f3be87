package dev.recall.runtime.chat;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.model.Checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the model's authors want it sampled, from {@code generation_config.json}. Absent fields take
 * Hugging Face's defaults, so a model decodes as {@code model.generate()} would: greedy unless
 * {@code do_sample} is true, and top-k 50 when sampling without a top_k.
 *
 * @param doSample          sample (true) or take the argmax (false)
 * @param temperature       logits divisor when sampling
 * @param topP              nucleus threshold (1 = off)
 * @param topK              keep the k most likely tokens (0 = off)
 * @param repetitionPenalty penalty on tokens already seen (1 = off)
 * @param maxNewTokens      token limit, 0 when the file sets none
 * @param eosTokenIds       ids that end a reply (generation_config.json, else config.json)
 */
public record GenerationDefaults(boolean doSample, double temperature, double topP, int topK,
                                 double repetitionPenalty, int maxNewTokens, List<Integer> eosTokenIds) {

    public GenerationDefaults {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Hugging Face's GenerationConfig defaults with the given EOS ids. */
    public static GenerationDefaults huggingFace(List<Integer> eosTokenIds) {
        return new GenerationDefaults(false, 1.0, 1.0, 50, 1.0, 0, eosTokenIds);
    }

    /** Reads a model directory's generation_config.json (config.json supplies EOS ids it lacks). */
    public static GenerationDefaults read(Path modelDir) {
        Path file = dev.recall.runtime.io.ModelFiles.file(modelDir, "generation_config.json");
        Path configFile = dev.recall.runtime.io.ModelFiles.file(modelDir, "config.json");
        ModelConfig config = Files.isRegularFile(configFile) ? ModelConfig.read(configFile) : null;
        ModelConfig generation = Files.isRegularFile(file) ? ModelConfig.read(file) : null;
        return from(generation, config);
    }

    /**
     * @param generation the parsed generation_config.json, or null
     * @param config     the parsed config.json (for EOS ids), or null
     */
    public static GenerationDefaults from(ModelConfig generation, ModelConfig config) {
        List<Integer> eos = Checkpoint.eosTokenIds(generation, config);
        GenerationDefaults hf = huggingFace(eos);
        if (generation == null) {
            return hf;
        }
        GenerationDefaults d = new GenerationDefaults(
                generation.bool("do_sample", hf.doSample),
                generation.number("temperature", hf.temperature),
                generation.number("top_p", hf.topP),
                generation.integer("top_k", hf.topK),
                generation.number("repetition_penalty", hf.repetitionPenalty),
                generation.integer("max_new_tokens", hf.maxNewTokens),
                eos);
        if (d.temperature < 0 || d.topP <= 0 || d.topP > 1 || d.topK < 0 || d.repetitionPenalty <= 0 || d.maxNewTokens < 0) {
            throw new RecallException(generation.source() + " has out-of-range sampling settings (temperature "
                    + d.temperature + ", top_p " + d.topP + ", top_k " + d.topK + ", repetition_penalty "
                    + d.repetitionPenalty + ", max_new_tokens " + d.maxNewTokens + ")");
        }
        return d;
    }

    /** The temperature to decode with: 0 (greedy) unless sampling is on. */
    public double effectiveTemperature() {
        return doSample ? temperature : 0;
    }
}
