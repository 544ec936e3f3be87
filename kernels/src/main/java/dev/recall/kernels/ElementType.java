package dev.recall.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Weights stored one float at a time, little-endian: fp32, bfloat16 (the top half of an fp32) and
 * IEEE half. Blocks of one element: any row length, any row range.
 */
public enum ElementType implements WeightType {
    F32(4), BF16(2), F16(2);

    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    @Override
    public int blockElements() {
        return 1;
    }

    @Override
    public int blockBytes() {
        return bytes;
    }

    @Override
    public float toFloat(MemorySegment data, long index) {
        return switch (this) {
            case F32 -> data.getAtIndex(FLOAT, index);
            case BF16 -> bf16ToFloat(data.getAtIndex(SHORT, index));
            case F16 -> Float.float16ToFloat(data.getAtIndex(SHORT, index));
        };
    }

    @Override
    public void toFloat(MemorySegment data, long first, float[] out, int off, int n) {
        switch (this) {
            case F32 -> MemorySegment.copy(data, FLOAT, first * 4, out, off, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[off + i] = bf16ToFloat(data.getAtIndex(SHORT, first + i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[off + i] = Float.float16ToFloat(data.getAtIndex(SHORT, first + i));
                }
            }
        }
    }

    @Override
    public void fromFloat(float[] x, int xo, int n, byte[] out, int oo) {
        for (int i = 0; i < n; i++) {
            int bits = switch (this) {
                case F32 -> Float.floatToRawIntBits(x[xo + i]);
                case BF16 -> bf16Bits(x[xo + i]);
                case F16 -> GgmlQuantizers.fp16(x[xo + i]);
            };
            out[oo++] = (byte) bits;
            out[oo++] = (byte) (bits >> 8);
            if (this == F32) {
                out[oo++] = (byte) (bits >> 16);
                out[oo++] = (byte) (bits >> 24);
            }
        }
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even; a NaN stays a (quiet) NaN. */
    static int bf16Bits(float x) {
        int u = Float.floatToRawIntBits(x);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (u >>> 16) | 64;
        }
        return (u + (0x7fff + ((u >>> 16) & 1))) >>> 16;
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
