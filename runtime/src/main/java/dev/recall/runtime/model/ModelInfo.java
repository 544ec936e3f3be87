package dev.recall.runtime.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;

/**
 * Facts about a loaded model, read from its tensors and config ({@link #describe}).
 *
 * @param family           short family name ("llama", "mamba", "recurrent-gemma", "rwkv6")
 * @param architecture     the config's architecture string
 * @param vocabSize        rows of the output head (logit count)
 * @param hiddenSize       model width
 * @param layers           number of blocks
 * @param trainingLength   training context length (max_position_embeddings or equivalent), 0 if unknown
 * @param attentionLayers  number of attention layers (0 for pure recurrences: LM-Infinite refuses them)
 * @param windowedAttentionLayers those of them with a window of their own (RecurrentGemma's local
 *                         attention, a configured sliding window), which an {@code AttentionPolicy}
 *                         does not change: LM-Infinite refuses a model whose attention layers all are
 * @param weightDtype      dtype of the bulk of the weights
 * @param parameterCount   number of parameters stored
 * @param weightBytes      bytes of mapped weights
 * @param lookupOnlyBytes  bytes of those that a token only looks up one row of and never streams:
 *                         an input embedding table that is not also the output head
 * @param bosTokenId       BOS id or -1
 * @param eosTokenIds      EOS ids from config / generation_config
 */
public record ModelInfo(String family, String architecture, int vocabSize, int hiddenSize, int layers,
                        int trainingLength, int attentionLayers, int windowedAttentionLayers, String weightDtype, long parameterCount,
                        long weightBytes, long lookupOnlyBytes, int bosTokenId, List<Integer> eosTokenIds) {

    /**
     * An EOS id the model cannot produce would never end a reply: generation would silently run to
     * its token limit. A config that names one is damaged, so loading it stops with a sentence.
     */
    public ModelInfo {
        eosTokenIds = List.copyOf(eosTokenIds);
        for (int id : eosTokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new RecallException("the config's eos_token_id " + id + " is not a token of this model (its vocabulary has "
                        + vocabSize + " tokens)");
            }
        }
    }

    /** Attention layers whose span the caller's {@code AttentionPolicy} decides. */
    public int policyAttentionLayers() {
        return attentionLayers - windowedAttentionLayers;
    }

    /** Weight bytes one decode token streams: all but the lookup-only tables (one row of which it reads). */
    public long streamedBytesPerToken() {
        return weightBytes - lookupOnlyBytes;
    }

    /**
     * The facts of a model built from {@code checkpoint}: its family's own {@code facts}, the
     * vocabulary from the head's rows, the width from the embedding's columns, the training length
     * from the config's {@code max_position_embeddings} (0 when it states none), the weight type
     * that holds the most bytes, and the counts, BOS and EOS from the checkpoint.
     */
    public static ModelInfo describe(Checkpoint checkpoint, CausalLanguageModel.Facts facts, WeightMatrix embedding,
                                     WeightMatrix head) {
        ModelConfig config = checkpoint.config();
        Weights weights = checkpoint.weights();
        return new ModelInfo(facts.family(), config.architecture(), head.rows(), embedding.cols(), facts.layers(),
                config.integer("max_position_embeddings", 0, 0, Integer.MAX_VALUE), facts.attentionLayers(),
                facts.windowedAttentionLayers(), dominantType(weights), weights.parameterCount(), weights.totalBytes(),
                lookupOnlyBytes(embedding, head), checkpoint.bosTokenId(), checkpoint.eosTokenIds());
    }

    /** The type name of the tensors that hold the most bytes together (the first name on a tie). */
    static String dominantType(Weights weights) {
        Map<String, Long> bytes = new TreeMap<>();
        for (Tensor t : weights.all()) {
            bytes.merge(t.typeName(), t.data().byteSize(), Long::sum);
        }
        String best = "";
        long most = -1;
        for (Map.Entry<String, Long> e : bytes.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    /** {@code lookupOnlyBytes} of a model with this input embedding and output head: 0 when they are one table. */
    public static long lookupOnlyBytes(WeightMatrix embedding, WeightMatrix head) {
        return embedding.data().equals(head.data()) ? 0 : embedding.data().byteSize(); // equal: the same memory
    }
}
