package dev.recall.runtime.layers;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.Scratch;

/**
 * Depthwise causal convolution over time, as Mamba's {@code conv1d} and Griffin's
 * {@code conv_1d} apply it (no activation here):
 * {@code y[t, c] = b[c] + Σ_k w[c, k] · x[t − (K−1) + k, c]}, tap K−1 on the current token.
 * The K−1 inputs before a batch come from a carried history (zeros at the start of a sequence),
 * so a batch split in pieces gives the same result as one batch.
 */
public final class CausalConv1d {

    /** taps[k · width + c] = w[c, 0, k]: one row per tap so a token's update walks memory in order. */
    private final float[] taps;
    /** Null when the checkpoint has no conv bias. */
    private final float[] bias;
    private final int width;
    private final int kernelSize;
    private final Kernels kernels;

    private CausalConv1d(float[] taps, float[] bias, int width, int kernelSize, Kernels kernels) {
        this.kernels = kernels;
        this.taps = taps;
        this.bias = bias;
        this.width = width;
        this.kernelSize = kernelSize;
    }

    /** weight {@code [C, 1, K]}, bias {@code [C]} or null for none. */
    public static CausalConv1d load(Tensor weight, Tensor bias, Kernels kernels) {
        if (weight.rank() != 3 || weight.dim(1) != 1 || weight.dim(2) < 1) {
            throw new RecallException("tensor " + weight.name() + " has shape " + weight.shapeString()
                    + ", expected [channels, 1, kernel size]");
        }
        int width = weight.dim(0);
        int kernelSize = weight.dim(2);
        if (bias != null) {
            bias.expectShape(width);
        }
        float[] w = weight.toFloats();
        float[] taps = new float[kernelSize * width];
        for (int c = 0; c < width; c++) {
            for (int k = 0; k < kernelSize; k++) {
                taps[k * width + c] = w[c * kernelSize + k];
            }
        }
        return new CausalConv1d(taps, bias == null ? null : bias.toFloats(), width, kernelSize, kernels);
    }

    /** Number of channels. */
    public int width() {
        return width;
    }

    /** Length of the carried history: the last K−1 inputs, [K−1, width] oldest first. */
    public int historyLength() {
        return (kernelSize - 1) * width;
    }

    /** x is [t, width], y receives [t, width]; history is read, then replaced by the last K−1 inputs. */
    public void forward(float[] x, int t, float[] history, float[] y, Scratch scratch) {
        forward(x, 0, t, history, y, scratch);
    }

    /** {@link #forward(float[], int, float[], float[], Scratch)} for rows [r0, r0 + t) of x and y (one piece of a batch). */
    public void forward(float[] x, int r0, int t, float[] history, float[] y, Scratch scratch) {
        int past = kernelSize - 1;
        // The inputs seen by this piece: history rows, then the piece's rows.
        float[] inputs = scratch.floats("conv.inputs", (past + t) * width);
        System.arraycopy(history, 0, inputs, 0, past * width);
        System.arraycopy(x, r0 * width, inputs, past * width, t * width);
        float[] out = r0 == 0 ? y : scratch.floats("conv.out", t * width);
        kernels.causalConv(inputs, t, width, taps, kernelSize, bias, out);
        if (out != y) {
            System.arraycopy(out, 0, y, r0 * width, t * width);
        }
        System.arraycopy(inputs, t * width, history, 0, past * width);
    }
}
