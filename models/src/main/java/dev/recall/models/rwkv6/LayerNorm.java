package dev.recall.models.rwkv6;

/**
 * LayerNorm with affine weight and bias: {@code (x − mean) / sqrt(var + eps) · w + b}, biased
 * variance, as torch computes it. RWKV's GroupNorm on the WKV output is the same normalisation
 * applied to each head's channels separately, with that head's slice of the affine parameters.
 */
record LayerNorm(float[] weight, float[] bias, float eps) {

    int size() {
        return weight.length;
    }

    /** Normalises each of the t rows of x ({@code [t, size]}) in place. */
    void applyInPlace(float[] x, int t) {
        for (int s = 0; s < t; s++) {
            normalize(x, s * size(), size(), weight, bias, 0, eps, x, s * size());
        }
    }

    /** Normalises the t rows of x into y (both {@code [t, size]}). */
    void apply(float[] x, int t, float[] y) {
        for (int s = 0; s < t; s++) {
            normalize(x, s * size(), size(), weight, bias, 0, eps, y, s * size());
        }
    }

    /**
     * GroupNorm over consecutive groups of {@code size / groups} channels, in place on the t rows
     * of x ({@code [t, size]}).
     */
    void applyGroupsInPlace(float[] x, int t, int groups) {
        int n = size() / groups;
        for (int s = 0; s < t; s++) {
            for (int g = 0; g < groups; g++) {
                int off = s * size() + g * n;
                normalize(x, off, n, weight, bias, g * n, eps, x, off);
            }
        }
    }

    /** y[yo + i] = (x[xo + i] − mean) / sqrt(var + eps) · w[wo + i] + b[wo + i] for i in [0, n). */
    static void normalize(float[] x, int xo, int n, float[] w, float[] b, int wo, float eps, float[] y, int yo) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xo + i];
        }
        double mean = sum / n;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xo + i] - mean;
            squares += d * d;
        }
        float mu = (float) mean;
        float inv = (float) (1.0 / Math.sqrt(squares / n + eps));
        for (int i = 0; i < n; i++) {
            y[yo + i] = (x[xo + i] - mu) * inv * w[wo + i] + b[wo + i];
        }
    }
}
