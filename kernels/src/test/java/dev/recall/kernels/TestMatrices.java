package dev.recall.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Random activations and weight matrices of every weight dtype, stored as a checkpoint stores them. */
final class TestMatrices {

    private TestMatrices() {
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    /**
     * A rows×cols matrix of the given dtype with N(0,1) values representable in that dtype, as
     * little-endian bytes (BF16/F16 encoded by hand, the way a safetensors file holds them).
     */
    static WeightMatrix random(ElementType dtype, int rows, int cols, Random rnd) {
        float[] values = gaussian(rnd, rows * cols, 1.0);
        if (dtype == ElementType.F32) {
            return WeightMatrix.ofFloats(values, rows, cols);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            short bits = dtype == ElementType.BF16
                    ? (short) (Float.floatToRawIntBits(ElementType.roundToBf16(values[i])) >>> 16)
                    : Float.floatToFloat16(values[i]);
            seg.setAtIndex(ElementType.SHORT, i, bits);
        }
        return new WeightMatrix(seg, dtype, rows, cols);
    }
}
