package dev.recall.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Wkv6Test {

    private static final int HEADS = 3;
    private static final int TOKENS = 5;

    /** Random inputs for HEADS heads side by side over TOKENS tokens, and a non-zero starting state. */
    private record Inputs(int size, float[] r, float[] k, float[] v, float[] w, float[] u, float[] state) {

        static Inputs random(int size, long seed) {
            Random rnd = new Random(seed);
            int n = TOKENS * HEADS * size;
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) Math.exp(-Math.exp(rnd.nextGaussian())); // a decay in (0, 1) as the model makes it
            }
            return new Inputs(size, gaussian(rnd, n), gaussian(rnd, n), gaussian(rnd, n), w,
                    gaussian(rnd, HEADS * size), gaussian(rnd, HEADS * size * size));
        }

        private static float[] gaussian(Random rnd, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            return x;
        }
    }

    /** Runs every head through {@code sequence}; returns y, leaves the final state in {@code state}. */
    private static float[] run(Wkv6 wkv, Inputs in, float[] state) {
        int s = in.size();
        float[] y = new float[TOKENS * HEADS * s];
        for (int h = 0; h < HEADS; h++) {
            wkv.sequence(s, TOKENS, in.r(), in.k(), in.v(), in.w(), h * s, HEADS * s, in.u(), h * s, state, h * s * s, y);
        }
        return y;
    }

    /** The defining equations in double precision, output read before the state update. */
    private static float[] reference(Inputs in, double[] state) {
        int s = in.size();
        int stride = HEADS * s;
        float[] y = new float[TOKENS * stride];
        for (int t = 0; t < TOKENS; t++) {
            for (int h = 0; h < HEADS; h++) {
                int off = t * stride + h * s;
                int so = h * s * s;
                for (int j = 0; j < s; j++) {
                    double sum = 0;
                    for (int i = 0; i < s; i++) {
                        sum += in.r()[off + i] * (state[so + i * s + j] + (double) in.u()[h * s + i] * in.k()[off + i] * in.v()[off + j]);
                    }
                    y[off + j] = (float) sum;
                }
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < s; j++) {
                        state[so + i * s + j] = in.w()[off + i] * state[so + i * s + j] + (double) in.k()[off + i] * in.v()[off + j];
                    }
                }
            }
        }
        return y;
    }

    private static void assertClose(String what, float expected, float actual, float tol) {
        assertEquals(expected, actual, tol * Math.max(1f, Math.abs(expected)), what);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 16, 20, 33, 64})
    void scalarFollowsTheDefiningEquations(int size) {
        Inputs in = Inputs.random(size, 1000 + size);
        float[] state = in.state().clone();
        double[] refState = new double[state.length];
        for (int i = 0; i < state.length; i++) {
            refState[i] = state[i];
        }
        float[] y = run(new Wkv6Scalar(), in, state);
        float[] expected = reference(in, refState);
        for (int i = 0; i < y.length; i++) {
            assertClose("y[" + i + "]", expected[i], y[i], 1e-5f);
        }
        for (int i = 0; i < state.length; i++) {
            assertClose("state[" + i + "]", (float) refState[i], state[i], 1e-5f);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 16, 20, 33, 64})
    void vectorMatchesScalar(int size) {
        Inputs in = Inputs.random(size, 2000 + size);
        float[] scalarState = in.state().clone();
        float[] vectorState = in.state().clone();
        float[] ys = run(new Wkv6Scalar(), in, scalarState);
        float[] yv = run(new Wkv6Vector(), in, vectorState);
        for (int i = 0; i < ys.length; i++) {
            assertClose("y[" + i + "]", ys[i], yv[i], 1e-6f);
        }
        for (int i = 0; i < scalarState.length; i++) {
            assertClose("state[" + i + "]", scalarState[i], vectorState[i], 1e-6f);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 16})
    void sequenceEqualsSteps(int size) {
        Inputs in = Inputs.random(size, 3000 + size);
        Wkv6 wkv = Wkv6.get();
        float[] seqState = in.state().clone();
        float[] ySeq = run(wkv, in, seqState);
        float[] stepState = in.state().clone();
        float[] ySteps = new float[ySeq.length];
        for (int t = 0; t < TOKENS; t++) {
            for (int h = 0; h < HEADS; h++) {
                wkv.step(size, in.r(), in.k(), in.v(), in.w(), t * HEADS * size + h * size, in.u(), h * size,
                        stepState, h * size * size, ySteps);
            }
        }
        for (int i = 0; i < ySeq.length; i++) {
            assertEquals(ySeq[i], ySteps[i], "y[" + i + "]");
        }
        for (int i = 0; i < seqState.length; i++) {
            assertEquals(seqState[i], stepState[i], "state[" + i + "]");
        }
    }
}
