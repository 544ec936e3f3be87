package dev.recall.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A row-major {@code [rows, cols]} matrix stored in (usually memory-mapped) little-endian memory.
 * Weights stay in their stored dtype; kernels widen BF16/F16 to fp32 on the fly, so a BF16 model
 * occupies half the memory and half the bandwidth of an fp32 copy.
 */
public record WeightMatrix(MemorySegment data, DType dtype, int rows, int cols) {

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix {
        long need = (long) rows * cols * dtype.bytes;
        if (dtype == DType.I32) {
            throw new IllegalArgumentException("an I32 tensor cannot be used as a weight matrix");
        }
        if (rows < 0 || cols < 0 || data.byteSize() < need) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] of " + dtype
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
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(F32, i, values[i]);
        }
        return new WeightMatrix(seg, DType.F32, rows, cols);
    }

    /** Element (r, c) widened to fp32. */
    public float get(int r, int c) {
        return getFlat((long) r * cols + c);
    }

    /** Element at flat index i widened to fp32. */
    public float getFlat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> bf16ToFloat(data.getAtIndex(I16, i));
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case I32 -> throw new IllegalStateException("I32 is not a weight type");
        };
    }

    /** Copies row r, widened to fp32, into out[off .. off+cols). Used for embedding lookups. */
    public void row(int r, float[] out, int off) {
        long base = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            out[off + c] = getFlat(base + c);
        }
    }

    /** A view of rows [from, to) of this matrix (never beyond it, even when the memory continues). */
    public WeightMatrix rows(int from, int to) {
        Objects.checkFromToIndex(from, to, rows);
        long rowBytes = (long) cols * dtype.bytes;
        return new WeightMatrix(data.asSlice(from * rowBytes, (to - from) * rowBytes), dtype, to - from, cols);
    }

    public long byteSize() {
        return (long) rows * cols * dtype.bytes;
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round-to-nearest-even fp32 to bf16, as torch does. */
    public static float roundToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return x;
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(((bits + rounding) >>> 16) << 16);
    }
}
