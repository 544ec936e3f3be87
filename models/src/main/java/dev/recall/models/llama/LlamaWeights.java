package dev.recall.models.llama;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.layers.Linear;
import dev.recall.runtime.model.Checkpoint;

import java.util.ArrayList;
import java.util.List;

import static dev.recall.models.llama.LlamaConfig.PREFIX;

/**
 * The tensors of a Llama-layout checkpoint, each checked against the sizes in {@link LlamaConfig}.
 * Matrices stay memory-mapped in their stored dtype; norms and biases are small fp32 copies.
 *
 * @param head the output projection: {@code lm_head.weight}, or the embedding when tied
 */
record LlamaWeights(WeightMatrix embedding, List<Layer> layers, float[] finalNorm, WeightMatrix head) {

    /** One decoder block. */
    record Layer(float[] attentionNorm, Linear q, Linear k, Linear v, Linear o,
                 float[] mlpNorm, Linear gate, Linear up, Linear down) {
    }

    static LlamaWeights load(Checkpoint checkpoint, LlamaConfig c) {
        Weights w = checkpoint.weights();
        Kernels k = checkpoint.kernels();
        ModelConfig config = checkpoint.config();
        int d = c.hiddenSize();
        int qDim = c.heads() * c.headDim();
        int kvDim = c.kvHeads() * c.headDim();
        int ff = c.intermediateSize();

        WeightMatrix embedding = w.get(PREFIX + "embed_tokens.weight").matrix();
        List<Layer> layers = new ArrayList<>(c.layers());
        for (int i = 0; i < c.layers(); i++) {
            String p = PREFIX + "layers." + i + ".";
            Layer layer = new Layer(
                    w.get(p + "input_layernorm.weight").expectShape(d).toFloats(),
                    Linear.load(k, w, p + "self_attn.q_proj", qDim, d),
                    Linear.load(k, w, p + "self_attn.k_proj", kvDim, d),
                    Linear.load(k, w, p + "self_attn.v_proj", kvDim, d),
                    Linear.load(k, w, p + "self_attn.o_proj", d, qDim),
                    w.get(p + "post_attention_layernorm.weight").expectShape(d).toFloats(),
                    Linear.load(k, w, p + "mlp.gate_proj", ff, d),
                    Linear.load(k, w, p + "mlp.up_proj", ff, d),
                    Linear.load(k, w, p + "mlp.down_proj", d, ff));
            if (config.bool("attention_bias", false) && !(layer.q.hasBias() && layer.k.hasBias() && layer.v.hasBias())) {
                throw new RecallException(config.source() + " sets attention_bias but layer " + i
                        + " has no q/k/v_proj.bias tensors");
            }
            if (config.bool("mlp_bias", false) && !(layer.gate.hasBias() && layer.up.hasBias() && layer.down.hasBias())) {
                throw new RecallException(config.source() + " sets mlp_bias but layer " + i
                        + " has no gate/up/down_proj.bias tensors");
            }
            layers.add(layer);
        }
        float[] finalNorm = w.get(PREFIX + "norm.weight").expectShape(d).toFloats();

        // tie_word_embeddings defaults to false for these architectures.
        WeightMatrix head = checkpoint.headTiedToEmbeddings(false) ? embedding : w.get("lm_head.weight").expectShape(c.vocabSize(), d).matrix();
        return new LlamaWeights(embedding, List.copyOf(layers), finalNorm, head);
    }
}
