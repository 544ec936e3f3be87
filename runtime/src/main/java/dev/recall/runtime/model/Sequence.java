package dev.recall.runtime.model;

import java.util.Objects;

/**
 * One sequence's share of a forward pass: the state it advances, the tokens it consumes
 * ({@code tokens[from, to)}), and whether it wants the logits after every one of them or only
 * after the last.
 */
public record Sequence(ModelState state, int[] tokens, int from, int to, boolean allLogits) {

    public Sequence {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(tokens, "tokens");
    }

    /** A sequence that consumes all of {@code tokens} and wants the logits after the last. */
    public static Sequence of(ModelState state, int... tokens) {
        return new Sequence(state, tokens, 0, tokens.length, false);
    }

    public int length() {
        return to - from;
    }
}
