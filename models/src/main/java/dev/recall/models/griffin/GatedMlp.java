package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.layers.Linear;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/** Griffin's channel-mixing block: down(gelu_tanh(gate(x)) ⊙ up(x)), every projection with a bias. */
record GatedMlp(Linear gate, Linear up, Linear down, Kernels kernels) {

    /** Loads {@code prefix}gate_proj, up_proj and down_proj; the MLP width comes from gate_proj's rows. */
    static GatedMlp load(Kernels kernels, Weights weights, String prefix, int hidden) {
        int width = weights.get(prefix + "gate_proj.weight").dim(0);
        return new GatedMlp(Linear.loadWithBias(kernels, weights, prefix + "gate_proj", width, hidden),
                Linear.loadWithBias(kernels, weights, prefix + "up_proj", width, hidden),
                Linear.loadWithBias(kernels, weights, prefix + "down_proj", hidden, width), kernels);
    }

    /** x is [rows, hidden], out receives [rows, hidden]. */
    void forward(float[] x, Rows rows, float[] out, Scratch scratch) {
        int t = rows.count();
        int width = gate.out();
        float[] g = scratch.floats("mlp.gate", t * width);
        float[] u = scratch.floats("mlp.up", t * width);
        gate.forward(x, rows, g);
        up.forward(x, rows, u);
        kernels.geluTanhMul(g, u, t * width);
        down.forward(g, rows, out);
    }
}
