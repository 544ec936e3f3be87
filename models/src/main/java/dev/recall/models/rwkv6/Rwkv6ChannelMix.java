package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.ScalarKernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * RWKV-6 channel mixing ("feed forward") of one block, on the LN2 output x with its own token
 * shift: {@code σ(W_r (x + dx·maa_r)) ⊙ W_v relu(W_k (x + dx·maa_k))²}.
 */
final class Rwkv6ChannelMix {

    private final int channels;
    private final float[] maaK;
    private final float[] maaR;
    private final WeightMatrix key;
    private final WeightMatrix value;
    private final WeightMatrix receptance;

    private final Kernels kernels;

    Rwkv6ChannelMix(Rwkv6Tensors tensors, String prefix, int channels, Kernels kernels) {
        this.kernels = kernels;
        this.channels = channels;
        maaK = tensors.vector(prefix + "time_maa_k", channels);
        maaR = tensors.vector(prefix + "time_maa_r", channels);
        int hidden = tensors.tensor(prefix + "key.weight").dim(0);
        key = tensors.matrix(prefix + "key.weight", hidden, channels);
        value = tensors.matrix(prefix + "value.weight", channels, hidden);
        receptance = tensors.matrix(prefix + "receptance.weight", channels, channels);
    }

    /**
     * Channel mixing of the rows of a pass ({@code [rows, C]}, the LN2 output), advancing this
     * layer's shift state of each piece ({@code shifts[p]}). Returns {@code [t, C]} in the scratch buffer "channelMix.v", to be added to the
     * residual stream before the next layer's channel mixing reuses it.
     */
    float[] forward(float[] x, Rows rows, float[][] shifts, Scratch scratch) {
        int t = rows.count();
        float[] dx = scratch.floats("channelMix.dx", t * channels);
        for (int p = 0; p < rows.pieces(); p++) {
            TokenShift.differences(x, rows.start(p), rows.length(p), channels, shifts[p], dx);
        }

        float[] xk = scratch.floats("channelMix.xk", t * channels);
        TokenShift.mix(x, dx, t, maaK, xk);
        float[] k = scratch.floats("channelMix.k", t * key.rows());
        rows.linear(kernels, key, xk, k);
        for (int i = 0; i < k.length; i++) {
            float relu = Math.max(k[i], 0f);
            k[i] = relu * relu;
        }
        float[] v = scratch.floats("channelMix.v", t * channels);
        rows.linear(kernels, value, k, v);

        float[] xr = scratch.floats("channelMix.xr", t * channels);
        TokenShift.mix(x, dx, t, maaR, xr);
        float[] r = scratch.floats("channelMix.r", t * channels);
        rows.linear(kernels, receptance, xr, r);
        for (int i = 0; i < v.length; i++) {
            v[i] *= ScalarKernels.sigmoid(r[i]);
        }
        return v;
    }
}
