package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.WeightMatrix;
import dev.recall.kernels.Wkv6;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * RWKV-6 time mixing ("attention") of one block, for a batch of t tokens of the LN1 output x:
 * <ol>
 *   <li>data-dependent token shift: {@code dx = x_prev − x}; a low-rank projection of
 *       {@code x + dx·maa_x} yields five per-token corrections, one each for the w, k, v, r, g
 *       inputs {@code x + dx·(maa_? + m?)};</li>
 *   <li>{@code r, k, v = W x?}, {@code g = silu(W_g xg)}, decay
 *       {@code w = exp(−exp(time_decay + tanh(xw @ decay_w1) @ decay_w2))};</li>
 *   <li>the WKV recurrence per head ({@link Wkv6}), sequential over the tokens;</li>
 *   <li>GroupNorm (one group per head) with ln_x affine, times g, output projection.</li>
 * </ol>
 */
final class Rwkv6TimeMix {

    /** Order of the five low-rank corrections in time_maa_w1 / time_maa_w2. */
    private static final int W = 0, K = 1, V = 2, R = 3, G = 4, MIXES = 5;
    /** Scratch names of the five mixed inputs, in the order above (all five are live at once). */
    private static final String[] MIXED = {"timeMix.xw", "timeMix.xk", "timeMix.xv", "timeMix.xr", "timeMix.xg"};

    /** Each parallel WKV task should update at least this many state elements (else threading costs more than it saves). */
    private static final int MIN_STATE_UPDATES_PER_TASK = 1 << 16;

    private final int channels;
    private final int heads;
    private final int headSize;
    private final float[] maaX;
    private final float[][] maa = new float[MIXES][];
    /** time_maa_w1 as [5·X, C] and time_maa_w2[m] as [C, X] (stored [in, out]; transposed at load). */
    private final WeightMatrix maaDown;
    private final WeightMatrix[] maaUp;
    private final int maaRank;
    private final float[] timeDecay;
    /** time_decay_w1 as [Y, C] and time_decay_w2 as [A, Y] (stored [in, out]; transposed at load). */
    private final WeightMatrix decayDown;
    private final WeightMatrix decayUp;
    /** time_faaaa: the bonus u of the current token, [H, S] flattened. */
    private final float[] bonus;
    private final WeightMatrix receptance;
    private final WeightMatrix key;
    private final WeightMatrix value;
    private final WeightMatrix gate;
    private final WeightMatrix output;
    private final LayerNorm lnX;
    private final Kernels kernels;

    Rwkv6TimeMix(Rwkv6Tensors tensors, String prefix, int channels, int heads, int headSize, float groupNormEps,
                 Kernels kernels) {
        this.kernels = kernels;
        this.channels = channels;
        this.heads = heads;
        this.headSize = headSize;
        int attention = heads * headSize;
        maaX = tensors.vector(prefix + "time_maa_x", channels);
        String[] mixNames = {"w", "k", "v", "r", "g"};
        for (int m = 0; m < MIXES; m++) {
            maa[m] = tensors.vector(prefix + "time_maa_" + mixNames[m], channels);
        }
        maaRank = tensors.tensor(prefix + "time_maa_w2").dim(1);
        maaDown = tensors.inOutMatrix(prefix + "time_maa_w1", channels, MIXES * maaRank);
        maaUp = tensors.inOutMatrices(prefix + "time_maa_w2", MIXES, maaRank, channels);
        int decayRank = tensors.tensor(prefix + "time_decay_w1").dim(1);
        timeDecay = tensors.vector(prefix + "time_decay", attention);
        decayDown = tensors.inOutMatrix(prefix + "time_decay_w1", channels, decayRank);
        decayUp = tensors.inOutMatrix(prefix + "time_decay_w2", decayRank, attention);
        bonus = tensors.vector(prefix + "time_faaaa", attention);
        receptance = tensors.matrix(prefix + "receptance.weight", attention, channels);
        key = tensors.matrix(prefix + "key.weight", attention, channels);
        value = tensors.matrix(prefix + "value.weight", attention, channels);
        gate = tensors.matrix(prefix + "gate.weight", attention, channels);
        output = tensors.matrix(prefix + "output.weight", channels, attention);
        lnX = new LayerNorm(tensors.vector(prefix + "ln_x.weight", attention),
                tensors.vector(prefix + "ln_x.bias", attention), groupNormEps);
    }

    /**
     * Time mixing of the rows of a pass ({@code [rows, C]}, the LN1 output), advancing the shift
     * and WKV state of this layer of each piece ({@code shifts[p]}, {@code wkvStates[p]}); the
     * products take every row, the token shift and the WKV recurrence run piece by piece. Returns {@code [t, C]} in the scratch buffer "timeMix.out", to be added
     * to the residual stream before the next layer's time mixing reuses it.
     */
    float[] forward(float[] x, Rows rows, float[][] shifts, float[][] wkvStates, Scratch scratch) {
        int t = rows.count();
        int attention = heads * headSize;
        float[] dx = scratch.floats("timeMix.dx", t * channels);
        for (int p = 0; p < rows.pieces(); p++) {
            TokenShift.differences(x, rows.start(p), rows.length(p), channels, shifts[p], dx);
        }

        // Data-dependent token shift: five low-rank corrections from one shared down-projection.
        float[] xx = scratch.floats("timeMix.xx", t * channels);
        TokenShift.mix(x, dx, t, maaX, xx);
        float[] lowRank = matmul(maaDown, xx, rows, scratch, "timeMix.lowRank");
        tanh(lowRank);
        float[] lowRankPart = scratch.floats("timeMix.lowRankPart", t * maaRank);
        float[][] mixed = new float[MIXES][];
        for (int m = 0; m < MIXES; m++) {
            columns(lowRank, t, MIXES * maaRank, m * maaRank, maaRank, lowRankPart);
            float[] correction = matmul(maaUp[m], lowRankPart, rows, scratch, MIXED[m]);
            TokenShift.mixInto(x, dx, t, maa[m], correction);
            mixed[m] = correction;
        }

        float[] r = matmul(receptance, mixed[R], rows, scratch, "timeMix.r");
        float[] k = matmul(key, mixed[K], rows, scratch, "timeMix.k");
        float[] v = matmul(value, mixed[V], rows, scratch, "timeMix.v");
        float[] g = matmul(gate, mixed[G], rows, scratch, "timeMix.g");
        kernels.silu(g, 0, t * attention);

        float[] decayLowRank = matmul(decayDown, mixed[W], rows, scratch, "timeMix.decayLowRank");
        tanh(decayLowRank);
        float[] w = matmul(decayUp, decayLowRank, rows, scratch, "timeMix.w");
        for (int i = 0; i < w.length; i++) {
            // Decay in (0, 1), computed in fp32 whatever the weights: exp(−exp(·)).
            w[i] = (float) Math.exp(-Math.exp(timeDecay[i % attention] + w[i]));
        }

        // Every head's scan writes all of its channels of y, so stale contents do no harm.
        float[] y = scratch.floats("timeMix.y", t * attention);
        Wkv6 wkv = kernels.wkv6();
        for (int p = 0; p < rows.pieces(); p++) {
            int r0 = rows.start(p);
            int pieceTokens = rows.length(p);
            float[] wkvState = wkvStates[p];
            int grain = Math.max(1, MIN_STATE_UPDATES_PER_TASK / (pieceTokens * headSize * headSize));
            Parallel.forRange(heads, grain, (from, to) -> {
                for (int h = from; h < to; h++) {
                    wkv.sequence(headSize, pieceTokens, r, k, v, w, r0 * attention + h * headSize, attention, bonus,
                            h * headSize, wkvState, h * headSize * headSize, y);
                }
            });
        }

        lnX.applyGroupsInPlace(y, t, heads);
        for (int i = 0; i < y.length; i++) {
            y[i] *= g[i];
        }
        return matmul(output, y, rows, scratch, "timeMix.out");
    }

    /** Y = X·Wᵀ for the rows of x, into the scratch buffer called name ({@code [rows, w.rows]}). */
    private float[] matmul(WeightMatrix w, float[] x, Rows rows, Scratch scratch, String name) {
        float[] y = scratch.floats(name, rows.count() * w.rows());
        rows.linear(kernels, w, x, y);
        return y;
    }

    private static void tanh(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.tanh(x[i]);
        }
    }

    /** Copies columns [from, from + n) of the t rows of a {@code [t, width]} array into out ({@code [t, n]}). */
    private static void columns(float[] x, int t, int width, int from, int n, float[] out) {
        for (int s = 0; s < t; s++) {
            System.arraycopy(x, s * width + from, out, s * n, n);
        }
    }
}
