package dev.recall.runtime.generate;

import dev.recall.runtime.strategy.StrategyReport;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param ids           generated ids (a final EOS id included)
 * @param text          generated text: EOS excluded, cut before a stop string
 * @param stopReason    why it ended
 * @param promptTokens  tokens in the prompt
 * @param prefillNanos  time spent consuming the prompt (0 when the caller prepared the state)
 * @param decodeNanos   time spent choosing tokens and stepping the model
 * @param diagnostics   what the long-context strategy did to the prompt
 * @param logprobs      each generated token's log-probability (and its top alternatives) when they
 *                      were asked for, else empty
 */
public record GenerationResult(int[] ids, String text, StopReason stopReason, int promptTokens,
                               long prefillNanos, long decodeNanos, StrategyReport diagnostics,
                               List<TokenLogprob> logprobs) {

    public GenerationResult {
        logprobs = List.copyOf(logprobs);
    }

    /** Prompt tokens per second of prefill, NaN when the prefill was not timed. */
    public double prefillTokensPerSecond() {
        return prefillNanos > 0 ? promptTokens * 1e9 / prefillNanos : Double.NaN;
    }

    /** Generated tokens per second of decoding, NaN when nothing was generated. */
    public double decodeTokensPerSecond() {
        return ids.length > 0 && decodeNanos > 0 ? ids.length * 1e9 / decodeNanos : Double.NaN;
    }
}
