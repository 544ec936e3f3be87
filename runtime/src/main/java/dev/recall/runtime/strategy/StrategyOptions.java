package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;

import java.util.List;
import java.util.Locale;

/**
 * How a long prompt is consumed: one record per strategy, holding only the options that strategy
 * reads. A size of 0 and a null text mean "the strategy's default", which follows the reference
 * implementation (docs/long-context.md names the line each default comes from). Build them with
 * the named {@code with…} methods:
 * <pre>{@code
 * StrategyOptions.oprm().withChunk(2000).withIdk(List.of(" unknown.")).withIdkInstruction("")
 * StrategyOptions.lmInfinite().withNGlobal(10).withWindow(4096).withDMax(4096)
 * }</pre>
 */
public sealed interface StrategyOptions {

    /**
     * The OPRM reference's IDK answers ({@code eval_longbench_oprm.py}: RWKV's {@code idk_token =
     * [33079, 36638]}, "Error" and " Error"; the other models' single id is the same word).
     */
    List<String> DEFAULT_IDK = List.of("Error", " Error");

    /** The sentence the OPRM reference adds to a question when the IDK filter is on. */
    String DEFAULT_IDK_INSTRUCTION = "If the answer does not exist in the passages, return \"Error\".";

    /** The strategy's name on the command line and in diagnostics: "none", "oprm", "lm-infinite". */
    String name();

    /** The whole prompt through the model, as it is. */
    record Plain() implements StrategyOptions {
        @Override
        public String name() {
            return "none";
        }
    }

    /** How OPRM chooses the chunk it decodes from. */
    enum Selection {
        /** The lowest next-token entropy among the chunks not answering IDK (the reference's {@code entropy_first_tok}). */
        ENTROPY,
        /**
         * Summaries ({@code entropy_first_tok_summ}, the reference's rule for gov_report, qmsum and
         * multi_news): the lowest entropy with no IDK filter, since a summary has no "I don't know".
         */
        ENTROPY_SUMMARY,
        /** Code completion (the reference's lcc mode): only the last chunk-size tokens of the context are read. */
        LAST;

        /** The command-line name: entropy, entropy-summary, last. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Selection named(String label) {
            for (Selection s : values()) {
                if (s.label().equals(label)) {
                    return s;
                }
            }
            throw new RecallException("unknown OPRM selection '" + label + "' (supported: entropy, entropy-summary, last)");
        }
    }

    /**
     * OPRM: the context read in chunks, each with the query; decoding continues from the most
     * confident chunk that does not answer "I don't know".
     *
     * @param chunk          chunk size in tokens (0: training length − prefix − query when the training
     *                       length is known, else {@value Oprm#DEFAULT_CHUNK} as the reference uses)
     * @param idk            the IDK answers; the first token of each marks a chunk as uninformed (null:
     *                       {@link #DEFAULT_IDK})
     * @param idkFilter      whether chunks answering IDK are dropped
     * @param idkInstruction appended to the query when the filter is on (null: {@link
     *                       #DEFAULT_IDK_INSTRUCTION}; "": none)
     * @param selection      how the chunk is chosen
     * @param trainLength    the model's training context length, overriding its config (0: the config's)
     */
    record Oprm(int chunk, List<String> idk, boolean idkFilter, String idkInstruction, Selection selection,
                int trainLength) implements StrategyOptions {
        public Oprm {
            requireNotNegative("chunk", chunk);
            requireNotNegative("training length", trainLength);
            idk = idk == null ? null : List.copyOf(idk);
            if (idk != null && idk.isEmpty()) {
                throw new RecallException("give at least one IDK answer, or switch the IDK filter off");
            }
            selection = selection == null ? Selection.ENTROPY : selection;
        }

        @Override
        public String name() {
            return "oprm";
        }

        public Oprm withChunk(int tokens) {
            return new Oprm(tokens, idk, idkFilter, idkInstruction, selection, trainLength);
        }

        /** The IDK answers (each one's first token is an IDK token). */
        public Oprm withIdk(List<String> answers) {
            return new Oprm(chunk, answers, idkFilter, idkInstruction, selection, trainLength);
        }

        /** One IDK phrase, as earlier versions took it: "" switches the filter off. */
        public Oprm withIdkPhrase(String phrase) {
            return phrase.isEmpty() ? withIdkFilter(false) : withIdk(List.of(phrase));
        }

        public Oprm withIdkFilter(boolean on) {
            return new Oprm(chunk, idk, on, idkInstruction, selection, trainLength);
        }

        /** The sentence appended to the query while the filter is on ("" for none). */
        public Oprm withIdkInstruction(String sentence) {
            return new Oprm(chunk, idk, idkFilter, sentence, selection, trainLength);
        }

        public Oprm withSelection(Selection s) {
            return new Oprm(chunk, idk, idkFilter, idkInstruction, s, trainLength);
        }

        public Oprm withTrainLength(int tokens) {
            return new Oprm(chunk, idk, idkFilter, idkInstruction, selection, tokens);
        }

        /** The IDK answers in use: none when the filter is off or the selection has no filter. */
        public List<String> idkAnswers() {
            if (!idkFilter || selection != Selection.ENTROPY) {
                return List.of();
            }
            return idk == null ? DEFAULT_IDK : idk;
        }

        /**
         * The query as OPRM asks it: with the IDK instruction after it while the filter is on
         * (separated by a space unless the query ends in white space). No query stays none, so that
         * OPRM still refuses a request without a question.
         */
        public String query(String query) {
            String sentence = idkInstruction == null ? DEFAULT_IDK_INSTRUCTION : idkInstruction;
            if (idkAnswers().isEmpty() || sentence.isEmpty() || query == null || query.isEmpty()) {
                return query;
            }
            return Character.isWhitespace(query.charAt(query.length() - 1)) ? query + sentence : query + " " + sentence;
        }
    }

    /**
     * LM-Infinite: Λ-shaped attention, the first {@code nGlobal} tokens and a local window, the
     * global tokens seen at a distance of at most {@code dMax}; optionally, from layer {@code
     * topKFromLayer} on, the {@code topK} middle tokens that the last query attends to most.
     *
     * @param nGlobal       starting tokens every query sees (0: 10)
     * @param window        the local branch (0: the training length)
     * @param dMax          the distance limit for the global tokens (0: the training length)
     * @param topK          middle tokens the last query also sees (0: none)
     * @param topKFromLayer first layer with top-k attention (−1: 4, the reference's default)
     * @param trainLength   the model's training context length, overriding its config (0: the config's)
     */
    record LmInfinite(int nGlobal, int window, int dMax, int topK, int topKFromLayer, int trainLength)
            implements StrategyOptions {
        public LmInfinite {
            requireNotNegative("n_global", nGlobal);
            requireNotNegative("window", window);
            requireNotNegative("d_max", dMax);
            requireNotNegative("top-k attention", topK);
            requireNotNegative("training length", trainLength);
            if (topKFromLayer < -1) {
                throw new RecallException("the top-k starting layer must not be negative, got " + topKFromLayer);
            }
        }

        @Override
        public String name() {
            return "lm-infinite";
        }

        public LmInfinite withNGlobal(int tokens) {
            return new LmInfinite(tokens, window, dMax, topK, topKFromLayer, trainLength);
        }

        public LmInfinite withWindow(int tokens) {
            return new LmInfinite(nGlobal, tokens, dMax, topK, topKFromLayer, trainLength);
        }

        public LmInfinite withDMax(int tokens) {
            return new LmInfinite(nGlobal, window, tokens, topK, topKFromLayer, trainLength);
        }

        public LmInfinite withTopK(int tokens, int fromLayer) {
            return new LmInfinite(nGlobal, window, dMax, tokens, fromLayer, trainLength);
        }

        public LmInfinite withTrainLength(int tokens) {
            return new LmInfinite(nGlobal, window, dMax, topK, topKFromLayer, tokens);
        }
    }

    static StrategyOptions none() {
        return new Plain();
    }

    /** OPRM with every option at its default. */
    static Oprm oprm() {
        return new Oprm(0, null, true, null, Selection.ENTROPY, 0);
    }

    /** LM-Infinite with every option at its default. */
    static LmInfinite lmInfinite() {
        return new LmInfinite(0, 0, 0, 0, -1, 0);
    }

    /** The options of the strategy called {@code name} ("none" or "plain", "oprm", "lm-infinite"), all at their defaults. */
    static StrategyOptions named(String name) {
        return switch (name == null ? "none" : name) {
            case "none", "plain" -> new Plain();
            case "oprm" -> oprm();
            case "lm-infinite" -> lmInfinite();
            default -> throw new RecallException("unknown strategy '" + name + "' (supported: none, oprm, lm-infinite)");
        };
    }

    /** The rule every size option follows (the CLI applies it to each flag, read or not): one sentence when negative. */
    public static void requireNotNegative(String what, int value) {
        if (value < 0) {
            throw new RecallException("the " + what + " must not be negative, got " + value);
        }
    }
}
