package dev.recall.runtime.strategy;

import dev.recall.runtime.model.ModelState;


/**
 * What a strategy hands the decode loop: the state to continue from (the prompt already consumed),
 * the next-token logits at that point, and the strategy's report (chunks, entropies, IDK flags,
 * chosen chunk, cache sizes...).
 */
public record Prepared(ModelState state, float[] logits, StrategyReport diagnostics) {

    public Prepared {
        java.util.Objects.requireNonNull(diagnostics, "diagnostics");
    }
}
