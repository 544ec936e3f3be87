package dev.recall.kernels;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Random inputs of the RWKV-6 WKV for {@code heads} heads of {@code size} channels side by side
 * over {@code tokens} tokens, with a non-zero starting state; shared by the WKV tests.
 */
record WkvInputs(int size, int heads, int tokens, float[] r, float[] k, float[] v, float[] w, float[] u, float[] state) {

    /** @param decay draws each decay w (the model's are exp(−exp(x)), in (0, 1)) */
    static WkvInputs random(int size, int heads, int tokens, long seed, DoubleSupplier decay) {
        Random rnd = new Random(seed);
        int n = tokens * heads * size;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) decay.getAsDouble();
        }
        return new WkvInputs(size, heads, tokens, TestMatrices.gaussian(rnd, n, 1), TestMatrices.gaussian(rnd, n, 1),
                TestMatrices.gaussian(rnd, n, 1), w, TestMatrices.gaussian(rnd, heads * size, 1),
                TestMatrices.gaussian(rnd, heads * size * size, 1));
    }

    /** Decays as the model makes them, exp(−exp(x)) for standard normal x. */
    static DoubleSupplier modelDecays(long seed) {
        Random rnd = new Random(seed);
        return () -> Math.exp(-Math.exp(rnd.nextGaussian()));
    }

    /** Runs every head through {@code sequence}; returns y and leaves the final state in {@code state}. */
    float[] run(Wkv6 wkv, float[] state) {
        float[] y = new float[tokens * heads * size];
        for (int h = 0; h < heads; h++) {
            wkv.sequence(size, tokens, r, k, v, w, h * size, heads * size, u, h * size, state, h * size * size, y);
        }
        return y;
    }
}
