package dev.recall.runtime.api;

import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.StrategyOptions;

import java.util.List;

/**
 * Everything one generation call can be told. Immutable; the {@code with…} methods return changed
 * copies.
 *
 * @param sampling    how tokens are chosen and how many at most
 * @param strategy    how a fresh session consumes a long prompt ("none", "oprm", "lm-infinite")
 * @param stopStrings text that ends generation (cut from the result); the model's EOS ids always do
 * @param progress    told how the prompt's prefill advances
 * @param cancellation stops the generation at its next token when cancelled (a thread interrupt
 *                     does the same); the session stays usable
 * @param logprobs     −1: no log-probabilities; k ≥ 0: each token's, with the k most likely alternatives
 * @param limits       how long the prompt and the reply may be ({@link RequestLimits#DEFAULT} when null)
 */
public record GenerateOptions(SamplingOptions sampling, StrategyOptions strategy, List<String> stopStrings,
                              ProgressListener progress, Cancellation cancellation, int logprobs,
                              RequestLimits limits) {

    /** The token limit used when generation_config.json sets none. */
    public static final int DEFAULT_MAX_TOKENS = 256;

    public GenerateOptions {
        strategy = strategy == null ? StrategyOptions.none() : strategy;
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        progress = progress == null ? ProgressListener.NONE : progress;
        limits = limits == null ? RequestLimits.DEFAULT : limits;
    }

    public GenerateOptions(SamplingOptions sampling, StrategyOptions strategy, List<String> stopStrings,
                           ProgressListener progress, Cancellation cancellation, int logprobs) {
        this(sampling, strategy, stopStrings, progress, cancellation, logprobs, null);
    }

    public GenerateOptions(SamplingOptions sampling, StrategyOptions strategy, List<String> stopStrings,
                           ProgressListener progress) {
        this(sampling, strategy, stopStrings, progress, null, -1);
    }

    /** Argmax decoding of at most maxTokens tokens, the whole prompt through the model. */
    public static GenerateOptions greedy(int maxTokens) {
        return new GenerateOptions(SamplingOptions.greedy(maxTokens), StrategyOptions.none(), List.of(), null);
    }

    /** Decoding as the model's generation_config.json asks (greedy unless it sets do_sample). */
    public static GenerateOptions from(GenerationDefaults defaults, long seed) {
        int maxTokens = defaults.maxNewTokens() > 0 ? defaults.maxNewTokens() : DEFAULT_MAX_TOKENS;
        SamplingOptions sampling = new SamplingOptions(defaults.effectiveTemperature(), defaults.doSample() ? defaults.topK() : 0,
                defaults.doSample() ? defaults.topP() : 1, seed, defaults.repetitionPenalty(), maxTokens);
        return new GenerateOptions(sampling, StrategyOptions.none(), List.of(), null);
    }

    public GenerateOptions withSampling(SamplingOptions s) {
        return new GenerateOptions(s, strategy, stopStrings, progress, cancellation, logprobs, limits);
    }

    public GenerateOptions withMaxTokens(int n) {
        return withSampling(sampling.withMaxTokens(n));
    }

    public GenerateOptions withStrategy(StrategyOptions s) {
        return new GenerateOptions(sampling, s, stopStrings, progress, cancellation, logprobs, limits);
    }

    public GenerateOptions withStopStrings(List<String> s) {
        return new GenerateOptions(sampling, strategy, s, progress, cancellation, logprobs, limits);
    }

    public GenerateOptions withProgress(ProgressListener p) {
        return new GenerateOptions(sampling, strategy, stopStrings, p, cancellation, logprobs, limits);
    }

    /** Options whose generation stops at its next token once {@code c} is cancelled. */
    public GenerateOptions withCancellation(Cancellation c) {
        return new GenerateOptions(sampling, strategy, stopStrings, progress, c, logprobs, limits);
    }

    /** Options bounded by other request limits (a server's, say). */
    public GenerateOptions withLimits(RequestLimits l) {
        return new GenerateOptions(sampling, strategy, stopStrings, progress, cancellation, logprobs, l);
    }

    /** Reports each generated token's log-probability, with the {@code top} most likely alternatives. */
    public GenerateOptions withLogprobs(int top) {
        return new GenerateOptions(sampling, strategy, stopStrings, progress, cancellation, top, limits);
    }
}
