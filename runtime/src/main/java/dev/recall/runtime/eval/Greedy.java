package dev.recall.runtime.eval;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.strategy.Oprm;
import dev.recall.runtime.strategy.Prepared;

import java.util.Arrays;
import java.util.Collection;

/** Greedy decoding from a prepared state, as the evaluations define it. */
public final class Greedy {

    private Greedy() {
    }

    /**
     * Up to maxTokens argmax tokens (first maximum on ties), continuing from the prepared state;
     * stops before any stop id, which is not part of the answer.
     */
    public static int[] decode(LanguageModel model, Prepared prepared, int maxTokens, Collection<Integer> stopIds) {
        int[] out = new int[maxTokens];
        int n = 0;
        float[] logits = prepared.logits();
        while (n < maxTokens) {
            int next = Oprm.argmax(logits);
            if (stopIds.contains(next)) {
                break;
            }
            out[n++] = next;
            if (n < maxTokens) {
                logits = model.step(prepared.state(), next);
            }
        }
        return Arrays.copyOf(out, n);
    }
}
