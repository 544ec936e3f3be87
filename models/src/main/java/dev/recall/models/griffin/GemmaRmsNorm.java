package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;

/** Gemma-style RMSNorm: x · rsqrt(mean(x²) + eps) · (1 + w), applied to each row of a batch. */
record GemmaRmsNorm(float[] weight, float eps, Kernels kernels) {

    /** x and y are [t, weight.length]; y may not alias x. */
    void forward(float[] x, int t, float[] y) {
        for (int i = 0; i < t; i++) {
            forwardRow(x, i, y, i);
        }
    }

    /** Row r of x into row at of y. */
    void forwardRow(float[] x, int r, float[] y, int at) {
        int n = weight.length;
        kernels.rmsNorm(x, r * n, weight, 1f, eps, y, at * n, n);
    }
}
