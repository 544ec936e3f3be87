package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * Every SIMD kernel against its scalar twin on random data, at lengths below, at and around
 * multiples of the vector width, so both the vector body and the scalar tail are exercised.
 */
class VectorKernelsTest {

    private static final int[] SIZES = {1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 257, 1000};
    /** fp32 results that differ only by summation order agree to about this, relative to 1 + |ref|. */
    private static final double TOL = 1e-4;

    private final ScalarKernels scalar = new ScalarKernels();
    private final VectorKernels vector = new VectorKernels();

    @Test
    void usesPreferredOrRequestedShape() {
        String bits = System.getProperty("recall.vectorBits");
        int expected = bits == null ? jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() : Integer.parseInt(bits) / 32;
        assertEquals(expected, VectorLanes.LANES, VectorKernels.shape());
    }

    @Test
    void memoryReadProbeSumsWhatTheScalarLoopSums() {
        // Small integers: every partial sum is exact, so any order gives the same total.
        Random rnd = new Random(21);
        for (int blocks : new int[] {1, 2, 5}) {
            int n = blocks * 64;
            MemorySegment seg = MemorySegment.ofArray(new byte[n * 4]);
            for (int i = 0; i < n; i++) {
                seg.setAtIndex(ElementType.FLOAT, i, rnd.nextInt(201) - 100);
            }
            long to = n * 4L;
            assertEquals(scalar.sumFloats(seg, 0, to), vector.sumFloats(seg, 0, to), blocks + " blocks");
            assertEquals(scalar.sumFloats(seg, 256, to), vector.sumFloats(seg, 256, to), blocks + " blocks from 256");
        }
    }

    @Test
    void bf16WideningIsExactForEveryBitPattern() {
        checkEveryHalfPattern(ElementType.BF16, ElementType::bf16ToFloat);
    }

    @Test
    void f16WideningIsExactForEveryBitPattern() {
        checkEveryHalfPattern(ElementType.F16, Float::float16ToFloat);
    }

    private interface HalfToFloat {
        float widen(short bits);
    }

    private static void checkEveryHalfPattern(ElementType dtype, HalfToFloat reference) {
        MemorySegment seg = MemorySegment.ofArray(new short[1 << 16]);
        for (int i = 0; i < 1 << 16; i++) {
            seg.setAtIndex(ElementType.SHORT, i, (short) i);
        }
        float[] lanes = new float[VectorLanes.LANES];
        for (int i = 0; i < 1 << 16; i += VectorLanes.LANES) {
            VectorLanes.weights(seg, dtype, i).intoArray(lanes, 0);
            for (int k = 0; k < lanes.length; k++) {
                float want = reference.widen((short) (i + k));
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(lanes[k])) {
                    fail(dtype + " bits 0x" + Integer.toHexString(i + k) + ": expected " + want + " got " + lanes[k]);
                }
            }
        }
    }

    @Test
    void dotMatchesScalar() {
        Random rnd = new Random(1);
        for (int n : SIZES) {
            float[] a = TestMatrices.gaussian(rnd, n + 3, 1);
            float[] b = TestMatrices.gaussian(rnd, n + 5, 1);
            assertClose(scalar.dot(a, 3, b, 5, n), vector.dot(a, 3, b, 5, n), "dot n=" + n);
        }
    }

    @Test
    void matvecMatchesScalarForEveryDtype() {
        Random rnd = new Random(2);
        int[] rowCounts = {1, 3, 4, 5, 17, 33};
        for (ElementType dtype : new ElementType[] {ElementType.F32, ElementType.BF16, ElementType.F16}) {
            for (int rows : rowCounts) {
                for (int cols : SIZES) {
                    WeightMatrix w = TestMatrices.random(dtype, rows, cols, rnd);
                    float[] x = TestMatrices.gaussian(rnd, cols + 2, 1);
                    float[] want = new float[rows + 1];
                    float[] got = new float[rows + 1];
                    scalar.matvec(w, x, 2, want, 1);
                    vector.matvec(w, x, 2, got, 1);
                    assertClose(want, got, dtype + " matvec " + rows + "x" + cols);
                }
            }
        }
    }

    @Test
    void matmulMatchesScalarForEveryDtype() {
        Random rnd = new Random(3);
        int[] tokenCounts = {1, 2, 3, 4, 5, 7, 9, 16};
        int[][] shapes = {{1, 1}, {3, 7}, {4, 16}, {5, 17}, {8, 33}, {13, 65}, {7, 257}, {9, 1000}};
        for (ElementType dtype : new ElementType[] {ElementType.F32, ElementType.BF16, ElementType.F16}) {
            for (int[] shape : shapes) {
                WeightMatrix w = TestMatrices.random(dtype, shape[0], shape[1], rnd);
                for (int t : tokenCounts) {
                    float[] x = TestMatrices.gaussian(rnd, t * shape[1], 1);
                    float[] want = new float[t * shape[0]];
                    float[] got = new float[t * shape[0]];
                    scalar.matmul(w, x, t, want);
                    vector.matmul(w, x, t, got);
                    assertClose(want, got, dtype + " matmul t=" + t + " " + shape[0] + "x" + shape[1]);
                }
            }
        }
    }

    @Test
    void singleRowAndFourRowTilesComputeTheSameDotProduct() {
        Random rnd = new Random(5);
        WeightMatrix w = TestMatrices.random(ElementType.BF16, 9, 77, rnd);
        float[] x = TestMatrices.gaussian(rnd, 77, 1);
        float[] full = new float[9];
        vector.matvec(w, x, 0, full, 0);
        // Shifting by one row moves every row into a different tile position (and row 8 out of the tail).
        float[] shifted = new float[8];
        vector.matvec(w.rows(1, 9), x, 0, shifted, 0);
        assertArrayEquals(Arrays.copyOfRange(full, 1, 9), shifted);
        // A view never reaches past its matrix, even where the memory would continue.
        assertThrows(IndexOutOfBoundsException.class, () -> w.rows(1, 8).rows(0, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> w.rows(3, 2));
    }

    @Test
    void resultsAreIdenticalForOneAndTwoThreads() {
        Random rnd = new Random(6);
        WeightMatrix w = TestMatrices.random(ElementType.BF16, 301, 257, rnd);
        float[] x = TestMatrices.gaussian(rnd, 9 * 257, 1);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] mv1 = new float[301];
            float[] mm1 = new float[9 * 301];
            vector.matvec(w, x, 0, mv1, 0);
            vector.matmul(w, x, 9, mm1);
            Parallel.setThreads(2);
            float[] mv2 = new float[301];
            float[] mm2 = new float[9 * 301];
            vector.matvec(w, x, 0, mv2, 0);
            vector.matmul(w, x, 9, mm2);
            assertArrayEquals(mv1, mv2, "matvec");
            assertArrayEquals(mm1, mm2, "matmul");
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void resultsDoNotChangeOnceTheJitCompilesTheKernels() {
        // The first calls run interpreted, later ones compiled; the lane sums must not depend on that.
        Random rnd = new Random(7);
        WeightMatrix w = TestMatrices.random(ElementType.F32, 8, 96, rnd);
        float[] x = TestMatrices.gaussian(rnd, 4 * 96, 10);
        float[] first = new float[4 * 8];
        vector.matmul(w, x, 4, first);
        float firstDot = vector.dot(x, 0, x, 96, 200);
        float[] again = new float[4 * 8];
        for (int i = 0; i < 20_000; i++) {
            vector.matmul(w, x, 4, again);
            assertEquals(firstDot, vector.dot(x, 0, x, 96, 200), "dot at call " + i);
        }
        assertArrayEquals(first, again);
    }

    @Test
    void rmsNormMatchesScalar() {
        Random rnd = new Random(8);
        for (int n : SIZES) {
            float[] x = TestMatrices.gaussian(rnd, n + 4, 3);
            float[] w = TestMatrices.gaussian(rnd, n, 1);
            for (float shift : new float[] {0f, 1f}) {
                for (float[] weight : new float[][] {w, null}) {
                    float[] want = new float[n + 1];
                    float[] got = new float[n + 1];
                    scalar.rmsNorm(x, 4, weight, shift, 1e-6f, want, 1, n);
                    vector.rmsNorm(x, 4, weight, shift, 1e-6f, got, 1, n);
                    assertClose(want, got, "rmsNorm n=" + n + " shift=" + shift + " weight=" + (weight != null));
                }
            }
        }
    }

    /**
     * Every probability to a relative 1e-5, the tiny ones included: an absolute tolerance would
     * accept any value for the probabilities far below it (a test with one dominant logit passed
     * with every vector exponential 1.5 times too large).
     */
    @Test
    void softmaxMatchesScalar() {
        Random rnd = new Random(9);
        for (int n : SIZES) {
            for (boolean dominated : new boolean[] {false, true}) {
                float[] x = TestMatrices.gaussian(rnd, n + 2, 2);
                if (n > 1) {
                    x[2] = Float.NEGATIVE_INFINITY; // a masked position
                    if (dominated) {
                        x[3 + rnd.nextInt(n - 1)] = 20f; // the rest are 1e-9 .. 1e-6 of it
                    }
                }
                float[] want = x.clone();
                float[] got = x.clone();
                scalar.softmax(want, 2, n);
                vector.softmax(got, 2, n);
                for (int i = 2; i < n + 2; i++) {
                    if (!(Math.abs(want[i] - got[i]) <= 1e-5 * Math.abs(want[i]))) {
                        fail("softmax n=" + n + (dominated ? " dominated" : "") + " [" + i + "]: expected "
                                + want[i] + " got " + got[i]);
                    }
                }
            }
        }
    }

    @Test
    void elementwiseKernelsMatchScalarExactly() {
        Random rnd = new Random(10);
        for (int n : SIZES) {
            float[] x = TestMatrices.gaussian(rnd, n + 1, 2);
            float[] y = TestMatrices.gaussian(rnd, n + 3, 2);
            checkExact(y, a -> scalar.axpy(0.37f, x, 1, a, 3, n), a -> vector.axpy(0.37f, x, 1, a, 3, n), "axpy " + n);
            checkExact(y, a -> scalar.add(x, 1, a, 3, n), a -> vector.add(x, 1, a, 3, n), "add " + n);
            checkExact(y, a -> scalar.scale(a, 3, n, -1.7f), a -> vector.scale(a, 3, n, -1.7f), "scale " + n);
        }
    }

    @Test
    void activationsMatchScalar() {
        Random rnd = new Random(11);
        for (int n : SIZES) {
            float[] x = TestMatrices.gaussian(rnd, n + 2, 4);
            x[2] = -120f; // exp overflow side
            x[x.length - 1] = 95f;
            float[] up = TestMatrices.gaussian(rnd, n, 1);
            checkInPlace(x, a -> scalar.silu(a, 2, n), a -> vector.silu(a, 2, n), "silu " + n);
            checkInPlace(x, a -> scalar.geluTanh(a, 2, n), a -> vector.geluTanh(a, 2, n), "geluTanh " + n);
            checkInPlace(x, a -> scalar.siluMul(a, up, n), a -> vector.siluMul(a, up, n), "siluMul " + n);
            checkInPlace(x, a -> scalar.geluTanhMul(a, up, n), a -> vector.geluTanhMul(a, up, n),
                    "geluTanhMul " + n);
        }
    }

    @Test
    void activationsEqualTheirScalarTwinsBitForBitInVectorsAndTails() {
        // An element's result must not depend on whether it falls in a vector or in the scalar tail.
        Random rnd = new Random(12);
        for (int n : SIZES) {
            float[] x = TestMatrices.gaussian(rnd, n, 6);
            float[] up = TestMatrices.gaussian(rnd, n, 1);
            float[] silu = x.clone();
            float[] gelu = x.clone();
            float[] siluMul = x.clone();
            float[] geluMul = x.clone();
            vector.silu(silu, 0, n);
            vector.geluTanh(gelu, 0, n);
            vector.siluMul(siluMul, up, n);
            vector.geluTanhMul(geluMul, up, n);
            for (int i = 0; i < n; i++) {
                String at = " n=" + n + " [" + i + "] x=" + x[i];
                assertEquals(VectorMath.siluScalar(x[i]), silu[i], "silu" + at);
                assertEquals(VectorKernels.geluTanhScalar(x[i]), gelu[i], "geluTanh" + at);
                assertEquals(VectorMath.siluScalar(x[i]) * up[i], siluMul[i], "siluMul" + at);
                assertEquals(VectorKernels.geluTanhScalar(x[i]) * up[i], geluMul[i], "geluTanhMul" + at);
            }
        }
    }

    @Test
    void softmaxAndActivationsDoNotChangeOnceTheJitCompilesThem() {
        // lanewise(EXP/TANH) rounds differently in the interpreter and in C2; VectorMath must not.
        // (Cold only if no earlier test in this JVM ran them; VectorMathTest also checks under -Xint.)
        Random rnd = new Random(13);
        int n = 4 * VectorLanes.LANES + 3;
        float[] x = TestMatrices.gaussian(rnd, n, 30);
        x[1] = -95f; // subnormal and zero exponentials
        x[2] = Float.NEGATIVE_INFINITY;
        float[] up = TestMatrices.gaussian(rnd, n, 1);
        float[][] cold = activations(x, up);
        for (int i = 0; i < 50_000; i++) { // enough for C2 to compile every kernel
            float[] a = x.clone();
            vector.softmax(a, 0, n);
            vector.silu(a, 0, n);
            vector.geluTanh(a, 0, n);
            vector.siluMul(a, up, n);
            vector.geluTanhMul(a, up, n);
        }
        float[][] warm = activations(x, up);
        String[] names = {"softmax", "silu", "geluTanh", "siluMul", "geluTanhMul"};
        for (int k = 0; k < names.length; k++) {
            assertArrayEquals(cold[k], warm[k], names[k]);
        }
    }

    private float[][] activations(float[] x, float[] up) {
        int n = x.length;
        float[][] out = new float[5][];
        for (int k = 0; k < out.length; k++) {
            out[k] = x.clone();
        }
        vector.softmax(out[0], 0, n);
        vector.silu(out[1], 0, n);
        vector.geluTanh(out[2], 0, n);
        vector.siluMul(out[3], up, n);
        vector.geluTanhMul(out[4], up, n);
        return out;
    }

    private static void checkInPlace(float[] input, Consumer<float[]> reference, Consumer<float[]> simd, String what) {
        float[] want = input.clone();
        float[] got = input.clone();
        reference.accept(want);
        simd.accept(got);
        assertClose(want, got, what);
    }

    private static void checkExact(float[] input, Consumer<float[]> reference, Consumer<float[]> simd, String what) {
        float[] want = input.clone();
        float[] got = input.clone();
        reference.accept(want);
        simd.accept(got);
        assertArrayEquals(want, got, what);
    }

    private static void assertClose(float want, float got, String what) {
        if (!(Math.abs(want - got) <= TOL * (1 + Math.abs(want)))) {
            fail(what + ": expected " + want + " got " + got);
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertClose(want[i], got[i], what + " [" + i + "]");
        }
    }

    @Test
    void causalConvEqualsItsScalarTwinBitForBitOnOneAndTwoThreads() {
        Random rnd = new Random(43);
        int before = Parallel.threads();
        try {
            // Channels in whole vectors plus a tail; one token (decode) and a batch long enough to split.
            for (int channels : new int[] {3, VectorLanes.LANES, 2 * VectorLanes.LANES + 5, 1536 + 7}) {
                for (int t : new int[] {1, 7, 300}) {
                    for (int kernelSize : new int[] {1, 4}) {
                        float[] in = TestMatrices.gaussian(rnd, (kernelSize - 1 + t) * channels, 1);
                        float[] taps = TestMatrices.gaussian(rnd, kernelSize * channels, 1);
                        float[] bias = TestMatrices.gaussian(rnd, channels, 1);
                        for (float[] b : new float[][] {bias, null}) {
                            float[] want = new float[t * channels];
                            scalar.causalConv(in, t, channels, taps, kernelSize, b, want);
                            for (int threads = 1; threads <= 2; threads++) {
                                Parallel.setThreads(threads);
                                float[] got = new float[t * channels];
                                Arrays.fill(got, Float.NaN); // every output must be written
                                vector.causalConv(in, t, channels, taps, kernelSize, b, got);
                                assertArrayEquals(want, got, channels + " channels, t=" + t + ", K=" + kernelSize
                                        + (b == null ? ", no bias" : "") + ", " + threads + " threads");
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void elementWiseKernelsGiveTheSameBitsOnOneAndOnTwoThreads() {
        // Long enough to be split into parallel blocks, and not a multiple of the vector width.
        int n = 200_003;
        Random rnd = new Random(41);
        float[] x = new float[n];
        float[] up = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * 6);
            up[i] = (float) rnd.nextGaussian();
        }
        int channels = 1536 + 5;
        int tokens = 64;
        float[] dt = new float[tokens * channels];
        float[] bias = new float[channels];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = (float) (rnd.nextGaussian() * 4);
        }
        for (int e = 0; e < channels; e++) {
            bias[e] = (float) rnd.nextGaussian();
        }
        int before = Parallel.threads();
        float[][] results = new float[2][];
        float[][] steps = new float[2][];
        float[][] gated = new float[2][];
        float[][] gelu = new float[2][];
        float[][] geluGated = new float[2][];
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                results[threads - 1] = x.clone();
                vector.silu(results[threads - 1], 0, n);
                gated[threads - 1] = x.clone();
                vector.siluMul(gated[threads - 1], up, n);
                gelu[threads - 1] = x.clone();
                vector.geluTanh(gelu[threads - 1], 0, n);
                geluGated[threads - 1] = x.clone();
                vector.geluTanhMul(geluGated[threads - 1], up, n);
                steps[threads - 1] = dt.clone();
                new SelectiveScanVector().softplusSteps(steps[threads - 1], bias, tokens, channels);
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertArrayEquals(results[0], results[1], "silu");
        assertArrayEquals(gated[0], gated[1], "siluMul");
        assertArrayEquals(gelu[0], gelu[1], "geluTanh");
        assertArrayEquals(geluGated[0], geluGated[1], "geluTanhMul");
        assertArrayEquals(steps[0], steps[1], "softplusSteps");
        for (int i = 0; i < n; i += 997) {
            assertEquals(Float.floatToIntBits(VectorMath.siluScalar(x[i])), Float.floatToIntBits(results[1][i]), "silu at " + i);
            assertEquals(Float.floatToIntBits(VectorKernels.geluTanhScalar(x[i])), Float.floatToIntBits(gelu[1][i]), "gelu at " + i);
        }
    }
}
