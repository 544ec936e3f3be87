package dev.recall.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A row-major {@code [rows, cols]} matrix stored in (usually memory-mapped) little-endian memory
 * in its {@link WeightType}. Weights stay as stored; kernels decode them on the fly, so a BF16
 * model occupies half the memory and half the bandwidth of an fp32 copy.
 */
public record WeightMatrix(MemorySegment data, WeightType type, int rows, int cols) {

    public WeightMatrix {
        Objects.requireNonNull(type, "type");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] has a negative dimension");
        }
        long need = type.matrixBytes(rows, cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] of " + type.name()
                    + " needs " + need + " bytes, segment has " + data.byteSize());
        }
    }

    /**
     * An fp32 matrix holding a copy of the array (tests, weights transposed at load). The copy lives
     * off-heap like memory-mapped weights: a kernel call site that sees both heap and native
     * segments is no longer compiled to SIMD code by the JIT (measured: RWKV-6 prefill 7x slower).
     */
    public static WeightMatrix ofFloats(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("array length " + values.length + " != " + rows + "x" + cols);
        }
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, ElementType.FLOAT, 0, values.length);
        return new WeightMatrix(seg, ElementType.F32, rows, cols);
    }

    /** Element (r, c) as fp32. */
    public float get(int r, int c) {
        return getFlat((long) r * cols + c);
    }

    /** Element at flat index i as fp32. */
    public float getFlat(long i) {
        return type.toFloat(data, i);
    }

    /** Copies row r as fp32 into out[off .. off+cols). Used for embedding lookups. */
    public void row(int r, float[] out, int off) {
        type.toFloat(data, (long) r * cols, out, off, cols);
    }

    /** A view of rows [from, to) of this matrix (never beyond it, even when the memory continues). */
    public WeightMatrix rows(int from, int to) {
        Objects.checkFromToIndex(from, to, rows);
        long rowBytes = type.rowBytes(cols);
        return new WeightMatrix(data.asSlice(from * rowBytes, (to - from) * rowBytes), type, to - from, cols);
    }

    public long byteSize() {
        return type.matrixBytes(rows, cols);
    }
}
