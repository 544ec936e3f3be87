package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;

/**
 * How a long prompt is consumed: one record per strategy, holding only the options that strategy
 * reads. A size of 0 and a null phrase mean "the strategy's default". Build them with the named
 * {@code with…} methods:
 * <pre>{@code
 * StrategyOptions.oprm().withChunk(2000).withIdkPhrase(" unknown.")
 * StrategyOptions.lmInfinite().withNGlobal(10).withDMax(4096)
 * }</pre>
 */
public sealed interface StrategyOptions {

    /** The OPRM "I don't know" phrase when none is given. */
    String DEFAULT_IDK_PHRASE = " unknown.";

    /** The strategy's name on the command line and in diagnostics: "none", "oprm", "lm-infinite". */
    String name();

    /** The whole prompt through the model, as it is. */
    record Plain() implements StrategyOptions {
        @Override
        public String name() {
            return "none";
        }
    }

    /**
     * OPRM: the context read in chunks, each with the query; decoding continues from the most
     * confident chunk that does not answer "I don't know".
     *
     * @param chunk       chunk size in tokens (0: the training length − prefix − query)
     * @param idkPhrase   the phrase whose first token marks a chunk as uninformed (null: {@value
     *                    #DEFAULT_IDK_PHRASE}; "": no filter)
     * @param trainLength the model's training context length, overriding its config (0: the config's)
     */
    record Oprm(int chunk, String idkPhrase, int trainLength) implements StrategyOptions {
        public Oprm {
            requireNotNegative("chunk", chunk);
            requireNotNegative("training length", trainLength);
        }

        @Override
        public String name() {
            return "oprm";
        }

        public Oprm withChunk(int tokens) {
            return new Oprm(tokens, idkPhrase, trainLength);
        }

        public Oprm withIdkPhrase(String phrase) {
            return new Oprm(chunk, phrase, trainLength);
        }

        public Oprm withTrainLength(int tokens) {
            return new Oprm(chunk, idkPhrase, tokens);
        }

        /** The IDK phrase to use: the given one, or the default when none was given. */
        public String idkPhraseOrDefault() {
            return idkPhrase == null ? DEFAULT_IDK_PHRASE : idkPhrase;
        }
    }

    /**
     * LM-Infinite: Λ-shaped attention, the first {@code nGlobal} tokens and the last {@code dMax},
     * distances clamped at {@code dMax}.
     *
     * @param nGlobal     starting tokens every query sees (0: 10)
     * @param dMax        local window and distance limit (0: the training length)
     * @param trainLength the model's training context length, overriding its config (0: the config's)
     */
    record LmInfinite(int nGlobal, int dMax, int trainLength) implements StrategyOptions {
        public LmInfinite {
            requireNotNegative("n_global", nGlobal);
            requireNotNegative("d_max", dMax);
            requireNotNegative("training length", trainLength);
        }

        @Override
        public String name() {
            return "lm-infinite";
        }

        public LmInfinite withNGlobal(int tokens) {
            return new LmInfinite(tokens, dMax, trainLength);
        }

        public LmInfinite withDMax(int tokens) {
            return new LmInfinite(nGlobal, tokens, trainLength);
        }

        public LmInfinite withTrainLength(int tokens) {
            return new LmInfinite(nGlobal, dMax, tokens);
        }
    }

    static StrategyOptions none() {
        return new Plain();
    }

    /** OPRM with every option at its default. */
    static Oprm oprm() {
        return new Oprm(0, null, 0);
    }

    /** LM-Infinite with every option at its default. */
    static LmInfinite lmInfinite() {
        return new LmInfinite(0, 0, 0);
    }

    /**
     * The options of the strategy called {@code name} ("none" or "plain", "oprm", "lm-infinite"),
     * from the command line's flags: each strategy takes the ones it reads (a caller refuses the
     * others first, so none is silently dropped).
     */
    static StrategyOptions named(String name, int chunk, String idkPhrase, int nGlobal, int dMax, int trainLength) {
        // Every size is checked, read or not: a bad value is the first thing to hear about.
        requireNotNegative("chunk", chunk);
        requireNotNegative("n_global", nGlobal);
        requireNotNegative("d_max", dMax);
        requireNotNegative("training length", trainLength);
        return switch (name == null ? "none" : name) {
            case "none", "plain" -> new Plain();
            case "oprm" -> new Oprm(chunk, idkPhrase, trainLength);
            case "lm-infinite" -> new LmInfinite(nGlobal, dMax, trainLength);
            default -> throw new RecallException("unknown strategy '" + name + "' (supported: none, oprm, lm-infinite)");
        };
    }

    private static void requireNotNegative(String what, int value) {
        if (value < 0) {
            throw new RecallException("the " + what + " must not be negative, got " + value);
        }
    }
}
