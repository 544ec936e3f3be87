package dev.recall.runtime.layers;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.Rows;

/**
 * An {@code nn.Linear} layer, {@code y = W x (+ b)}, with W stored {@code [out, in]}, applied to a
 * batch of t rows. Loading checks the shapes against what the model expects, so a mismatched file
 * is refused by name instead of being read with the wrong stride.
 */
public record Linear(WeightMatrix weight, float[] bias, Kernels kernels) {

    /** Loads {@code name.weight} [out, in] and, when stored, {@code name.bias} [out]. */
    public static Linear load(Kernels kernels, Weights weights, String name, int out, int in) {
        WeightMatrix w = weights.get(name + ".weight").expectShape(out, in).matrix();
        String biasName = name + ".bias";
        float[] b = weights.has(biasName) ? weights.get(biasName).expectShape(out).toFloats() : null;
        return new Linear(w, b, kernels);
    }

    /** As {@link #load}, for a layer that always has a bias: a file without it is refused. */
    public static Linear loadWithBias(Kernels kernels, Weights weights, String name, int out, int in) {
        if (!weights.has(name + ".bias")) {
            throw new RecallException("tensor " + name + ".bias is missing");
        }
        return load(kernels, weights, name, out, in);
    }

    public int in() {
        return weight.cols();
    }

    public int out() {
        return weight.rows();
    }

    public boolean hasBias() {
        return bias != null;
    }

    /** y [t, out] = x [t, in] · Wᵀ (+ b on every row), the t rows one piece. */
    public void forward(float[] x, int t, float[] y) {
        forward(x, Rows.single(t, kernels.matmulMinRows()), y);
    }

    /** y = x · Wᵀ (+ b on every row) over the rows of a pass, each piece with its own arithmetic. */
    public void forward(float[] x, Rows rows, float[] y) {
        rows.linear(kernels, weight, x, y);
        if (bias != null) {
            int out = weight.rows();
            for (int i = 0; i < rows.count(); i++) {
                kernels.add(bias, 0, y, i * out, out);
            }
        }
    }
}
