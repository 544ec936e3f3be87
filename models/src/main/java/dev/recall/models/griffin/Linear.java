package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Weights;

/** An {@code nn.Linear} layer: weight stored {@code [out, in]}, optional bias; y = W x (+ b) for a batch. */
record Linear(WeightMatrix weight, float[] bias) {

    /** Loads {@code name.weight} and, when {@code withBias}, {@code name.bias}. */
    static Linear load(Weights weights, String name, boolean withBias) {
        WeightMatrix w = weights.get(name + ".weight").matrix();
        float[] b = null;
        if (withBias) {
            b = weights.get(name + ".bias").toFloats();
            if (b.length != w.rows()) {
                throw new RecallException("tensor " + name + ".bias has " + b.length + " values, expected " + w.rows());
            }
        }
        return new Linear(w, b);
    }

    int in() {
        return weight.cols();
    }

    int out() {
        return weight.rows();
    }

    /** x is [t, in], y receives [t, out]. */
    void forward(float[] x, int t, float[] y) {
        Kernels k = Kernels.get();
        k.matmul(weight, x, t, y);
        if (bias != null) {
            for (int i = 0; i < t; i++) {
                k.add(bias, 0, y, i * bias.length, bias.length);
            }
        }
    }
}
