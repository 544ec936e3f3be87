package dev.recall.runtime.generate;

import dev.recall.runtime.progress.ProgressListener;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;

/**
 * The one decode loop: from a prepared state and its next-token logits, choose a token, stream its
 * text, stop or step the model with it, repeat. Every model family and every long-context strategy
 * decodes through here. On return the state has consumed the prompt and every generated token but
 * the last (whose logits nobody asked for).
 */
public final class DecodeLoop {

    private DecodeLoop() {
    }

    /**
     * Consumes the prompt with the strategy (timed as prefill), then decodes. The repetition penalty
     * counts the prompt's tokens as seen, as Hugging Face does; under OPRM that is the whole prompt,
     * every chunk's tokens, although the state decoded from read only one chunk.
     */
    public static GenerationResult generate(LanguageModel model, Tokenizer tokenizer, LongContextStrategy strategy,
                                            Prompt prompt, SamplingOptions sampling, StopCondition stop,
                                            TokenListener listener) {
        return generate(model, tokenizer, strategy, prompt, sampling, stop, listener, ProgressListener.NONE);
    }

    /**
     * As above, reporting the strategy's progress (prompt tokens, or OPRM chunks) while it prefills.
     * If decoding fails, the prepared state is closed: it has consumed part of the tokens and cannot
     * be continued, and its attention cache goes back to the model.
     */
    public static GenerationResult generate(LanguageModel model, Tokenizer tokenizer, LongContextStrategy strategy,
                                            Prompt prompt, SamplingOptions sampling, StopCondition stop,
                                            TokenListener listener, ProgressListener progress) {
        long start = System.nanoTime();
        Prepared prepared = strategy.prepare(model, prompt, progress);
        long prefillNanos = System.nanoTime() - start;
        progress.finish(); // the bar is gone before the first token is printed
        try {
            return decode(model, tokenizer, prepared, prompt.concatenated(), prompt.length(), prefillNanos, sampling,
                    stop, listener);
        } catch (RuntimeException | Error e) {
            prepared.state().close();
            throw e;
        }
    }

    /**
     * Decodes from a state the caller prepared. The repetition penalty sees only generated tokens, and
     * the prompt length reported is the state's position.
     *
     * @param tokenizer null when only ids are wanted (no text, no stop strings)
     */
    public static GenerationResult generate(LanguageModel model, Tokenizer tokenizer, Prepared start,
                                            SamplingOptions sampling, StopCondition stop, TokenListener listener) {
        return decode(model, tokenizer, start, new int[0], start.state().position(), 0, sampling, stop, listener);
    }

    private static GenerationResult decode(LanguageModel model, Tokenizer tokenizer, Prepared start, int[] promptIds,
                                           int promptTokens, long prefillNanos, SamplingOptions sampling,
                                           StopCondition stop, TokenListener listener) {
        if (tokenizer == null && !stop.stopStrings().isEmpty()) {
            throw new RecallException("stop strings need the model's tokenizer");
        }
        long begin = System.nanoTime();
        BitSet seen = new BitSet();
        for (int id : promptIds) {
            seen.set(id);
        }
        Sampler sampler = new Sampler(sampling);
        Tokenizer.StreamDecoder decoder = tokenizer == null ? null : tokenizer.streamDecoder();
        StreamedText text = new StreamedText(stop.stopStrings(), listener);
        ModelState state = start.state();
        float[] logits = start.logits();
        int[] ids = new int[Math.min(sampling.maxTokens(), 256)];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        while (count < sampling.maxTokens()) {
            requireNumbers(logits);
            int id = sampler.next(logits, seen);
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, Math.min(sampling.maxTokens(), 2 * count));
            }
            ids[count++] = id;
            seen.set(id);
            listener.onToken(id, logits);
            if (stop.isEos(id)) {
                reason = StopReason.EOS;
                break;
            }
            if (decoder != null && text.append(decoder.push(id))) {
                reason = StopReason.STOP_STRING;
                break;
            }
            // The logits after the last token would never be used: the state stops one token short.
            if (count < sampling.maxTokens()) {
                logits = model.step(state, id);
            }
        }
        if (reason != StopReason.STOP_STRING && decoder != null) {
            if (text.append(decoder.flush())) {
                reason = StopReason.STOP_STRING;
            } else {
                text.finish();
            }
        }
        long decodeNanos = System.nanoTime() - begin;
        Map<String, Object> diagnostics = start.diagnostics() == null ? Map.of() : start.diagnostics();
        return new GenerationResult(Arrays.copyOf(ids, count), text.text(), reason, promptTokens, prefillNanos,
                decodeNanos, diagnostics);
    }

    /**
     * Refuses logits that are not numbers: NaN or +∞ come from damaged weights or an overflow, and
     * sampling from them would silently answer with token 0 (often EOS, an empty reply). −∞ is a
     * legitimate mask and passes. Public for other loops over a model's steps ({@code recall bench}).
     */
    public static void requireNumbers(float[] logits) {
        for (float l : logits) {
            if (Float.isNaN(l) || l == Float.POSITIVE_INFINITY) {
                throw new RecallException("the model produced a logit of " + l
                        + ": its weights are probably damaged (NaN or infinite values)");
            }
        }
    }
}
