package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;

/**
 * How the next token is chosen from the logits, and how many tokens to generate at most.
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK              keep only the k most likely tokens (0 = off)
 * @param topP              keep the smallest most-likely set whose probability reaches p (1 = off)
 * @param seed              seed of the random generator: the same seed, options and model give the
 *                          same tokens
 * @param repetitionPenalty Hugging Face repetition penalty over tokens already seen (1 = off)
 * @param maxTokens         most tokens to generate (0 = none)
 */
public record SamplingOptions(double temperature, int topK, double topP, long seed, double repetitionPenalty,
                              int maxTokens) {

    public SamplingOptions {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new RecallException("temperature must be a finite number ≥ 0, got " + temperature);
        }
        if (topK < 0) {
            throw new RecallException("top-k must be ≥ 0 (0 turns it off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new RecallException("top-p must be in (0, 1] (1 turns it off), got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new RecallException("repetition penalty must be a finite number > 0 (1 turns it off), got "
                    + repetitionPenalty);
        }
        if (maxTokens < 0) {
            throw new RecallException("max tokens must be ≥ 0, got " + maxTokens);
        }
    }

    /** Argmax decoding of at most maxTokens tokens, no penalty. */
    public static SamplingOptions greedy(int maxTokens) {
        return new SamplingOptions(0, 0, 1, 0, 1, maxTokens);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingOptions withMaxTokens(int n) {
        return new SamplingOptions(temperature, topK, topP, seed, repetitionPenalty, n);
    }
}
