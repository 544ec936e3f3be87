package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;

import java.util.List;

/**
 * Options of the long-context strategies, as given on the command line or through the API.
 * Zero / null means "use the strategy's default".
 *
 * @param name        "none", "oprm" or "lm-infinite"
 * @param chunk       OPRM chunk size in tokens (default: training length − prefix − query)
 * @param idkPhrase   OPRM "I don't know" phrase whose first token marks a chunk as uninformed
 *                    (default {@value #DEFAULT_IDK_PHRASE}; "" turns the filter off)
 * @param nGlobal     LM-Infinite starting tokens (default 10)
 * @param dMax        LM-Infinite local window and distance limit (default: training length)
 * @param trainLength the model's training context length, overriding what its config says (for
 *                    checkpoints whose config has none or a wrong one)
 */
public record StrategyOptions(String name, int chunk, String idkPhrase, int nGlobal, int dMax, int trainLength) {

    public static final String DEFAULT_IDK_PHRASE = " unknown.";

    public StrategyOptions {
        if (name != null && !List.of("none", "plain", "oprm", "lm-infinite").contains(name)) {
            throw new RecallException("unknown strategy '" + name + "' (supported: none, oprm, lm-infinite)");
        }
        if (chunk < 0 || nGlobal < 0 || dMax < 0 || trainLength < 0) {
            throw new RecallException("strategy sizes must not be negative (chunk " + chunk
                    + ", n_global " + nGlobal + ", d_max " + dMax + ", train length " + trainLength + ")");
        }
    }

    /** Options without a training-length override. */
    public StrategyOptions(String name, int chunk, String idkPhrase, int nGlobal, int dMax) {
        this(name, chunk, idkPhrase, nGlobal, dMax, 0);
    }

    public static StrategyOptions none() {
        return new StrategyOptions("none", 0, null, 0, 0);
    }

    /** The IDK phrase to use: the given one, or the default when none was given. */
    public String idkPhraseOrDefault() {
        return idkPhrase == null ? DEFAULT_IDK_PHRASE : idkPhrase;
    }
}
