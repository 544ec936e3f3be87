package dev.recall.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Wkv6Test {

    private static final int HEADS = 3;
    private static final int TOKENS = 5;

    private static WkvInputs random(int size, long seed) {
        return WkvInputs.random(size, HEADS, TOKENS, seed, WkvInputs.modelDecays(seed + 1));
    }

    /** The defining equations in double precision, output read before the state update. */
    private static float[] reference(WkvInputs in, double[] state) {
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
        WkvInputs in = random(size, 1000 + size);
        float[] state = in.state().clone();
        double[] refState = new double[state.length];
        for (int i = 0; i < state.length; i++) {
            refState[i] = state[i];
        }
        float[] y = in.run(new Wkv6Scalar(), state);
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
        WkvInputs in = random(size, 2000 + size);
        float[] scalarState = in.state().clone();
        float[] vectorState = in.state().clone();
        float[] ys = in.run(new Wkv6Scalar(), scalarState);
        float[] yv = in.run(new Wkv6Vector(), vectorState);
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
        WkvInputs in = random(size, 3000 + size);
        Wkv6 wkv = new VectorKernels().wkv6();
        float[] seqState = in.state().clone();
        float[] ySeq = in.run(wkv, seqState);
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
