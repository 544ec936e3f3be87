package dev.recall.runtime.model;

import java.util.List;

/**
 * Facts about a loaded model, read from its tensors and config.
 *
 * @param family           short family name ("llama", "mamba", "recurrent-gemma", "rwkv6")
 * @param architecture     the config's architecture string
 * @param vocabSize        rows of the output head (logit count)
 * @param hiddenSize       model width
 * @param layers           number of blocks
 * @param trainingLength   training context length (max_position_embeddings or equivalent), 0 if unknown
 * @param attentionLayers  number of attention layers (0 for pure recurrences: LM-Infinite refuses them)
 * @param weightDtype      dtype of the bulk of the weights
 * @param parameterCount   number of parameters stored
 * @param weightBytes      bytes of mapped weights
 * @param bosTokenId       BOS id or -1
 * @param eosTokenIds      EOS ids from config / generation_config
 */
public record ModelInfo(String family, String architecture, int vocabSize, int hiddenSize, int layers,
                        int trainingLength, int attentionLayers, String weightDtype, long parameterCount,
                        long weightBytes, int bosTokenId, List<Integer> eosTokenIds) {
}
