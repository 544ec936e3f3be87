package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

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
        float[] r = gaussian(rnd, n);
        float[] k = gaussian(rnd, n);
        float[] v = gaussian(rnd, n);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) Math.exp(-Math.exp(rnd.nextGaussian()));
        }
        float[] u = gaussian(rnd, heads * size);
        float[] state = gaussian(rnd, heads * size * size);
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
        float[] d = gaussian(rnd, channels);
        SelectiveScan scan = new SelectiveScanVector();
        for (int t : new int[] {2, 9}) { // below and above the switch to channel lanes
            float[] x = gaussian(rnd, t * channels);
            float[] dt = new float[t * channels];
            for (int i = 0; i < dt.length; i++) {
                dt[i] = (float) Math.abs(rnd.nextGaussian()) * 0.1f;
            }
            float[] ssm = gaussian(rnd, channels * states);
            float[] out = new float[t * channels];
            scan.scan(new SelectiveScan.Inputs(t, channels, states, x, dt, a, gaussian(rnd, t * states),
                    gaussian(rnd, t * states), d), ssm, out);
            results.add(out);
            results.add(ssm);
        }

        int lruWidth = 2 * VectorLanes.LANES + 5;
        int lruTokens = 6;
        float[] softplusParam = new float[lruWidth];
        for (int i = 0; i < lruWidth; i++) {
            softplusParam[i] = (float) Math.log1p(Math.exp(rnd.nextGaussian()));
        }
        float[] lruState = gaussian(rnd, lruWidth);
        float[] lruOut = new float[lruTokens * lruWidth];
        RgLru.get().scan(gaussian(rnd, lruTokens * lruWidth), gaussian(rnd, lruTokens * lruWidth),
                gaussian(rnd, lruTokens * lruWidth), softplusParam, lruState, lruWidth, lruTokens, false, lruOut);
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

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    @Test
    void interpretedAndCompiledRunsGiveTheSameBits() throws IOException, InterruptedException {
        Path file = Files.createTempFile("recurrence-xint", ".bin");
        try {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xint",
                    "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path")));
            String vectorBits = System.getProperty("recall.vectorBits");
            if (vectorBits != null) {
                command.add("-Drecall.vectorBits=" + vectorBits);
            }
            command.add(InterpretedRun.class.getName());
            command.add(file.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] log = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "interpreted run timed out");
            assertEquals(0, p.exitValue(), "interpreted run failed: " + new String(log));
            int[] interpreted;
            try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
                interpreted = new int[in.readInt()];
                for (int i = 0; i < interpreted.length; i++) {
                    interpreted[i] = in.readInt();
                }
            }
            int[] compiled = outputs();
            for (int i = 0; i < 300; i++) { // enough calls for C2 to compile the kernels
                compiled = outputs();
            }
            assertEquals(interpreted.length, compiled.length);
            for (int i = 0; i < compiled.length; i++) {
                assertEquals(interpreted[i], compiled[i], "output " + i + ": interpreted "
                        + Float.intBitsToFloat(interpreted[i]) + ", compiled " + Float.intBitsToFloat(compiled[i]));
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The child JVM's entry point: writes {@link #outputs} to the named file. */
    static final class InterpretedRun {
        public static void main(String[] args) throws IOException {
            int[] bits = outputs();
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
                out.writeInt(bits.length);
                for (int b : bits) {
                    out.writeInt(b);
                }
            }
        }
    }
}
