package dev.recall.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RoPE rotate-half: vector twin equals the scalar kernel bit for bit, and both equal the math. */
class RotateHalfTest {

    @Test
    void vectorEqualsScalarBitForBitOnOddSizes() {
        Random rnd = new Random(5);
        ScalarKernels scalar = new ScalarKernels();
        VectorKernels vector = new VectorKernels();
        int[][] shapes = {{1, 2, 2}, {3, 16, 16}, {4, 16, 8}, {2, 64, 64}, {2, 64, 32}, {5, 34, 34}, {1, 130, 130}, {3, 96, 48}, {2, 7, 6}};
        for (int[] shape : shapes) {
            int heads = shape[0], headDim = shape[1], rot = shape[2];
            int off = rnd.nextInt(5);
            float[] x = new float[off + heads * headDim + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] cos = new float[rot / 2], sin = new float[rot / 2];
            for (int i = 0; i < cos.length; i++) {
                double a = rnd.nextDouble() * 40;
                cos[i] = (float) Math.cos(a);
                sin[i] = (float) Math.sin(a);
            }
            float[] a = x.clone(), b = x.clone();
            scalar.rotateHalf(a, off, heads, headDim, rot, cos, sin);
            vector.rotateHalf(b, off, heads, headDim, rot, cos, sin);
            assertArrayEquals(a, b, java.util.Arrays.toString(shape));
            // Against the definition, in double; untouched dims stay as they were.
            int half = rot / 2;
            for (int h = 0; h < heads; h++) {
                int base = off + h * headDim;
                for (int i = 0; i < half; i++) {
                    double x0 = x[base + i], x1 = x[base + i + half];
                    assertEquals(x0 * cos[i] - x1 * sin[i], a[base + i], 1e-5);
                    assertEquals(x1 * cos[i] + x0 * sin[i], a[base + i + half], 1e-5);
                }
                for (int i = rot; i < headDim; i++) {
                    assertEquals(x[base + i], a[base + i]);
                }
            }
            for (int i = 0; i < off; i++) {
                assertEquals(x[i], a[i], "before the heads, index " + i);
            }
            for (int i = off + heads * headDim; i < x.length; i++) {
                assertEquals(x[i], a[i], "after the heads, index " + i);
            }
        }
    }

    /** Adjacent pairing on a head whose halves are interleaved gives the interleaved rotate-half result, bit for bit. */
    @Test
    void adjacentPairsRotateAnInterleavedHeadLikeRotateHalf() {
        Random rnd = new Random(9);
        int heads = 3, headDim = 16, rot = 16;
        float[] x = new float[heads * headDim];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] cos = new float[rot / 2], sin = new float[rot / 2];
        for (int i = 0; i < cos.length; i++) {
            cos[i] = (float) Math.cos(i * 0.7 + 0.3);
            sin[i] = (float) Math.sin(i * 0.7 + 0.3);
        }
        float[] halves = x.clone();
        new ScalarKernels().rotateHalf(halves, 0, heads, headDim, rot, cos, sin);
        float[] interleaved = new float[x.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < headDim / 2; i++) {
                interleaved[h * headDim + 2 * i] = x[h * headDim + i];
                interleaved[h * headDim + 2 * i + 1] = x[h * headDim + i + headDim / 2];
            }
        }
        for (Kernels k : new Kernels[] {new ScalarKernels(), new VectorKernels()}) {
            float[] y = interleaved.clone();
            k.rotateAdjacent(y, 0, heads, headDim, rot, cos, sin);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < headDim / 2; i++) {
                    assertEquals(halves[h * headDim + i], y[h * headDim + 2 * i], k.name());
                    assertEquals(halves[h * headDim + i + headDim / 2], y[h * headDim + 2 * i + 1], k.name());
                }
            }
        }
    }
}
