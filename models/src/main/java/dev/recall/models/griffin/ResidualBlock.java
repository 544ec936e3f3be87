package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.model.Scratch;

/**
 * One Griffin layer: {@code r = x + temporal(norm_t(x))}, then {@code x = r + mlp(norm_c(r))}.
 * The residual stream x is updated in place.
 */
record ResidualBlock(GemmaRmsNorm temporalNorm, TemporalBlock temporal, GemmaRmsNorm channelNorm, GatedMlp mlp,
                     Kernels kernels) {

    /**
     * x is the residual stream [t, hidden]; layer is this block's index in the state. normed and
     * update are written in full by each norm and sublayer, and are dead once added to x, so every
     * layer reuses the same two buffers.
     */
    void forward(RecurrentGemmaState state, int layer, float[] x, int t, Scratch scratch) {
        int n = t * temporalNorm.weight().length;
        Kernels k = kernels;
        float[] normed = scratch.floats("residual.normed", n);
        float[] update = scratch.floats("residual.update", n);

        temporalNorm.forward(x, t, normed);
        switch (temporal) {
            case RecurrentBlock recurrent ->
                    recurrent.forward(state.recurrentMemory(layer), state.position() == 0, normed, t, update, scratch);
            case LocalAttentionBlock attention -> attention.forward(state.cache(layer), normed, t, update, scratch);
        }
        k.add(update, 0, x, 0, n);

        channelNorm.forward(x, t, normed);
        mlp.forward(normed, t, update, scratch);
        k.add(update, 0, x, 0, n);
    }
}
