package dev.recall.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's block-quantized weight types, each with ggml's exact block layout
 * ({@code ggml/src/ggml-common.h}) and a scalar decoding bit-identical to ggml's
 * {@code dequantize_row_*} ({@code ggml/src/ggml-quants.c}): the same float operations in the same
 * order, so every weight decodes to the same fp32 value llama.cpp and gguf-py's NumPy decoders give.
 * A decoded weight is {@code d·q} (Q4_0, Q5_0, Q8_0), {@code d·q + m} (Q4_1, Q5_1), {@code (d·sc)·q −
 * dmin·m} with 6-bit sub-block scales and mins (Q4_K, Q5_K), or {@code (d·sc)·q} with 8-bit sub-block
 * scales (Q6_K); d, m and dmin are IEEE halves.
 *
 * <p>The constants are the rows of the table; {@link #decodeBlock} is each type's reference.
 */
public enum QuantizedType implements WeightType {

    /** 32 weights: half d, 16 bytes of 4-bit quants (low nibbles first), q − 8. */
    Q4_0(32, 18) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            for (int j = 0; j < 16; j++) {
                int q = byteAt(s, b + 2 + j);
                out[off + j] = ((q & 0x0F) - 8) * d;
                out[off + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    },
    /** 32 weights: half d, half m, 16 bytes of 4-bit quants, d·q + m. */
    Q4_1(32, 20) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            float m = half(s, b + 2);
            for (int j = 0; j < 16; j++) {
                int q = byteAt(s, b + 4 + j);
                out[off + j] = (q & 0x0F) * d + m;
                out[off + j + 16] = (q >>> 4) * d + m;
            }
        }
    },
    /** 32 weights: half d, 32 high bits, 16 bytes of low nibbles; q − 16. */
    Q5_0(32, 22) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            int qh = s.get(INT_LE, b + 2);
            for (int j = 0; j < 16; j++) {
                int q = byteAt(s, b + 6 + j);
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                out[off + j] = (((q & 0x0F) | h0) - 16) * d;
                out[off + j + 16] = (((q >>> 4) | h1) - 16) * d;
            }
        }
    },
    /** 32 weights: half d, half m, 32 high bits, 16 bytes of low nibbles; d·q + m. */
    Q5_1(32, 24) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            float m = half(s, b + 2);
            int qh = s.get(INT_LE, b + 4);
            for (int j = 0; j < 16; j++) {
                int q = byteAt(s, b + 8 + j);
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                out[off + j] = ((q & 0x0F) | h0) * d + m;
                out[off + j + 16] = ((q >>> 4) | h1) * d + m;
            }
        }
    },
    /** 32 weights: half d, 32 signed bytes; q·d. */
    Q8_0(32, 34) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            for (int j = 0; j < 32; j++) {
                out[off + j] = s.get(ValueLayout.JAVA_BYTE, b + 2 + j) * d;
            }
        }
    },
    /**
     * 256 weights in 8 sub-blocks of 32: half d, half dmin, 12 bytes of 6-bit scales and mins, 128
     * bytes of 4-bit quants (sub-blocks 2i and 2i + 1 share 32 bytes: low, then high nibbles).
     */
    Q4_K(256, 144) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            float dmin = half(s, b + 2);
            long scales = b + 4;
            long q = b + 16;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
                float d1 = d * kScale(s, scales, is);
                float m1 = dmin * kMin(s, scales, is);
                float d2 = d * kScale(s, scales, is + 1);
                float m2 = dmin * kMin(s, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    int v = byteAt(s, q + l);
                    out[off + j + l] = d1 * (v & 0x0F) - m1;
                    out[off + j + 32 + l] = d2 * (v >>> 4) - m2;
                }
            }
        }
    },
    /** {@link #Q4_K} plus a fifth bit per weight: 32 bytes of high bits after the scales. */
    Q5_K(256, 176) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b);
            float dmin = half(s, b + 2);
            long scales = b + 4;
            long qh = b + 16;
            long ql = b + 48;
            int u1 = 1;
            int u2 = 2;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
                float d1 = d * kScale(s, scales, is);
                float m1 = dmin * kMin(s, scales, is);
                float d2 = d * kScale(s, scales, is + 1);
                float m2 = dmin * kMin(s, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    int v = byteAt(s, ql + l);
                    int h = byteAt(s, qh + l);
                    out[off + j + l] = d1 * ((v & 0x0F) + ((h & u1) != 0 ? 16 : 0)) - m1;
                    out[off + j + 32 + l] = d2 * ((v >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
                }
            }
        }
    },
    /**
     * 256 weights in 16 sub-blocks of 16: 128 bytes of low nibbles, 64 bytes of 2-bit high parts,
     * 16 signed 8-bit scales, half d; (d·sc)·(q − 32).
     */
    Q6_K(256, 210) {
        @Override
        void decodeBlock(MemorySegment s, long b, float[] out, int off) {
            float d = half(s, b + 208);
            long ql = b;
            long qh = b + 128;
            long sc = b + 192;
            for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = byteAt(s, qh + l);
                    int a = byteAt(s, ql + l);
                    int c = byteAt(s, ql + l + 32);
                    int q1 = ((a & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((c & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    out[off + n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    out[off + n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    out[off + n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    out[off + n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }
    };

    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final int blockElements;
    private final int blockBytes;

    QuantizedType(int blockElements, int blockBytes) {
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    @Override
    public int blockElements() {
        return blockElements;
    }

    @Override
    public int blockBytes() {
        return blockBytes;
    }

    /** Decodes the block that starts at byte {@code b} of {@code s} into out[off, off + blockElements). */
    abstract void decodeBlock(MemorySegment s, long b, float[] out, int off);

    @Override
    public void toFloat(MemorySegment data, long first, float[] out, int off, int n) {
        if (first % blockElements != 0 || n % blockElements != 0) {
            throw new IllegalArgumentException(name() + " decodes whole blocks of " + blockElements
                    + " weights, not " + n + " from " + first);
        }
        long b = first / blockElements * blockBytes;
        for (int i = 0; i < n; i += blockElements, b += blockBytes) {
            decodeBlock(data, b, out, off + i);
        }
    }

    @Override
    public void fromFloat(float[] x, int xo, int n, byte[] out, int oo) {
        if (n % blockElements != 0) {
            throw new IllegalArgumentException(name() + " encodes whole blocks of " + blockElements + " weights, not " + n);
        }
        for (int i = 0; i < n; i += blockElements, oo += blockBytes) {
            switch (this) {
                case Q4_0 -> GgmlQuantizers.q4_0(x, xo + i, out, oo);
                case Q4_1 -> GgmlQuantizers.q4_1(x, xo + i, out, oo);
                case Q5_0 -> GgmlQuantizers.q5_0(x, xo + i, out, oo);
                case Q5_1 -> GgmlQuantizers.q5_1(x, xo + i, out, oo);
                case Q8_0 -> GgmlQuantizers.q8_0(x, xo + i, out, oo);
                case Q4_K -> GgmlQuantizers.q45K(x, xo + i, out, oo, false);
                case Q5_K -> GgmlQuantizers.q45K(x, xo + i, out, oo, true);
                case Q6_K -> GgmlQuantizers.q6K(x, xo + i, out, oo);
            }
        }
    }

    @Override
    public float toFloat(MemorySegment data, long index) {
        float[] block = new float[blockElements];
        decodeBlock(data, index / blockElements * blockBytes, block, 0);
        return block[(int) (index % blockElements)];
    }

    static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(ElementType.SHORT, at));
    }

    static int byteAt(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** ggml's get_scale_min_k4: the 6-bit scale of sub-block j from the 12 packed bytes at {@code q}. */
    static int kScale(MemorySegment s, long q, int j) {
        return j < 4 ? byteAt(s, q + j) & 63 : (byteAt(s, q + j + 4) & 0x0F) | ((byteAt(s, q + j - 4) >>> 6) << 4);
    }

    /** ggml's get_scale_min_k4: the 6-bit min of sub-block j. */
    static int kMin(MemorySegment s, long q, int j) {
        return j < 4 ? byteAt(s, q + j + 4) & 63 : (byteAt(s, q + j + 4) >>> 4) | ((byteAt(s, q + j) >>> 6) << 4);
    }
}
