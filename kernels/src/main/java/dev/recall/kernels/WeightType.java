package dev.recall.kernels;

import java.lang.foreign.MemorySegment;

/**
 * How a weight matrix is stored: one row of ggml's type-traits table. A type knows its block
 * geometry (a run of {@link #blockElements()} weights stored in {@link #blockBytes()} bytes; 1 and
 * the element size for plain floats, 32 weights in 34 bytes for a block-quantized type such as
 * Q8_0) and how to turn stored weights into fp32, in plain scalar code that is the reference for
 * every kernel. The compute side lives with the kernels, as ggml keeps its CPU traits apart from
 * its type traits: {@link ScalarKernels} computes with {@link #toFloat} for every type, the vector
 * kernels keep their own table ({@code VectorWeightKernels}), and {@link Kernels#supports} says
 * which types a set of kernels can multiply, so a model whose tensor has no kernel is refused when
 * it loads instead of being computed wrongly.
 *
 * <p>Adding a type is one implementation of this interface (plus its vector kernel and tests).
 */
public sealed interface WeightType permits ElementType, QuantizedType {

    /** The name files and users know the type by: "F32", "BF16", "Q8_0". */
    String name();

    /** Weights per block: a row is stored as a whole number of blocks. */
    int blockElements();

    /** Bytes per block. */
    int blockBytes();

    /**
     * Bytes of a row of {@code cols} weights; a row that is not a whole number of blocks cannot be
     * stored in this type.
     */
    default long rowBytes(long cols) {
        if (cols < 0 || cols % blockElements() != 0) {
            throw new IllegalArgumentException("a row of " + cols + " weights is not a whole number of " + name()
                    + " blocks of " + blockElements());
        }
        return cols / blockElements() * blockBytes();
    }

    /** Bytes of a {@code [rows, cols]} matrix. */
    default long matrixBytes(long rows, long cols) {
        if (rows < 0) {
            throw new IllegalArgumentException("negative row count " + rows);
        }
        return Math.multiplyExact(rows, rowBytes(cols));
    }

    /**
     * The reference decoding: out[off + i] = weight (first + i) of {@code data} as fp32, for i in
     * [0, n). {@code first} counts weights from the start of {@code data}; for a block type it and
     * n are whole blocks.
     */
    void toFloat(MemorySegment data, long first, float[] out, int off, int n);

    /** Weight {@code index} of {@code data} as fp32 (one element of {@link #toFloat}). */
    float toFloat(MemorySegment data, long index);

    /**
     * The reference encoding, the inverse of {@link #toFloat}: weights x[xo, xo + n) (whole
     * blocks) stored into out from oo, as ggml stores them (its {@code quantize_row_*_ref} for
     * block types, round-to-nearest-even for halves), so the bytes equal llama.cpp's.
     */
    void fromFloat(float[] x, int xo, int n, byte[] out, int oo);
}
