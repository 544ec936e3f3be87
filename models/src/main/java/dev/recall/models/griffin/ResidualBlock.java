package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * One Griffin layer: {@code r = x + temporal(norm_t(x))}, then {@code x = r + mlp(norm_c(r))}.
 * The residual stream x is updated in place.
 */
record ResidualBlock(GemmaRmsNorm temporalNorm, TemporalBlock temporal, GemmaRmsNorm channelNorm, GatedMlp mlp,
                     Kernels kernels) {

    /**
     * x is the residual stream [rows, hidden], piece p of the pass advancing states[p]; layer is
     * this block's index in the states. normed and
     * update are written in full by each norm and sublayer, and are dead once added to x, so every
     * layer reuses the same two buffers.
     */
    void forward(RecurrentGemmaState[] states, int layer, float[] x, Rows rows, Scratch scratch) {
        int t = rows.count();
        int n = t * temporalNorm.weight().length;
        Kernels k = kernels;
        float[] normed = scratch.floats("residual.normed", n);
        float[] update = scratch.floats("residual.update", n);

        temporalNorm.forward(x, t, normed);
        switch (temporal) {
            case RecurrentBlock recurrent -> {
                RecurrentBlock.Memory[] memories = new RecurrentBlock.Memory[states.length];
                boolean[] starts = new boolean[states.length];
                for (int p = 0; p < states.length; p++) {
                    memories[p] = states[p].recurrentMemory(layer);
                    starts[p] = states[p].position() == 0;
                }
                recurrent.forward(memories, starts, normed, rows, update, scratch);
            }
            case LocalAttentionBlock attention -> {
                KvCache[] caches = new KvCache[states.length];
                for (int p = 0; p < states.length; p++) {
                    caches[p] = states[p].cache(layer);
                }
                attention.forward(caches, normed, rows, update, scratch);
            }
        }
        k.add(update, 0, x, 0, n);

        channelNorm.forward(x, t, normed);
        mlp.forward(normed, rows, update, scratch);
        k.add(update, 0, x, 0, n);
    }
}
