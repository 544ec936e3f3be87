package dev.recall.cli;

import dev.recall.runtime.strategy.StrategyOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * The long-context strategies' options, as every command takes them; {@link StrategyOptionUse}
 * refuses those the run's strategies do not read. Defaults and the reference each follows are in
 * docs/long-context.md.
 */
final class StrategyFlags {

    @Option(names = "--chunk", paramLabel = "N", defaultValue = "0",
            description = "OPRM: chunk size in tokens (0: training length − prefix − query, or 2000 when the "
                    + "training length is unknown).")
    int chunk;

    @Option(names = "--idk", paramLabel = "TEXT",
            description = "OPRM: an \"I don't know\" answer; a chunk whose most likely next token is the first token "
                    + "of one is dropped. Repeatable. Default: \"Error\" and \" Error\".")
    List<String> idk = new ArrayList<>();

    /** The option's earlier name: one phrase, "" for no filter. */
    @Option(names = "--idk-phrase", paramLabel = "TEXT", hidden = true)
    String idkPhrase;

    @Option(names = "--no-idk-filter", description = "OPRM: keep chunks that answer \"I don't know\" (and add no instruction).")
    boolean noIdkFilter;

    @Option(names = "--idk-instruction", paramLabel = "TEXT",
            description = "OPRM: the sentence appended to the query while the IDK filter is on (\"\" for none). "
                    + "Default: If the answer does not exist in the passages, return \"Error\".")
    String idkInstruction;

    @Option(names = "--select", paramLabel = "RULE", defaultValue = "entropy",
            description = "OPRM: how the chunk is chosen: entropy, entropy-summary (summaries: no IDK filter) or last "
                    + "(code completion: only the last chunk is read). Default: ${DEFAULT-VALUE}")
    String select;

    @Option(names = "--n-global", paramLabel = "N", defaultValue = "0",
            description = "LM-Infinite: starting tokens every query sees (0: 10).")
    int nGlobal;

    @Option(names = "--window", paramLabel = "N", defaultValue = "0",
            description = "LM-Infinite: the local window, tokens each query sees at their true distance (0: training length).")
    int window;

    @Option(names = "--d-max", paramLabel = "N", defaultValue = "0",
            description = "LM-Infinite: the distance limit at which the starting tokens are seen (0: training length).")
    int dMax;

    @Option(names = "--top-k-attention", paramLabel = "K", defaultValue = "0",
            description = "LM-Infinite: the last prompt token and each new one also see the K middle tokens they "
                    + "attend to most (0: off; the cache then keeps every token).")
    int topK;

    @Option(names = "--top-k-from-layer", paramLabel = "L", defaultValue = "4",
            description = "LM-Infinite: the first layer (from 0) with top-k attention. Default: ${DEFAULT-VALUE}")
    int topKFromLayer;

    @Option(names = "--train-length", paramLabel = "N", defaultValue = "0",
            description = "The model's training context length, for configs that do not state it or state "
                    + "a wrong one (0: from config.json).")
    int trainLength;

    /** The options of the strategy called {@code name}, with the flags given. */
    StrategyOptions options(String name) {
        // Every size is checked, read or not: a bad value is the first thing to hear about.
        StrategyOptions.requireNotNegative("chunk", chunk);
        StrategyOptions.requireNotNegative("n_global", nGlobal);
        StrategyOptions.requireNotNegative("window", window);
        StrategyOptions.requireNotNegative("d_max", dMax);
        StrategyOptions.requireNotNegative("top-k attention", topK);
        StrategyOptions.requireNotNegative("top-k starting layer", topKFromLayer);
        StrategyOptions.requireNotNegative("training length", trainLength);
        StrategyOptions named = StrategyOptions.named(name);
        return switch (named) {
            case StrategyOptions.Plain p -> p;
            case StrategyOptions.Oprm o -> {
                StrategyOptions.Oprm r = o.withChunk(chunk).withTrainLength(trainLength)
                        .withSelection(StrategyOptions.Selection.named(select)).withIdkInstruction(idkInstruction);
                List<String> answers = new ArrayList<>(idk);
                if (idkPhrase != null) {
                    if (idkPhrase.isEmpty()) {
                        r = r.withIdkFilter(false);
                    } else {
                        answers.add(idkPhrase);
                    }
                }
                if (!answers.isEmpty()) {
                    r = r.withIdk(answers);
                }
                yield noIdkFilter ? r.withIdkFilter(false) : r;
            }
            case StrategyOptions.LmInfinite l -> l.withNGlobal(nGlobal).withWindow(window).withDMax(dMax)
                    .withTopK(topK, topKFromLayer).withTrainLength(trainLength);
        };
    }
}
