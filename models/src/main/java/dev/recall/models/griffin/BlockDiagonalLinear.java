package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * The RG-LRU gate projection: a block-diagonal linear map, one dense block per head,
 * {@code g[h, j] = Σ_i x[h, i] · W[h, i, j] + b[h, j]}.
 *
 * <p>Unlike {@code nn.Linear} the checkpoint stores each block {@code [in, out]}; the blocks are
 * transposed once at load time into fp32 {@code [out, in]} matrices so the batched
 * {@link Kernels#matmul} applies to them like to every other projection.
 */
final class BlockDiagonalLinear {

    private final WeightMatrix[] blocks;
    private final float[] bias;
    private final int blockWidth;

    private final Kernels kernels;

    private BlockDiagonalLinear(WeightMatrix[] blocks, float[] bias, int blockWidth, Kernels kernels) {
        this.kernels = kernels;
        this.blocks = blocks;
        this.bias = bias;
        this.blockWidth = blockWidth;
    }

    /** weight {@code [H, W/H, W/H]} stored [in, out] per block, bias {@code [H, W/H]}. */
    static BlockDiagonalLinear load(Tensor weight, Tensor bias, int width, Kernels kernels) {
        int heads = weight.dim(0);
        int blockWidth = width / heads;
        weight.expectShape(heads, blockWidth, blockWidth);
        bias.expectShape(heads, blockWidth);
        WeightMatrix stored = weight.matrix();
        WeightMatrix[] blocks = new WeightMatrix[heads];
        for (int h = 0; h < heads; h++) {
            float[] transposed = new float[blockWidth * blockWidth];
            for (int i = 0; i < blockWidth; i++) {
                for (int j = 0; j < blockWidth; j++) {
                    transposed[j * blockWidth + i] = stored.get(h, i * blockWidth + j);
                }
            }
            blocks[h] = WeightMatrix.ofFloats(transposed, blockWidth, blockWidth);
        }
        return new BlockDiagonalLinear(blocks, bias.toFloats(), blockWidth, kernels);
    }

    int width() {
        return blocks.length * blockWidth;
    }

    /** x is [rows, width], y receives [rows, width]. */
    void forward(float[] x, Rows rows, float[] y, Scratch scratch) {
        int t = rows.count();
        int width = width();
        // Both are overwritten for every head before being read, so stale contents do no harm.
        float[] blockIn = scratch.floats("blockDiagonal.in", t * blockWidth);
        float[] blockOut = scratch.floats("blockDiagonal.out", t * blockWidth);
        for (int h = 0; h < blocks.length; h++) {
            int col = h * blockWidth;
            for (int i = 0; i < t; i++) {
                System.arraycopy(x, i * width + col, blockIn, i * blockWidth, blockWidth);
            }
            rows.linear(kernels, blocks[h], blockIn, blockOut);
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < blockWidth; j++) {
                    y[i * width + col + j] = blockOut[i * blockWidth + j] + bias[col + j];
                }
            }
        }
    }
}
