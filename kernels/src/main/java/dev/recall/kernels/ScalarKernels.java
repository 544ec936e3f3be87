package dev.recall.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Plain-loop reference implementation of {@link Kernels}: every SIMD kernel is tested against it.
 * It computes with every {@link WeightType} through the type's own reference decoding.
 */
public final class ScalarKernels implements Kernels {

    private final LambdaAttention attention = new LambdaAttentionScalar();
    private final SelectiveScan selectiveScan = new SelectiveScanScalar();
    private final Wkv6 wkv6 = new Wkv6Scalar();
    private final RgLru rgLru = new RgLru();

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String describe() {
        return "scalar (plain loops)";
    }

    @Override
    public boolean supports(WeightType type) {
        return true;
    }

    @Override
    public LambdaAttention attention() {
        return attention;
    }

    @Override
    public SelectiveScan selectiveScan(int tokens, int channels) {
        return selectiveScan;
    }

    @Override
    public Wkv6 wkv6() {
        return wkv6;
    }

    @Override
    public RgLru rgLru() {
        return rgLru;
    }

    @Override
    public double sumFloats(MemorySegment s, long from, long to) {
        double sum = 0;
        for (long off = from; off < to; off += 4) {
            sum += s.get(ElementType.FLOAT, off);
        }
        return sum;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo) {
        int cols = w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < w.rows(); r++) {
            w.row(r, row, 0);
            float s = 0f;
            for (int c = 0; c < cols; c++) {
                s += row[c] * x[xo + c];
            }
            y[yo + r] = s;
        }
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int xo, int t, float[] y, int yo) {
        matvecs(w, x, xo, t, y, yo);
    }

    @Override
    public void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            matvec(w, x, xo + i * w.cols(), y, yo + i * w.rows());
        }
    }

    /** Every product here is row by row: any grouping gives the same bits. */
    @Override
    public int matmulMinRows() {
        return 1;
    }

    @Override
    public void rmsNorm(float[] x, int xo, float[] w, float weightShift, float eps, float[] y, int yo, int n) {
        float ss = 0f;
        for (int i = 0; i < n; i++) {
            ss += x[xo + i] * x[xo + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            float v = x[xo + i] * inv;
            y[yo + i] = w == null ? v : v * (weightShift + w[i]);
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    @Override
    public void add(float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += x[xo + i];
        }
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) {
            x[off + i] *= s;
        }
    }

    @Override
    public void causalConv(float[] in, int t, int channels, float[] taps, int kernelSize, float[] bias, float[] out) {
        causalConvRange(in, t, channels, taps, kernelSize, bias, out, 0, channels);
    }

    /** {@link #causalConv} for channels [c0, c1) only (the SIMD kernel's tail). */
    static void causalConvRange(float[] in, int t, int channels, float[] taps, int kernelSize, float[] bias,
            float[] out, int c0, int c1) {
        for (int i = 0; i < t; i++) {
            int row = i * channels;
            for (int c = c0; c < c1; c++) {
                out[row + c] = bias == null ? 0f : bias[c];
            }
            for (int k = 0; k < kernelSize; k++) {
                int at = (i + k) * channels;
                int tap = k * channels;
                for (int c = c0; c < c1; c++) {
                    out[row + c] += taps[tap + c] * in[at + c];
                }
            }
        }
    }

    @Override
    public void siluMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            gate[i] = silu(gate[i]) * up[i];
        }
    }

    @Override
    public void geluTanhMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            gate[i] = geluTanh(gate[i]) * up[i];
        }
    }

    @Override
    public void silu(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            x[off + i] = silu(x[off + i]);
        }
    }

    @Override
    public void geluTanh(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            x[off + i] = geluTanh(x[off + i]);
        }
    }

    @Override
    public void rotateHalf(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        for (int h = 0; h < nHeads; h++) {
            rotatePairs(x, off + h * headDim, 0, rotaryDim / 2, cos, sin);
        }
    }

    @Override
    public void rotateAdjacent(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        rotateAdjacentPairs(x, off, nHeads, headDim, rotaryDim, cos, sin);
    }

    /**
     * Rotates pairs (2i, 2i + 1) of each head. Both kernel sets use this loop: it touches
     * headDim values per head and token, against the projections' headDim × hidden, and its
     * strided pairs would need a lane shuffle per vector.
     */
    static void rotateAdjacentPairs(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        int half = rotaryDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int b = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float x0 = x[b + 2 * i];
                float x1 = x[b + 2 * i + 1];
                x[b + 2 * i] = x0 * cos[i] - x1 * sin[i];
                x[b + 2 * i + 1] = x1 * cos[i] + x0 * sin[i];
            }
        }
    }

    /** Rotates pairs (i, i + half) of the head at x[b] for i in [from, half). */
    static void rotatePairs(float[] x, int b, int from, int half, float[] cos, float[] sin) {
        for (int i = from; i < half; i++) {
            float x0 = x[b + i];
            float x1 = x[b + i + half];
            x[b + i] = x0 * cos[i] - x1 * sin[i];
            x[b + i + half] = x1 * cos[i] + x0 * sin[i];
        }
    }

    public static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    public static float geluTanh(float v) {
        double c = Math.sqrt(2.0 / Math.PI);
        return (float) (0.5 * v * (1.0 + Math.tanh(c * (v + 0.044715 * v * v * v))));
    }

    public static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    /** softplus as torch computes it (linear above 20). */
    public static float softplus(float v) {
        return v > 20f ? v : (float) Math.log1p(Math.exp(v));
    }
}
