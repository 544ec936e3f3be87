package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.ScalarKernels;
import dev.recall.kernels.WeightMatrix;

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

    Rwkv6ChannelMix(Rwkv6Tensors tensors, String prefix, int channels) {
        this.channels = channels;
        maaK = tensors.vector(prefix + "time_maa_k", channels);
        maaR = tensors.vector(prefix + "time_maa_r", channels);
        int hidden = tensors.tensor(prefix + "key.weight").dim(0);
        key = tensors.matrix(prefix + "key.weight", hidden, channels);
        value = tensors.matrix(prefix + "value.weight", channels, hidden);
        receptance = tensors.matrix(prefix + "receptance.weight", channels, channels);
    }

    /**
     * Channel mixing of the t rows of x ({@code [t, C]}, the LN2 output), advancing this layer's
     * shift state. Returns {@code [t, C]}, to be added to the residual stream.
     */
    float[] forward(float[] x, int t, float[] shift) {
        Kernels kernels = Kernels.get();
        float[] dx = TokenShift.differences(x, t, channels, shift);

        float[] k = new float[t * key.rows()];
        kernels.matmul(key, TokenShift.mix(x, dx, t, maaK), t, k);
        for (int i = 0; i < k.length; i++) {
            float relu = Math.max(k[i], 0f);
            k[i] = relu * relu;
        }
        float[] v = new float[t * channels];
        kernels.matmul(value, k, t, v);

        float[] r = new float[t * channels];
        kernels.matmul(receptance, TokenShift.mix(x, dx, t, maaR), t, r);
        for (int i = 0; i < v.length; i++) {
            v[i] *= ScalarKernels.sigmoid(r[i]);
        }
        return v;
    }
}
