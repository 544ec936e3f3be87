package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.progress.ProgressListener;

/**
 * How a request's prompt is consumed before decoding. Every strategy ends in a {@link Prepared}
 * state, and one decode loop continues from it, whatever the strategy and the model family.
 */
public interface LongContextStrategy {

    /** Short name as used on the command line ("none", "oprm", "lm-infinite"). */
    String name();

    /** Consumes the prompt and returns the state to decode from. */
    default Prepared prepare(LanguageModel model, Prompt prompt) {
        return prepare(model, prompt, ProgressListener.NONE);
    }

    /**
     * Consumes the prompt, reporting progress (prompt tokens, or OPRM chunks) as it goes, and returns
     * the state to decode from.
     */
    Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress);

    /** Piece length for reporting progress while prefilling one long prompt. */
    int PROGRESS_PIECE = 512;

    /**
     * Prefills tokens in pieces of {@link #PROGRESS_PIECE}, reporting after each. Pieces carry the
     * state, so the result equals one prefill (the golden tests check two-piece prefill). If the
     * prefill fails (a bad token id, no memory left, a cancelled progress listener), the state is
     * closed: it holds part of the prompt, so nobody can continue it, and its attention cache goes
     * back to the model.
     */
    static float[] prefillReporting(LanguageModel model, dev.recall.runtime.model.ModelState state, int[] tokens,
                                    ProgressListener progress) {
        try {
            return prefillInPieces(model, state, tokens, progress);
        } catch (RuntimeException | Error e) {
            state.close();
            throw e;
        }
    }

    private static float[] prefillInPieces(LanguageModel model, dev.recall.runtime.model.ModelState state, int[] tokens,
                                           ProgressListener progress) {
        if (tokens.length == 0) {
            throw new RecallException("the prompt is empty: there is no token to predict the next one from");
        }
        if (tokens.length <= PROGRESS_PIECE) {
            float[] logits = model.prefill(state, tokens);
            progress.update(tokens.length, tokens.length, "tokens");
            return logits;
        }
        state.reserve(tokens.length); // a cache sized once for every piece, not doubled piece by piece
        float[] logits = null;
        for (int from = 0; from < tokens.length; from += PROGRESS_PIECE) {
            int to = Math.min(tokens.length, from + PROGRESS_PIECE);
            logits = model.prefill(state, tokens, from, to, false);
            progress.update(to, tokens.length, "tokens");
        }
        return logits;
    }
}
