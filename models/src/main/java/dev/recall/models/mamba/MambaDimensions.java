package dev.recall.models.mamba;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;

/**
 * The sizes of a Mamba model, read from its tensor shapes; config.json only cross-checks them
 * (real configs carry fields that do not match the weights, e.g. {@code expand}).
 *
 * @param vocab     embedding rows
 * @param hidden    D, the residual width
 * @param inner     E, the mixer's channel count (in_proj rows / 2)
 * @param states    N, the SSM state size per channel (A_log columns)
 * @param rank      R, the low rank of the step-size projection (dt_proj columns)
 * @param convWidth K, the causal conv1d width
 * @param layers    number of blocks
 */
record MambaDimensions(int vocab, int hidden, int inner, int states, int rank, int convWidth, int layers) {

    static final String PREFIX = "backbone.";

    /** Embedding names: current checkpoints, then the original state-spaces layout. */
    static final String[] EMBEDDING_NAMES = {PREFIX + "embeddings.weight", PREFIX + "embedding.weight"};

    static String layerPrefix(int layer) {
        return PREFIX + "layers." + layer + ".";
    }

    static MambaDimensions read(Weights weights, ModelConfig config) {
        Tensor embeddings = weights.getAny(EMBEDDING_NAMES);
        requireRank(embeddings, 2);
        int layers = 0;
        while (weights.has(layerPrefix(layers) + "mixer.in_proj.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new RecallException("the weights contain no Mamba layers (no " + layerPrefix(0) + "mixer.in_proj.weight)");
        }
        String mixer = layerPrefix(0) + "mixer.";
        Tensor inProj = weights.get(mixer + "in_proj.weight");
        Tensor aLog = weights.getAny(mixer + "A_log", mixer + MambaGguf.DECAY);
        Tensor dtProj = weights.get(mixer + "dt_proj.weight");
        Tensor conv = weights.get(mixer + "conv1d.weight");
        requireRank(inProj, 2);
        requireRank(aLog, 2);
        requireRank(dtProj, 2);
        if (inProj.dim(0) % 2 != 0) {
            throw new RecallException("tensor " + inProj.name() + " has an odd number of rows " + inProj.dim(0)
                    + "; it should stack the x and gate projections");
        }
        var dims = new MambaDimensions(embeddings.dim(0), embeddings.dim(1), inProj.dim(0) / 2, aLog.dim(1),
                dtProj.dim(1), conv.dim(-1), layers);
        dims.crossCheck(config);
        return dims;
    }

    /** Fails when config.json states a size that the tensors contradict. */
    private void crossCheck(ModelConfig config) {
        config.crossCheck("vocab_size", vocab, "rows of the embeddings");
        config.crossCheck("hidden_size", hidden, "columns of the embeddings");
        config.crossCheck("intermediate_size", inner, "half the rows of in_proj");
        config.crossCheck("state_size", states, "columns of A_log");
        config.crossCheck("conv_kernel", convWidth, "taps of conv1d");
        config.crossCheck("num_hidden_layers", layers, "layers in the weights");
        if (config.has("time_step_rank") && config.node("time_step_rank").isTextual()) {
            String rankSetting = config.string("time_step_rank");
            if (!rankSetting.equals("auto")) {
                throw new RecallException(config.source() + " has time_step_rank '" + rankSetting
                        + "'; expected an integer or \"auto\"");
            }
            check("time_step_rank \"auto\" (ceil(hidden_size / 16))", config, (hidden + 15) / 16, rank);
        } else {
            config.crossCheck("time_step_rank", rank, "columns of dt_proj");
        }
    }

    private static void check(String what, ModelConfig config, int configured, int fromTensors) {
        if (configured != fromTensors) {
            throw new RecallException(config.source() + " says " + what + " is " + configured
                    + " but the weights have " + fromTensors);
        }
    }

    private static void requireRank(Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new RecallException("tensor " + t.name() + " has shape " + t.shapeString() + ", expected " + rank + " dimensions");
        }
    }
}
