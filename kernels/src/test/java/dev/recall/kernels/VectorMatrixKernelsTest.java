package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The blocked matmul at sizes where its blocking shows: several column chunks plus a partial one,
 * row counts that leave a partial panel, token counts that end in a partial tile, and matrices so
 * narrow that their tokens are split between work items. Every output must be exactly one chain of
 * fused multiply-adds over the columns in order (whatever chunk, tile, item or thread produced it).
 */
class VectorMatrixKernelsTest {

    private final ScalarKernels scalar = new ScalarKernels();
    private final VectorKernels vector = new VectorKernels();

    /** Columns covering two full chunks and a partial one that is not a whole number of vectors. */
    private static final int COLS = 2 * VectorMatrixKernels.CHUNK + 3 * VectorLanes.LANES + 5;
    /** Rows filling two panels and part of a third. */
    private static final int ROWS = 2 * VectorMatrixKernels.PANEL_ROWS + 1;
    /** One panel and one more row. */
    private static final int PANEL_PLUS_ONE = VectorMatrixKernels.PANEL_ROWS + 1;
    /** Several tiles and a partial one. */
    private static final int TOKENS = 5 * VectorMatrixKernels.TILE_TOKENS + 7;

    /** y[i, r] as the matmul contract defines it: s = fma(W[r, c], x[i, c], s) for c in order from 0. */
    private static float[] fmaChains(WeightMatrix w, float[] x, int t) {
        float[] y = new float[t * w.rows()];
        for (int i = 0; i < t; i++) {
            for (int r = 0; r < w.rows(); r++) {
                float s = 0f;
                for (int c = 0; c < w.cols(); c++) {
                    s = Math.fma(w.get(r, c), x[i * w.cols() + c], s);
                }
                y[i * w.rows() + r] = s;
            }
        }
        return y;
    }

    @Test
    void everyMatmulOutputIsOneFmaChainOverTheColumnsAcrossChunksPanelsTilesAndItems() {
        Random rnd = new Random(11);
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (ElementType dtype : new ElementType[] {ElementType.F32, ElementType.BF16, ElementType.F16}) {
                    // Wide, narrow (tokens split between items), a partial panel with few columns,
                    // and one vector's width of columns (a rank-16 projection's shape).
                    for (int[] shape : new int[][] {{ROWS, COLS}, {7, VectorMatrixKernels.CHUNK + 1},
                            {PANEL_PLUS_ONE, 3}, {3 * VectorMatrixKernels.PANEL_ROWS / 2, VectorLanes.LANES}}) {
                        WeightMatrix w = TestMatrices.random(dtype, shape[0], shape[1], rnd);
                        for (int t : new int[] {VectorMatrixKernels.MIN_MATMUL_TOKENS, 11, 12, 13, TOKENS}) {
                            float[] x = TestMatrices.gaussian(rnd, t * shape[1], 1);
                            float[] want = fmaChains(w, x, t);
                            float[] y = new float[t * shape[0]];
                            vector.matmul(w, x, t, y);
                            assertArrayEquals(want, y, threads + " threads, " + dtype + " "
                                    + shape[0] + "x" + shape[1] + ", t=" + t);
                            // Both tile shapes, whichever this machine's register file picks.
                            for (boolean wide : new boolean[] {true, false}) {
                                float[] z = new float[t * shape[0]];
                                VectorMatrixKernels.matmul(w, x, t, z, wide);
                                assertArrayEquals(want, z, (wide ? "wide" : "half") + " tile, " + threads
                                        + " threads, " + dtype + " " + shape[0] + "x" + shape[1] + ", t=" + t);
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** y[r] as the matvec contract defines it: row r's vector accumulator alone, its fixed-order lane sum, then its leftover columns. */
    private static float[] rowByRow(WeightMatrix w, float[] x) {
        float[] y = new float[w.rows()];
        float[] acc = new float[VectorLanes.LANES];
        for (int r = 0; r < w.rows(); r++) {
            VectorMatrixKernels.accumulate1(w, r, x, 0, acc, 0);
            float lanes = VectorLanes.sumLanes(jdk.incubator.vector.FloatVector.fromArray(VectorLanes.FLOATS, acc, 0));
            y[r] = VectorMatrixKernels.leftoverColumns(w, r, x, 0, lanes);
        }
        return y;
    }

    @Test
    void everyMatvecRowIsItsOwnArithmeticWhicheverRowsShareItsTileOrRun() {
        // Row counts below, at and around one run per stream, with partial tiles and lane groups,
        // on 1-3 threads (which move the block edges the runs are cut from).
        Random rnd = new Random(15);
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (ElementType dtype : new ElementType[] {ElementType.F32, ElementType.BF16, ElementType.F16}) {
                    for (int rows : new int[] {1, 5, 7, 8, 9, 17, 33, 63, 100, 257, 1000, 2053}) {
                        for (int cols : new int[] {3, VectorLanes.LANES, COLS}) {
                            WeightMatrix w = TestMatrices.random(dtype, rows, cols, rnd);
                            float[] x = TestMatrices.gaussian(rnd, cols, 1);
                            float[] y = new float[rows + 2];
                            vector.matvec(w, x, 0, y, 1);
                            assertArrayEquals(rowByRow(w, x), Arrays.copyOfRange(y, 1, rows + 1),
                                    threads + " threads, " + dtype + " " + rows + "x" + cols);
                            assertEquals(0f, y[0]);
                            assertEquals(0f, y[rows + 1]);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void fewerTokensThanATileGoThroughMatvec() {
        Random rnd = new Random(14);
        WeightMatrix w = TestMatrices.random(ElementType.BF16, ROWS, COLS, rnd);
        int t = VectorMatrixKernels.MIN_MATMUL_TOKENS - 1;
        float[] x = TestMatrices.gaussian(rnd, t * COLS, 1);
        float[] y = new float[t * ROWS];
        vector.matmul(w, x, t, y);
        float[] row = new float[ROWS];
        for (int i = 0; i < t; i++) {
            vector.matvec(w, x, i * COLS, row, 0);
            assertArrayEquals(row, Arrays.copyOfRange(y, i * ROWS, (i + 1) * ROWS), "token " + i);
        }
    }

    @Test
    void blockedMatmulMatchesScalar() {
        Random rnd = new Random(12);
        for (ElementType dtype : new ElementType[] {ElementType.F32, ElementType.BF16}) {
            for (int[] shape : new int[][] {{ROWS, COLS}, {7, VectorMatrixKernels.CHUNK}, {PANEL_PLUS_ONE, 3}}) {
                WeightMatrix w = TestMatrices.random(dtype, shape[0], shape[1], rnd);
                for (int t : new int[] {4, 6, 11, TOKENS}) {
                    float[] x = TestMatrices.gaussian(rnd, t * shape[1], 1);
                    float[] want = new float[t * shape[0]];
                    float[] got = new float[t * shape[0]];
                    scalar.matmul(w, x, t, want);
                    vector.matmul(w, x, t, got);
                    for (int i = 0; i < want.length; i++) {
                        double tol = 1e-4 * Math.sqrt(shape[1]) * (1 + Math.abs(want[i]));
                        assertTrue(Math.abs(want[i] - got[i]) <= tol, dtype + " " + shape[0] + "x" + shape[1]
                                + " t=" + t + " at " + i + ": " + want[i] + " vs " + got[i]);
                    }
                }
            }
        }
    }

    @Test
    void blockedMatmulIsIdenticalForOneAndTwoThreads() {
        Random rnd = new Random(13);
        WeightMatrix w = TestMatrices.random(ElementType.BF16, 5 * VectorMatrixKernels.PANEL_ROWS + 2, COLS, rnd);
        int t = TOKENS;
        float[] x = TestMatrices.gaussian(rnd, t * COLS, 1);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = new float[t * w.rows()];
            vector.matmul(w, x, t, one);
            Parallel.setThreads(2);
            float[] two = new float[t * w.rows()];
            vector.matmul(w, x, t, two);
            assertArrayEquals(one, two);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void aThreadReusesItsMatmulBuffersButNeverSharesThemWithANestedCall() {
        ThreadLocal<WorkBuffers> kind = ThreadLocal.withInitial(WorkBuffers::new);
        WorkBuffers outer = WorkBuffers.acquire(kind);
        float[] held = outer.first(64);
        WorkBuffers nested = WorkBuffers.acquire(kind);
        assertNotSame(outer, nested, "a call made while the thread holds its buffers gets its own");
        assertNotSame(held, nested.first(64));
        nested.release();
        outer.release();
        WorkBuffers next = WorkBuffers.acquire(kind);
        assertSame(outer, next, "released buffers serve the thread's next call");
        assertSame(held, next.first(32), "a shorter request keeps the larger array");
        next.release();
    }

    @Test
    void reusedBuffersGiveTheSameProductsAsFreshOnes() {
        // One thread, matrices of shrinking and growing widths: every call inherits the previous
        // call's packed weights and accumulators, which must not leak into its results.
        Random rnd = new Random(21);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            for (int cols : new int[] {2 * VectorMatrixKernels.CHUNK + 5, 3, 40, VectorMatrixKernels.CHUNK, 17}) {
                WeightMatrix w = TestMatrices.random(ElementType.BF16, VectorMatrixKernels.PANEL_ROWS + 1, cols, rnd);
                int t = 9;
                float[] x = TestMatrices.gaussian(rnd, t * cols, 1);
                float[] got = new float[t * w.rows()];
                vector.matmul(w, x, t, got);
                assertArrayEquals(fmaChains(w, x, t), got, "cols " + cols);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void inPlaceLaneSumsEqualSumLanesBitForBit() {
        Random rnd = new Random(10);
        for (int groups : new int[] {1, 2, 3, 5}) {
            int count = groups * VectorLanes.LANES;
            float[] vectors = new float[count * VectorLanes.LANES];
            for (int i = 0; i < vectors.length; i++) {
                // Wide magnitudes so that a different summation order would show.
                vectors[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
            }
            float[] want = new float[count];
            for (int q = 0; q < count; q++) {
                want[q] = VectorLanes.sumLanes(jdk.incubator.vector.FloatVector.fromArray(VectorLanes.FLOATS, vectors,
                        q * VectorLanes.LANES));
            }
            VectorLanes.sumLanesInPlace(vectors, count);
            for (int q = 0; q < count; q++) {
                assertEquals(Float.floatToRawIntBits(want[q]), Float.floatToRawIntBits(vectors[q]),
                        "vector " + q + " of " + count + ": " + want[q] + " vs " + vectors[q]);
            }
        }
    }

    @Test
    void scalarLaneSumsOfParkedVectorsEqualSumLanesBitForBit() {
        Random rnd = new Random(11);
        int lanes = VectorLanes.LANES;
        for (int round = 0; round < 200; round++) {
            int at = rnd.nextInt(7);
            float[] v = new float[at + lanes];
            for (int i = at; i < v.length; i++) {
                // Wide magnitudes so that a different summation order would show.
                v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
            }
            float want = VectorLanes.sumLanes(jdk.incubator.vector.FloatVector.fromArray(VectorLanes.FLOATS, v, at));
            float got = VectorLanes.sumParked(v, at);
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "round " + round + ": " + want + " vs " + got);
        }
    }

    @Test
    void matvecsGivesEveryTokenTheBitsOfItsOwnMatvec() {
        // Token counts below, at and past the four-token register block; rows with partial lane
        // groups; columns with and without leftovers; 1-3 threads.
        Random rnd = new Random(31);
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 3}) {
                Parallel.setThreads(threads);
                for (ElementType type : ElementType.values()) {
                    for (int rows : new int[] {1, 7, VectorLanes.LANES + 3, 100}) {
                        for (int cols : new int[] {3, VectorLanes.LANES, COLS}) {
                            WeightMatrix w = TestMatrices.random(type, rows, cols, rnd);
                            for (int n : new int[] {2, 3, 4, 5, 8, 9}) {
                                float[] x = TestMatrices.gaussian(rnd, (n + 1) * cols, 1);
                                float[] y = new float[(n + 2) * rows];
                                vector.matvecs(w, x, cols, n, y, rows);
                                float[] one = new float[rows];
                                for (int j = 0; j < n; j++) {
                                    vector.matvec(w, x, (j + 1) * cols, one, 0);
                                    assertArrayEquals(one, Arrays.copyOfRange(y, (j + 1) * rows, (j + 2) * rows),
                                            threads + " threads, " + type + " " + rows + "x" + cols + ", token " + j + " of " + n);
                                }
                                float[] outside = new float[rows];
                                assertArrayEquals(outside, Arrays.copyOfRange(y, 0, rows), "rows before yo untouched");
                                assertArrayEquals(outside, Arrays.copyOfRange(y, (n + 1) * rows, (n + 2) * rows),
                                        "rows past the last token untouched");
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
    void aMatmulOfSomeRowsGivesThemTheBitsOfTheirOwnMatmul() {
        Random rnd = new Random(33);
        for (ElementType type : ElementType.values()) {
            WeightMatrix w = TestMatrices.random(type, PANEL_PLUS_ONE, COLS, rnd);
            int t = 13;
            float[] x = TestMatrices.gaussian(rnd, (t + 3) * COLS, 1);
            float[] y = new float[(t + 5) * w.rows()];
            vector.matmul(w, x, 3 * COLS, t, y, 2 * w.rows());
            float[] alone = new float[t * w.rows()];
            vector.matmul(w, Arrays.copyOfRange(x, 3 * COLS, (t + 3) * COLS), t, alone);
            assertArrayEquals(alone, Arrays.copyOfRange(y, 2 * w.rows(), (t + 2) * w.rows()), type.name());
            float[] scalarY = new float[(t + 5) * w.rows()];
            scalar.matmul(w, x, 3 * COLS, t, scalarY, 2 * w.rows());
            float[] scalarAlone = new float[t * w.rows()];
            scalar.matmul(w, Arrays.copyOfRange(x, 3 * COLS, (t + 3) * COLS), t, scalarAlone);
            assertArrayEquals(scalarAlone, Arrays.copyOfRange(scalarY, 2 * w.rows(), (t + 2) * w.rows()), type.name());
        }
    }
}
