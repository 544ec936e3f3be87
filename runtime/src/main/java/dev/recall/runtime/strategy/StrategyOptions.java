package dev.recall.runtime.strategy;

/**
 * Options of the long-context strategies, as given on the command line or through the API.
 * Zero / null means "use the strategy's default".
 *
 * @param name      "none", "oprm" or "lm-infinite"
 * @param chunk     OPRM chunk size in tokens (default: training length − prefix − query)
 * @param idkPhrase OPRM "I don't know" phrase whose first token marks a chunk as uninformed
 * @param nGlobal   LM-Infinite starting tokens (default 10)
 * @param dMax      LM-Infinite local window and distance limit (default: training length)
 */
public record StrategyOptions(String name, int chunk, String idkPhrase, int nGlobal, int dMax) {

    public static StrategyOptions none() {
        return new StrategyOptions("none", 0, null, 0, 0);
    }
}
