package dev.recall.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RgLruTest {

    private static final RgLru SCALAR = new RgLru();
    private static final RgLru VECTOR = RgLruVector.create();

    /** Random inputs of one scan: x, both gate pre-activations, softplus(Λ) and a carried state. */
    private record Inputs(float[] x, float[] inputGate, float[] recurrenceGate, float[] softplusParam, float[] h,
                          int width, int t) {

        static Inputs random(Random rnd, int width, int t) {
            return new Inputs(uniform(rnd, t * width, 2f), uniform(rnd, t * width, 4f), uniform(rnd, t * width, 4f),
                    softplus(uniform(rnd, width, 3f)), uniform(rnd, width, 1f), width, t);
        }

        /** Tokens [from, to) of the same inputs. */
        Inputs slice(int from, int to) {
            int a = from * width, b = to * width;
            return new Inputs(Arrays.copyOfRange(x, a, b), Arrays.copyOfRange(inputGate, a, b),
                    Arrays.copyOfRange(recurrenceGate, a, b), softplusParam, h, width, to - from);
        }

        float[] run(RgLru kernel, float[] state, boolean resetAtFirst) {
            float[] out = new float[t * width];
            kernel.scan(x, inputGate, recurrenceGate, softplusParam, state, width, t, resetAtFirst, out);
            return out;
        }
    }

    @Test
    void vectorMatchesScalarOnOddSizes() {
        Random rnd = new Random(7);
        int[][] sizes = {{1, 1}, {3, 5}, {7, 1}, {17, 9}, {31, 2}, {33, 13}, {64, 4}, {97, 11}, {257, 3}, {1031, 40}};
        for (int[] size : sizes) {
            for (boolean reset : new boolean[]{false, true}) {
                Inputs in = Inputs.random(rnd, size[0], size[1]);
                float[] hScalar = in.h.clone();
                float[] hVector = in.h.clone();
                float[] outScalar = in.run(SCALAR, hScalar, reset);
                float[] outVector = in.run(VECTOR, hVector, reset);
                String what = "width " + size[0] + ", t " + size[1] + ", reset " + reset;
                assertClose(outScalar, outVector, 1e-5f, what + ": outputs");
                assertClose(hScalar, hVector, 1e-5f, what + ": final state");
                assertEquals(Arrays.toString(Arrays.copyOfRange(outScalar, (size[1] - 1) * size[0], size[1] * size[0])),
                        Arrays.toString(hScalar), what + ": state equals the last output row");
            }
        }
    }

    @Test
    void scalarFollowsTheDefiningEquations() {
        Random rnd = new Random(11);
        Inputs in = Inputs.random(rnd, 5, 4);
        float[] h = in.h.clone();
        float[] out = in.run(SCALAR, h, true);
        double[] expected = new double[in.width];
        for (int i = 0; i < in.t; i++) {
            for (int c = 0; c < in.width; c++) {
                int o = i * in.width + c;
                double gx = 1 / (1 + Math.exp(-in.inputGate[o]));
                double r = 1 / (1 + Math.exp(-in.recurrenceGate[o]));
                double a = Math.exp(-8 * r * in.softplusParam[c]);
                double input = in.x[o] * gx;
                expected[c] = i == 0 ? input : a * expected[c] + input * Math.sqrt(1 - a * a);
                assertEquals(expected[c], out[o], 1e-5, "token " + i + " channel " + c);
            }
        }
    }

    @Test
    void scanInTwoPiecesEqualsOnePiece() {
        Random rnd = new Random(13);
        int width = 37, t = 10, cut = 4;
        Inputs in = Inputs.random(rnd, width, t);
        for (RgLru kernel : new RgLru[]{SCALAR, VECTOR}) {
            float[] whole = in.run(kernel, in.h.clone(), true);
            float[] h = in.h.clone();
            Inputs head = in.slice(0, cut);
            Inputs tail = in.slice(cut, t);
            float[] first = head.run(kernel, h, true);
            float[] second = tail.run(kernel, h, false);
            assertClose(Arrays.copyOfRange(whole, 0, cut * width), first, 0f, "first piece");
            assertClose(Arrays.copyOfRange(whole, cut * width, t * width), second, 0f, "second piece");
        }
    }

    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float scale = Math.max(1f, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol * scale, what + " at " + i);
        }
    }

    private static float[] uniform(Random rnd, int n, float range) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rnd.nextFloat() * 2 - 1) * range;
        }
        return v;
    }

    private static float[] softplus(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = ScalarKernels.softplus(v[i]);
        }
        return out;
    }
}
