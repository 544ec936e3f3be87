package dev.recall.runtime.strategy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a strategy did to a prompt, for {@code --verbose}, {@code --json} and callers of the API:
 * one record per strategy. {@link #asMap()} gives the fields in the order they are printed, under
 * the names the JSON uses.
 */
public sealed interface StrategyReport {

    /** The strategy's name: "none", "oprm", "lm-infinite". */
    String strategy();

    /** Tokens of the prompt the strategy was given. */
    int promptTokens();

    /** Bytes of the state decoding continues from. */
    long stateBytes();

    /** The fields in print order, keyed as the JSON names them. */
    Map<String, Object> asMap();

    /**
     * The prompt through the model as it is (also a session's continuation, and a state a caller
     * prepared itself).
     */
    record Plain(String strategy, int promptTokens, long stateBytes) implements StrategyReport {
        @Override
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("strategy", strategy);
            m.put("prompt_tokens", promptTokens);
            m.put("state_bytes", stateBytes);
            return m;
        }
    }

    /**
     * OPRM: the chunks, each chunk's next-token entropy and whether it answered "I don't know", and
     * the chunk decoding continues from.
     *
     * @param selection   how the chunk was chosen: entropy, entropy-summary or last
     * @param idkTokens   the IDK answers' first tokens, none without a filter
     * @param allIdk      every chunk answered IDK (the most confident one was chosen all the same)
     * @param chosenChunk index of the chunk decoding continues from
     */
    record Oprm(int promptTokens, int chunkSize, int chunks, String selection, List<Integer> idkTokens,
                List<Double> entropies, List<Boolean> idk, boolean allIdk, int chosenChunk, long stateBytes)
            implements StrategyReport {
        public Oprm {
            idkTokens = List.copyOf(idkTokens);
            entropies = List.copyOf(entropies);
            idk = List.copyOf(idk);
        }

        @Override
        public String strategy() {
            return "oprm";
        }

        @Override
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("strategy", strategy());
            m.put("prompt_tokens", promptTokens);
            m.put("chunk_size", chunkSize);
            m.put("chunks", chunks);
            m.put("selection", selection);
            m.put("idk_tokens", idkTokens);
            m.put("entropies", entropies);
            m.put("idk", idk);
            m.put("all_idk", allIdk);
            m.put("chosen_chunk", chosenChunk);
            m.put("state_bytes", stateBytes);
            return m;
        }
    }

    /**
     * LM-Infinite: the Λ shape the attention layers used, and the top-k middle-token attention
     * (topK 0: off).
     */
    record LmInfinite(int promptTokens, int nGlobal, int window, int dMax, int topK, int topKFromLayer,
                      long stateBytes) implements StrategyReport {
        @Override
        public String strategy() {
            return "lm-infinite";
        }

        @Override
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("strategy", strategy());
            m.put("prompt_tokens", promptTokens);
            m.put("n_global", nGlobal);
            m.put("window", window);
            m.put("d_max", dMax);
            if (topK > 0) {
                m.put("top_k_attention", topK);
                m.put("top_k_from_layer", topKFromLayer);
            }
            m.put("state_bytes", stateBytes);
            return m;
        }
    }
}
