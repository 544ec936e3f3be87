package dev.recall.models.llama;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.io.Weights;

/**
 * A linear layer {@code y = W x (+ b)} with W stored {@code [out, in]}. The bias is optional: Qwen2
 * stores q/k/v biases, Llama with {@code attention_bias}/{@code mlp_bias} stores more, plain Llama none.
 */
record Linear(WeightMatrix weight, float[] bias) {

    /** Loads {@code name.weight} with shape [out, in] and {@code name.bias} [out] when present. */
    static Linear load(Weights weights, String name, int out, int in) {
        WeightMatrix w = weights.get(name + ".weight").expectShape(out, in).matrix();
        String biasName = name + ".bias";
        float[] b = weights.has(biasName) ? weights.get(biasName).expectShape(out).toFloats() : null;
        return new Linear(w, b);
    }

    int outFeatures() {
        return weight.rows();
    }

    boolean hasBias() {
        return bias != null;
    }

    /** y [t, out] = x [t, in] · Wᵀ (+ b on every row). */
    void apply(Kernels k, float[] x, int t, float[] y) {
        k.matmul(weight, x, t, y);
        if (bias != null) {
            int out = weight.rows();
            for (int i = 0; i < t; i++) {
                k.add(bias, 0, y, i * out, out);
            }
        }
    }
}
