package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * One RWKV-6 block: {@code x += TimeMix(LN1(x))}, then {@code x += ChannelMix(LN2(x))}.
 * Block 0 first normalises the embeddings with its extra {@code pre_ln}.
 */
final class Rwkv6Block {

    private final int index;
    private final LayerNorm preLn;
    private final LayerNorm ln1;
    private final LayerNorm ln2;
    private final Rwkv6TimeMix timeMix;
    private final Rwkv6ChannelMix channelMix;
    private final Kernels kernels;

    Rwkv6Block(Rwkv6Tensors tensors, int index, int channels, int heads, int headSize, float layerNormEps, float groupNormEps,
               Kernels kernels) {
        this.kernels = kernels;
        this.index = index;
        String prefix = "rwkv.blocks." + index + ".";
        preLn = index == 0 ? layerNorm(tensors, prefix + "pre_ln", channels, layerNormEps) : null;
        ln1 = layerNorm(tensors, prefix + "ln1", channels, layerNormEps);
        ln2 = layerNorm(tensors, prefix + "ln2", channels, layerNormEps);
        timeMix = new Rwkv6TimeMix(tensors, prefix + "attention.", channels, heads, headSize, groupNormEps, kernels);
        channelMix = new Rwkv6ChannelMix(tensors, prefix + "feed_forward.", channels, kernels);
    }

    static LayerNorm layerNorm(Rwkv6Tensors tensors, String name, int channels, float eps) {
        return new LayerNorm(tensors.vector(name + ".weight", channels), tensors.vector(name + ".bias", channels), eps);
    }

    /**
     * Runs the rows of the residual stream x ({@code [rows, C]}) through the block in place, piece
     * p advancing states[p]. Its working arrays come from scratch, shared with the other blocks of
     * the same forward call.
     */
    void forward(float[] x, Rows rows, Rwkv6State[] states, Scratch scratch) {
        int t = rows.count();
        int n = t * ln1.size();
        if (preLn != null) {
            preLn.applyInPlace(x, t);
        }
        float[][] timeShifts = new float[states.length][];
        float[][] wkv = new float[states.length][];
        float[][] channelShifts = new float[states.length][];
        for (int p = 0; p < states.length; p++) {
            timeShifts[p] = states[p].timeMixShift(index);
            wkv[p] = states[p].wkv(index);
            channelShifts[p] = states[p].channelMixShift(index);
        }
        // One buffer holds LN1's output, then LN2's: the time mixing is done with the first (its
        // shift state keeps a copy of the last row) before the second is written.
        float[] normalized = scratch.floats("block.normalized", n);
        ln1.apply(x, t, normalized);
        float[] attention = timeMix.forward(normalized, rows, timeShifts, wkv, scratch);
        kernels.add(attention, 0, x, 0, n);
        ln2.apply(x, t, normalized);
        float[] feedForward = channelMix.forward(normalized, rows, channelShifts, scratch);
        kernels.add(feedForward, 0, x, 0, n);
    }
}
