package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The recurrences' SIMD prefill gives the same bits interpreted and compiled. A lane sum through
 * {@code reduceLanes(ADD)} did not (its order differs between the Vector API's Java fallback and
 * C2's instructions), so an RWKV-6 prefill changed in the last bits once the JIT had compiled it:
 * a result that depended on warm-up and on which thread ran which chunk.
 */
class RecurrenceTierTest {

    /** Bits of the chunked WKV (several chunks, two heads), the selective scan (both its loop forms) and the RG-LRU. */
    static int[] outputs() {
        Random rnd = new Random(5);
        List<float[]> results = new ArrayList<>();

        int size = 16;
        int heads = 2;
        int tokens = 40;
        int n = tokens * heads * size;
        float[] r = TestMatrices.gaussian(rnd, n, 1);
        float[] k = TestMatrices.gaussian(rnd, n, 1);
        float[] v = TestMatrices.gaussian(rnd, n, 1);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) Math.exp(-Math.exp(rnd.nextGaussian()));
        }
        float[] u = TestMatrices.gaussian(rnd, heads * size, 1);
        float[] state = TestMatrices.gaussian(rnd, heads * size * size, 1);
        float[] y = new float[n];
        Wkv6 chunked = new Wkv6Chunked(new Wkv6Vector(), 16, 8);
        for (int h = 0; h < heads; h++) {
            chunked.sequence(size, tokens, r, k, v, w, h * size, heads * size, u, h * size, state, h * size * size, y);
        }
        results.add(y);
        results.add(state);

        int channels = 2 * VectorLanes.LANES + 3;
        int states = 16;
        float[] a = new float[channels * states];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) -Math.exp(rnd.nextGaussian());
        }
        float[] d = TestMatrices.gaussian(rnd, channels, 1);
        SelectiveScan scan = new SelectiveScanVector();
        for (int t : new int[] {2, 9}) { // below and above the switch to channel lanes
            float[] x = TestMatrices.gaussian(rnd, t * channels, 1);
            float[] dt = new float[t * channels];
            for (int i = 0; i < dt.length; i++) {
                dt[i] = (float) Math.abs(rnd.nextGaussian()) * 0.1f;
            }
            float[] ssm = TestMatrices.gaussian(rnd, channels * states, 1);
            float[] out = new float[t * channels];
            float[] b = TestMatrices.gaussian(rnd, t * states, 1);
            float[] c = TestMatrices.gaussian(rnd, t * states, 1);
            scan.scan(new SelectiveScan.Inputs(t, channels, states, x, dt, a, b, c, d), ssm, out);
            results.add(out);
            results.add(ssm);
        }

        int lruWidth = 2 * VectorLanes.LANES + 5;
        int lruTokens = 6;
        float[] softplusParam = new float[lruWidth];
        for (int i = 0; i < lruWidth; i++) {
            softplusParam[i] = (float) Math.log1p(Math.exp(rnd.nextGaussian()));
        }
        float[] lruState = TestMatrices.gaussian(rnd, lruWidth, 1);
        float[] lruOut = new float[lruTokens * lruWidth];
        int lruSize = lruTokens * lruWidth;
        RgLruVector.create().scan(TestMatrices.gaussian(rnd, lruSize, 1), TestMatrices.gaussian(rnd, lruSize, 1),
                TestMatrices.gaussian(rnd, lruSize, 1), softplusParam, lruState, lruWidth, lruTokens, false, lruOut);
        results.add(lruOut);
        results.add(lruState);

        int total = results.stream().mapToInt(f -> f.length).sum();
        int[] bits = new int[total];
        int o = 0;
        for (float[] f : results) {
            for (float x : f) {
                bits[o++] = Float.floatToIntBits(x);
            }
        }
        return bits;
    }

    @Test
    void interpretedAndCompiledRunsGiveTheSameBits() throws IOException, InterruptedException {
        int[] interpreted = InterpretedJvm.run(InterpretedRun.class);
        int[] compiled = outputs();
        for (int i = 0; i < 300; i++) { // enough calls for C2 to compile the kernels
            compiled = outputs();
        }
        assertEquals(interpreted.length, compiled.length);
        for (int i = 0; i < compiled.length; i++) {
            assertEquals(interpreted[i], compiled[i], "output " + i + ": interpreted "
                    + Float.intBitsToFloat(interpreted[i]) + ", compiled " + Float.intBitsToFloat(compiled[i]));
        }
    }

    /** The child JVM's entry point: writes {@link #outputs} to the named file. */
    static final class InterpretedRun {
        public static void main(String[] args) throws IOException {
            InterpretedJvm.write(args[0], outputs());
        }
    }
}
