package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;

/**
 * How the next token is chosen from the logits, and how many tokens to generate at most. Build
 * with named options — {@code SamplingOptions.builder().temperature(0.8).topP(0.95).seed(1)
 * .maxTokens(64).build()} — or change one with a {@code with…} method.
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK              keep only the k most likely tokens (0 = off)
 * @param topP              keep the smallest most-likely set whose probability reaches p (1 = off)
 * @param seed              seed of the random generator: the same seed, options and model give the
 *                          same tokens
 * @param repetitionPenalty Hugging Face repetition penalty over tokens already seen (1 = off)
 * @param maxTokens         most tokens to generate (0 = none)
 * @param minP              keep the tokens at least minP times as likely as the most likely one (0 = off)
 * @param presencePenalty   subtracted from the logit of every token generated so far (0 = off)
 * @param frequencyPenalty  subtracted from a token's logit once per time it was generated so far (0 = off)
 */
public record SamplingOptions(double temperature, int topK, double topP, long seed, double repetitionPenalty,
                              int maxTokens, double minP, double presencePenalty, double frequencyPenalty) {

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
        if (!(minP >= 0 && minP <= 1)) {
            throw new RecallException("min-p must be in [0, 1] (0 turns it off), got " + minP);
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new RecallException("presence penalty must be in [-2, 2] (0 turns it off), got " + presencePenalty);
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new RecallException("frequency penalty must be in [-2, 2] (0 turns it off), got " + frequencyPenalty);
        }
    }

    /** The options before min-p and the presence and frequency penalties (those off). */
    public SamplingOptions(double temperature, int topK, double topP, long seed, double repetitionPenalty, int maxTokens) {
        this(temperature, topK, topP, seed, repetitionPenalty, maxTokens, 0, 0, 0);
    }

    /** Argmax decoding of at most maxTokens tokens, no penalty. */
    public static SamplingOptions greedy(int maxTokens) {
        return new SamplingOptions(0, 0, 1, 0, 1, maxTokens);
    }

    /** A builder starting from greedy decoding of 256 tokens, every filter and penalty off. */
    public static Builder builder() {
        return new Builder();
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Whether the presence or frequency penalty needs the counts of generated tokens. */
    public boolean countsGenerated() {
        return presencePenalty != 0 || frequencyPenalty != 0;
    }

    public SamplingOptions withMaxTokens(int n) {
        return toBuilder().maxTokens(n).build();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        return new Builder().temperature(temperature).topK(topK).topP(topP).seed(seed)
                .repetitionPenalty(repetitionPenalty).maxTokens(maxTokens).minP(minP)
                .presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty);
    }

    /** Named options; {@link #build()} checks them. */
    public static final class Builder {
        private double temperature;
        private int topK;
        private double topP = 1;
        private long seed;
        private double repetitionPenalty = 1;
        private int maxTokens = 256;
        private double minP;
        private double presencePenalty;
        private double frequencyPenalty;

        private Builder() {
        }

        public Builder temperature(double t) {
            temperature = t;
            return this;
        }

        public Builder topK(int k) {
            topK = k;
            return this;
        }

        public Builder topP(double p) {
            topP = p;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder repetitionPenalty(double p) {
            repetitionPenalty = p;
            return this;
        }

        public Builder maxTokens(int n) {
            maxTokens = n;
            return this;
        }

        public Builder minP(double p) {
            minP = p;
            return this;
        }

        public Builder presencePenalty(double p) {
            presencePenalty = p;
            return this;
        }

        public Builder frequencyPenalty(double p) {
            frequencyPenalty = p;
            return this;
        }

        public SamplingOptions build() {
            return new SamplingOptions(temperature, topK, topP, seed, repetitionPenalty, maxTokens, minP,
                    presencePenalty, frequencyPenalty);
        }
    }
}
