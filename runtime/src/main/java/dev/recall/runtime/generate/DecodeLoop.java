package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.Sequence;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The one decode loop: from a prepared state and its next-token logits, choose a token, stream its
 * text, stop or step the model with it, repeat. Every model family and every long-context strategy
 * decodes through here. On return a state has consumed its prompt and every generated token but
 * the last (whose logits nobody asked for).
 *
 * <p>Several sequences decode together with {@link #decodeAll}: each step advances every
 * unfinished one in one batched forward pass, and each samples, penalises repetition, watches for
 * its stop strings and streams its text on its own. A sequence's result is what it gets decoded
 * alone (the batched pass gives it its own logits bit for bit, and its sampler is its own).
 */
public final class DecodeLoop {

    /**
     * How one sequence is decoded: how tokens are chosen and how many, what ends it, a cancellation
     * the caller may trigger (null: none but the thread's interrupt), and whether to report each
     * token's log-probability ({@code logprobs} −1: no; k ≥ 0: yes, with the k most likely
     * alternatives).
     */
    public record Options(SamplingOptions sampling, StopCondition stop, Cancellation cancellation, int logprobs) {
        public Options {
            Objects.requireNonNull(sampling, "sampling");
            Objects.requireNonNull(stop, "stop");
            cancellation = cancellation == null ? new Cancellation() : cancellation;
            if (logprobs < -1) {
                throw new RecallException("the number of alternative log-probabilities must be ≥ 0, got " + logprobs);
            }
        }

        public Options(SamplingOptions sampling, StopCondition stop) {
            this(sampling, stop, null, -1);
        }

        public Options withCancellation(Cancellation c) {
            return new Options(sampling, stop, c, logprobs);
        }

        /** Reports each token's log-probability and those of the {@code top} most likely tokens. */
        public Options withLogprobs(int top) {
            return new Options(sampling, stop, cancellation, top);
        }
    }

    /** One sequence of {@link #decodeAll}: where it starts, how it is decoded, who hears its tokens. */
    public record Request(Prepared start, Options options, TokenListener listener) {
        public Request {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(options, "options");
            listener = listener == null ? TokenListener.NONE : listener;
        }
    }

    private final LanguageModel model;
    private final Tokenizer tokenizer;

    /**
     * @param tokenizer null when only ids are wanted (no text, no stop strings)
     */
    public DecodeLoop(LanguageModel model, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = tokenizer;
    }

    /**
     * Consumes the prompt with the strategy (timed as prefill), reporting its progress (prompt
     * tokens, or OPRM chunks), then decodes. The repetition penalty counts the prompt's tokens as
     * seen, as Hugging Face does; under OPRM that is the whole prompt, every chunk's tokens,
     * although the state decoded from read only one chunk. If decoding fails, the prepared state is
     * closed: it has consumed part of the tokens and cannot be continued, and its attention cache
     * goes back to the model.
     */
    public GenerationResult generate(LongContextStrategy strategy, Prompt prompt, Options options,
                                     TokenListener listener, ProgressListener progress) {
        long start = System.nanoTime();
        Prepared prepared = strategy.prepare(model, prompt, progress);
        long prefillNanos = System.nanoTime() - start;
        progress.finish(); // the bar is gone before the first token is printed
        try {
            Decoding d = new Decoding(new Request(prepared, options, listener), tokenizer, prompt.concatenated(),
                    prompt.length(), prefillNanos);
            run(List.of(d));
            return d.result();
        } catch (RuntimeException | Error e) {
            prepared.state().close();
            throw e;
        }
    }

    /**
     * Decodes from a state the caller prepared (and still owns). The repetition penalty sees only
     * generated tokens, and the prompt length reported is the state's position.
     */
    public GenerationResult decode(Prepared start, Options options, TokenListener listener) {
        return decodeAll(List.of(new Request(start, options, listener))).getFirst();
    }

    /**
     * Decodes every request together, each step one batched forward pass over the sequences that
     * have not stopped, and returns their results in order. The states stay the callers'. An
     * exception from the model or from any listener ends the whole call.
     */
    public List<GenerationResult> decodeAll(List<Request> requests) {
        List<Decoding> all = new ArrayList<>(requests.size());
        for (Request r : requests) {
            all.add(new Decoding(r, tokenizer, new int[0], r.start().state().position(), 0));
        }
        run(all);
        List<GenerationResult> results = new ArrayList<>(all.size());
        for (Decoding d : all) {
            results.add(d.result());
        }
        return results;
    }

    private void run(List<Decoding> all) {
        List<Decoding> active = new ArrayList<>(all);
        while (!active.isEmpty()) {
            List<Decoding> stepping = new ArrayList<>(active.size());
            List<Sequence> batch = new ArrayList<>(active.size());
            for (Decoding d : active) {
                int next = d.chooseNext();
                if (next >= 0) {
                    stepping.add(d);
                    batch.add(Sequence.of(d.start.state(), next));
                }
            }
            if (!batch.isEmpty()) {
                List<float[]> logits = model.forward(new Batch(batch));
                for (int i = 0; i < stepping.size(); i++) {
                    stepping.get(i).logits = logits.get(i);
                }
            }
            active = stepping;
        }
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
