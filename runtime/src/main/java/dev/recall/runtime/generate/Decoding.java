package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * One sequence being decoded: its sampler, what it has seen, its text, its tokens so far. Stepped by
 * {@link DecodeLoop} and by {@link BatchScheduler}, which own the model passes.
 */
final class Decoding {
    final Prepared start;
    final int promptTokens;
    final long prefillNanos;
    final SamplingOptions sampling;
    final StopCondition stop;
    final TokenListener listener;
    final Cancellation cancellation;
    final int logprobs;
    final List<TokenLogprob> tokenLogprobs = new ArrayList<>();
    final BitSet seen = new BitSet();
    /** Times each id was generated, for the presence and frequency penalties (null when both are off). */
    int[] generated;
    final Sampler sampler;
    final Tokenizer.StreamDecoder decoder;
    final StreamedText text;
    final long begin = System.nanoTime();
    float[] logits;
    int[] ids;
    int count;
    StopReason reason = StopReason.MAX_TOKENS;
    long decodeNanos = -1;

    Decoding(DecodeLoop.Request request, Tokenizer tokenizer, int[] seenIds, int promptTokens, long prefillNanos) {
        this.start = request.start();
        this.promptTokens = promptTokens;
        this.prefillNanos = prefillNanos;
        this.sampling = request.options().sampling();
        this.stop = request.options().stop();
        this.listener = request.listener();
        this.cancellation = request.options().cancellation();
        this.logprobs = request.options().logprobs();
        if (tokenizer == null && !stop.stopStrings().isEmpty()) {
            throw new RecallException("stop strings need the model's tokenizer");
        }
        for (int id : seenIds) {
            seen.set(id);
        }
        this.sampler = new Sampler(sampling);
        this.decoder = tokenizer == null ? null : tokenizer.streamDecoder();
        this.text = new StreamedText(stop.stopStrings(), listener);
        this.logits = start.logits();
        this.ids = new int[Math.min(sampling.maxTokens(), 256)];
    }

    /**
     * Chooses, records and streams the next token from the current logits; returns it when the
     * sequence goes on (the model is to step with it), or −1 once the sequence has stopped.
     */
    int chooseNext() {
        if (count >= sampling.maxTokens()) {
            return end(StopReason.MAX_TOKENS);
        }
        if (count == 0 && cancelled()) {
            return end(StopReason.CANCELLED);
        }
        DecodeLoop.requireNumbers(logits);
        if (generated == null && sampling.countsGenerated()) {
            generated = new int[logits.length];
        }
        int id = sampler.next(logits, seen, generated);
        if (generated != null && id < generated.length) {
            generated[id]++;
        }
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, Math.min(sampling.maxTokens(), 2 * count));
        }
        ids[count++] = id;
        seen.set(id);
        if (logprobs >= 0) {
            tokenLogprobs.add(TokenLogprob.of(logits, id, logprobs));
        }
        listener.onToken(id, logits);
        if (stop.isEos(id)) {
            return end(StopReason.EOS);
        }
        if (decoder != null && text.append(decoder.push(id))) {
            return end(StopReason.STOP_STRING);
        }
        // The logits after the last token would never be used: the state stops one token short,
        // whatever ends it (a cancelled sequence keeps the token it has just streamed).
        if (count >= sampling.maxTokens()) {
            return end(StopReason.MAX_TOKENS);
        }
        return cancelled() ? end(StopReason.CANCELLED) : id;
    }

    private boolean cancelled() {
        return cancellation.isCancelled() || Thread.currentThread().isInterrupted();
    }

    private int end(StopReason why) {
        reason = why;
        if (why != StopReason.STOP_STRING && decoder != null) {
            if (text.append(decoder.flush())) {
                reason = StopReason.STOP_STRING;
            } else {
                text.finish();
            }
        }
        decodeNanos = System.nanoTime() - begin;
        return -1;
    }

    GenerationResult result() {
        return new GenerationResult(Arrays.copyOf(ids, count), text.text(), reason, promptTokens, prefillNanos,
                decodeNanos, start.diagnostics(), tokenLogprobs);
    }
}

