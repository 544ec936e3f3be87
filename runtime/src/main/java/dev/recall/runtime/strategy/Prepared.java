package dev.recall.runtime.strategy;

import dev.recall.runtime.model.ModelState;

import java.util.Map;

/**
 * What a strategy hands the decode loop: the state to continue from (the prompt already consumed),
 * the next-token logits at that point, and the strategy's diagnostics (chunks, entropies, IDK flags,
 * chosen chunk, cache sizes...) in insertion order.
 */
public record Prepared(ModelState state, float[] logits, Map<String, Object> diagnostics) {
}
