package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizer;

/** Builds the strategy a request names. */
public final class Strategies {

    private Strategies() {
    }

    /**
     * @param tokenizer used to turn the IDK phrase into its first token (may be null when the
     *                  strategy needs none)
     */
    public static LongContextStrategy create(StrategyOptions options, Tokenizer tokenizer) {
        String name = options.name() == null ? "none" : options.name();
        return switch (name) {
            case "none", "plain" -> new PlainStrategy();
            default -> throw new RecallException("unknown strategy '" + name + "' (supported: none)");
        };
    }
}
