package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;

/**
 * One Griffin layer: {@code r = x + temporal(norm_t(x))}, then {@code x = r + mlp(norm_c(r))}.
 * The residual stream x is updated in place.
 */
record ResidualBlock(GemmaRmsNorm temporalNorm, TemporalBlock temporal, GemmaRmsNorm channelNorm, GatedMlp mlp) {

    /** x is the residual stream [t, hidden]; layer is this block's index in the state. */
    void forward(RecurrentGemmaState state, int layer, float[] x, int t) {
        int n = t * temporalNorm.weight().length;
        Kernels k = Kernels.get();
        float[] normed = new float[n];
        float[] update = new float[n];

        temporalNorm.forward(x, t, normed);
        switch (temporal) {
            case RecurrentBlock recurrent ->
                    recurrent.forward(state.recurrentMemory(layer), state.position() == 0, normed, t, update);
            case LocalAttentionBlock attention -> attention.forward(state.cache(layer), normed, t, update);
        }
        k.add(update, 0, x, 0, n);

        channelNorm.forward(x, t, normed);
        mlp.forward(normed, t, update);
        k.add(update, 0, x, 0, n);
    }
}
