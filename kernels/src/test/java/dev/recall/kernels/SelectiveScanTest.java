package dev.recall.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectiveScanTest {

    /** A random scan problem shaped like a Mamba layer's: negative A, small positive steps. */
    private static SelectiveScan.Inputs randomInputs(Random rnd, int t, int e, int n) {
        float[] a = new float[e * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) -Math.exp(rnd.nextGaussian());
        }
        float[] dt = new float[t * e];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = ScalarKernels.softplus((float) rnd.nextGaussian() - 2f);
        }
        return new SelectiveScan.Inputs(t, e, n, gaussian(rnd, t * e), dt, a, gaussian(rnd, t * n),
                gaussian(rnd, t * n), gaussian(rnd, e));
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private record Result(float[] y, float[] state) {
    }

    private static Result run(SelectiveScan scan, SelectiveScan.Inputs in, float[] initialState) {
        float[] state = initialState.clone();
        float[] y = new float[in.tokens() * in.channels()];
        scan.scan(in, state, y);
        return new Result(y, state);
    }

    private static void assertClose(String what, float[] expected, float[] actual, float relTol) {
        assertTrue(expected.length == actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float tol = relTol * (1f + Math.abs(expected[i]));
            float diff = Math.abs(expected[i] - actual[i]);
            final int at = i;
            assertTrue(diff <= tol, () -> what + " differs at " + at + ": expected " + expected[at] + ", got " + actual[at]);
        }
    }

    /** The recurrence written independently, token-major and in double precision. */
    private static Result naiveDouble(SelectiveScan.Inputs in, float[] initialState) {
        int t = in.tokens();
        int e = in.channels();
        int n = in.states();
        double[] s = new double[e * n];
        for (int i = 0; i < s.length; i++) {
            s[i] = initialState[i];
        }
        float[] y = new float[t * e];
        for (int i = 0; i < t; i++) {
            for (int ch = 0; ch < e; ch++) {
                double dt = in.dt()[i * e + ch];
                double x = in.x()[i * e + ch];
                double out = in.d()[ch] * x;
                for (int k = 0; k < n; k++) {
                    s[ch * n + k] = Math.exp(dt * in.a()[ch * n + k]) * s[ch * n + k] + dt * x * in.b()[i * n + k];
                    out += s[ch * n + k] * in.c()[i * n + k];
                }
                y[i * e + ch] = (float) out;
            }
        }
        float[] state = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            state[i] = (float) s[i];
        }
        return new Result(y, state);
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,17,16", "7,3,5", "37,45,7", "53,19,16", "129,33,5", "64,128,16", "11,200,8"})
    void scalarMatchesTheRecurrenceInDoublePrecision(int t, int e, int n) {
        Random rnd = new Random(t * 1000L + e * 10L + n);
        var in = randomInputs(rnd, t, e, n);
        float[] initial = gaussian(rnd, e * n);
        Result ref = naiveDouble(in, initial);
        Result got = run(new SelectiveScanScalar(), in, initial);
        assertClose("y", ref.y(), got.y(), 1e-4f);
        assertClose("state", ref.state(), got.state(), 1e-4f);
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,17,16", "2,45,7", "3,33,37", "1,64,16", "7,3,5", "37,45,7", "53,19,16", "129,33,5",
            "64,128,16", "11,200,8"})
    void vectorMatchesScalar(int t, int e, int n) {
        Random rnd = new Random(31L * t + 7L * e + n);
        var in = randomInputs(rnd, t, e, n);
        float[] initial = gaussian(rnd, e * n);
        Result ref = run(new SelectiveScanScalar(), in, initial);
        Result got = run(new SelectiveScanVector(), in, initial);
        assertClose("y", ref.y(), got.y(), 1e-5f);
        assertClose("state", ref.state(), got.state(), 1e-5f);
    }

    @ParameterizedTest
    @CsvSource({"1,37,45,7", "4,37,45,7", "7,53,19,16", "16,129,33,5", "64,129,33,5", "200,129,33,5", "5,64,128,16", "3,11,200,8"})
    void chunkedMatchesSequential(int chunk, int t, int e, int n) {
        Random rnd = new Random(17L * chunk + 31L * t + 7L * e + n);
        var in = randomInputs(rnd, t, e, n);
        float[] initial = gaussian(rnd, e * n);
        Result ref = run(new SelectiveScanScalar(), in, initial);
        for (SelectiveScanSequential inner : new SelectiveScanSequential[]{new SelectiveScanScalar(), new SelectiveScanVector()}) {
            Result got = run(new SelectiveScanChunked(chunk, inner), in, initial);
            assertClose("y (chunk " + chunk + ")", ref.y(), got.y(), 1e-4f);
            assertClose("state (chunk " + chunk + ")", ref.state(), got.state(), 1e-4f);
        }
    }

    @ParameterizedTest
    @CsvSource({"16,300,17,16", "32,100,45,7", "8,64,3,5"})
    void chunkedMatchesSequentialWhenCarriedDecaysUnderflow(int chunk, int t, int e, int n) {
        // Large steps: within a chunk, A·Σdt falls far below −80, where the carried decay is zero.
        Random rnd = new Random(41L * chunk + t);
        var small = randomInputs(rnd, t, e, n);
        float[] dt = small.dt().clone();
        for (int i = 0; i < dt.length; i++) {
            dt[i] = 3f * dt[i] + 0.5f;
        }
        var in = new SelectiveScan.Inputs(t, e, n, small.x(), dt, small.a(), small.b(), small.c(), small.d());
        float[] initial = gaussian(rnd, e * n);
        Result ref = run(new SelectiveScanScalar(), in, initial);
        for (SelectiveScanSequential inner : new SelectiveScanSequential[]{new SelectiveScanScalar(), new SelectiveScanVector()}) {
            Result got = run(new SelectiveScanChunked(chunk, inner), in, initial);
            assertClose("y", ref.y(), got.y(), 1e-4f);
            assertClose("state", ref.state(), got.state(), 1e-4f);
        }
    }

    @Test
    void vectorBlockOperationsMatchTheirScalarTwins() {
        for (int[] shape : new int[][]{{37, 45, 7}, {20, 16, 16}, {9, 200, 8}, {5, 3, 33}}) {
            int t = shape[0];
            int e = shape[1];
            int n = shape[2];
            Random rnd = new Random(t * 7L + e + n);
            var in = randomInputs(rnd, t, e, n);
            float[] start = gaussian(rnd, e * n);
            float[] zeroStart = gaussian(rnd, e * n);
            float[] want = start.clone();
            float[] got = start.clone();
            new SelectiveScanScalar().carryState(in, 2, t, 1, e, want, zeroStart);
            new SelectiveScanVector().carryState(in, 2, t, 1, e, got, zeroStart);
            assertClose("carried state", want, got, 1e-5f);
            float[] yWant = gaussian(rnd, t * e);
            float[] yGot = yWant.clone();
            new SelectiveScanScalar().addCarriedOutput(in, 1, t, 0, e - 1, start, yWant);
            new SelectiveScanVector().addCarriedOutput(in, 1, t, 0, e - 1, start, yGot);
            assertClose("carried output", yWant, yGot, 1e-5f);
        }
    }

    @Test
    void runtimeChoosesTheChunkedScanOnlyWhenChannelGroupsCannotFillTheThreads() {
        assertTrue(SelectiveScanChunked.pays(4096, 16, 16));
        assertTrue(SelectiveScanChunked.pays(4096, 48, 8));
        assertFalse(SelectiveScanChunked.pays(4096, 512, 16), "32 channel groups keep 16 threads busy");
        assertFalse(SelectiveScanChunked.pays(1, 16, 16), "decode");
        assertFalse(SelectiveScanChunked.pays(4096, 16, 2), "two threads");
        assertFalse(SelectiveScanChunked.pays(4096, 16, 1), "one thread");
        assertInstanceOf(SelectiveScanVector.class, new VectorKernels().selectiveScan(1, 16), "decode uses the sequential scan");
    }

    @Test
    void scanningInTwoPiecesEqualsOnePiece() {
        Random rnd = new Random(5);
        int t = 41;
        int e = 37;
        int n = 9;
        var in = randomInputs(rnd, t, e, n);
        float[] initial = gaussian(rnd, e * n);
        int cut = 13;
        for (SelectiveScan scan : new SelectiveScan[]{new SelectiveScanScalar(), new SelectiveScanVector()}) {
            Result whole = run(scan, in, initial);
            float[] state = initial.clone();
            float[] y1 = new float[cut * e];
            scan.scan(slice(in, 0, cut), state, y1);
            float[] y2 = new float[(t - cut) * e];
            scan.scan(slice(in, cut, t), state, y2);
            float[] joined = new float[t * e];
            System.arraycopy(y1, 0, joined, 0, y1.length);
            System.arraycopy(y2, 0, joined, y1.length, y2.length);
            // The same operations in the same order: bit-identical.
            assertArrayEquals(whole.y(), joined);
            assertArrayEquals(whole.state(), state);
        }
    }

    private static SelectiveScan.Inputs slice(SelectiveScan.Inputs in, int from, int to) {
        int e = in.channels();
        int n = in.states();
        return new SelectiveScan.Inputs(to - from, e, n,
                java.util.Arrays.copyOfRange(in.x(), from * e, to * e),
                java.util.Arrays.copyOfRange(in.dt(), from * e, to * e), in.a(),
                java.util.Arrays.copyOfRange(in.b(), from * n, to * n),
                java.util.Arrays.copyOfRange(in.c(), from * n, to * n), in.d());
    }

    @ParameterizedTest
    @CsvSource({"1,1", "3,17", "5,64", "7,45", "2,200"})
    void vectorSoftplusStepsMatchScalar(int t, int e) {
        Random rnd = new Random(t * 100L + e);
        float[] raw = gaussian(rnd, t * e);
        for (int i = 0; i < raw.length; i += 5) {
            raw[i] *= 15; // both sides of the linear region above 20, and deep negatives
        }
        float[] bias = gaussian(rnd, e);
        for (float[] b : new float[][]{bias, null}) {
            float[] want = raw.clone();
            float[] got = raw.clone();
            new SelectiveScanScalar().softplusSteps(want, b, t, e);
            new SelectiveScanVector().softplusSteps(got, b, t, e);
            assertClose("softplus", want, got, 1e-6f);
            for (int i = 0; i < want.length; i++) {
                assertTrue(got[i] >= 0f, "softplus is never negative");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new SelectiveScanVector().softplusSteps(raw, bias, t + 1, e));
    }

    @Test
    void oneStepByHand() {
        // E = 1, N = 2: s = exp(dt·A) ⊙ s + dt·x·B; y = s·C + D·x.
        var in = new SelectiveScan.Inputs(1, 1, 2, new float[]{2f}, new float[]{0.5f}, new float[]{-1f, -2f},
                new float[]{1f, 3f}, new float[]{4f, 5f}, new float[]{0.25f});
        float[] state = {1f, -1f};
        float[] y = new float[1];
        new SelectiveScanVector().scan(in, state, y);
        float s0 = (float) Math.exp(-0.5) + 1f;
        float s1 = -(float) Math.exp(-1.0) + 3f;
        assertArrayEquals(new float[]{s0, s1}, state, 1e-6f);
        assertArrayEquals(new float[]{4f * s0 + 5f * s1 + 0.5f}, y, 1e-5f);
    }

    @Test
    void rejectsArraysThatAreTooShort() {
        assertThrows(IllegalArgumentException.class, () -> new SelectiveScan.Inputs(2, 3, 4, new float[5],
                new float[6], new float[12], new float[8], new float[8], new float[3]));
        var in = randomInputs(new Random(1), 2, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> new SelectiveScanScalar().scan(in, new float[11], new float[6]));
    }
}
