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
        return switch (options) {
            case StrategyOptions.Plain p -> new PlainStrategy();
            case StrategyOptions.Oprm o -> new Oprm(o.chunk(), idkToken(o.idkPhraseOrDefault(), tokenizer), o.trainLength());
            case StrategyOptions.LmInfinite l -> new LmInfinite(l.nGlobal(), l.dMax(), l.trainLength());
        };
    }

    /** The first token of the IDK phrase, or −1 (no IDK filter) for an empty phrase. */
    static int idkToken(String phrase, Tokenizer tokenizer) {
        if (phrase.isEmpty()) {
            return -1;
        }
        if (tokenizer == null) {
            throw new RecallException("OPRM needs the model's tokenizer to find the first token of the IDK phrase '" + phrase + "'");
        }
        int[] ids = tokenizer.encode(phrase);
        if (ids.length == 0) {
            throw new RecallException("the IDK phrase '" + phrase + "' encodes to no tokens");
        }
        return ids[0];
    }
}
