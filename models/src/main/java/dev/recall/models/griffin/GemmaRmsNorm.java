package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;

/** Gemma-style RMSNorm: x · rsqrt(mean(x²) + eps) · (1 + w), applied to each row of a batch. */
record GemmaRmsNorm(float[] weight, float eps, Kernels kernels) {

    /** x and y are [t, weight.length]; y may not alias x. */
    void forward(float[] x, int t, float[] y) {
        forwardRows(x, 0, t, y);
    }

    /** Rows [from, from + rows) of x into y ([rows, weight.length]); y may not alias x. */
    void forwardRows(float[] x, int from, int rows, float[] y) {
        int n = weight.length;
        Kernels k = kernels;
        for (int i = 0; i < rows; i++) {
            k.rmsNorm(x, (from + i) * n, weight, 1f, eps, y, i * n, n);
        }
    }
}
