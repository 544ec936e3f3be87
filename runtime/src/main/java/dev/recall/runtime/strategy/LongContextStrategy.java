package dev.recall.runtime.strategy;

import dev.recall.runtime.model.LanguageModel;

/**
 * How a request's prompt is consumed before decoding. Every strategy ends in a {@link Prepared}
 * state, and one decode loop continues from it, whatever the strategy and the model family.
 */
public interface LongContextStrategy {

    /** Short name as used on the command line ("none", "oprm", "lm-infinite"). */
    String name();

    /** Consumes the prompt and returns the state to decode from. */
    Prepared prepare(LanguageModel model, Prompt prompt);
}
