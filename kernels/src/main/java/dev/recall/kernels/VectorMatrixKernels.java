package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorLanes.sumLanes;
import static dev.recall.kernels.VectorLanes.weights;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;

/**
 * SIMD matrix-vector and matrix-matrix products against a {@link WeightMatrix}.
 *
 * <p>Every output y = W[r,·]·x is computed with the same arithmetic whichever tile produces it:
 * one vector accumulator per output, fused multiply-adds over the columns in steps of
 * {@link VectorLanes#LANES}, the fixed-order {@link VectorLanes#sumLanes}, then the leftover
 * columns one fused multiply-add at a time. Tiles differ only in how many outputs share each load
 * of W and x. Hence matvec of token i equals row i of matmul bit for bit, and no split of the
 * work over threads changes a result.
 */
final class VectorMatrixKernels {

    /** Rows per tile: four weight rows share each load of x. */
    private static final int ROWS = 4;
    /** Tokens per matmul tile: four tokens share each (widened) load of the four weight rows. */
    private static final int TOKENS = 4;
    /** Multiply-adds below which a parallel task costs more to schedule than it saves. */
    private static final int MIN_TASK_WORK = 1 << 16;
    /** Bytes of x a matmul task keeps hot in L2 while it sweeps its rows. */
    private static final int X_BLOCK_BYTES = 256 * 1024;

    private VectorMatrixKernels() {
    }

    static void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo) {
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, xo, cols, "x");
        checkRange(y.length, yo, rows, "y");
        int tiles = ceilDiv(rows, ROWS);
        int grain = Math.max(1, MIN_TASK_WORK / Math.max(1, ROWS * cols));
        Parallel.forRange(tiles, grain, (from, to) -> {
            int end = Math.min(rows, to * ROWS);
            int r = from * ROWS;
            for (; r + ROWS <= end; r += ROWS) {
                dot4(w, r, x, xo, y, yo + r);
            }
            for (; r < end; r++) {
                y[yo + r] = dot1(w, r, x, xo);
            }
        });
    }

    static void matmul(WeightMatrix w, float[] x, int t, float[] y) {
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, 0, (long) t * cols, "x");
        checkRange(y.length, 0, (long) t * rows, "y");
        if (t == 0 || rows == 0) {
            return;
        }
        int tiles = ceilDiv(rows, ROWS);
        long tileWork = (long) ROWS * cols * t;
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1, tileWork));
        // A block of tokens sweeps all rows of the task before the next block starts: x stays in L2
        // while the four weight rows of a tile stay in L1 across the block's tokens. Blocks hold a
        // multiple of TOKENS so that tiles line up.
        int tokenBlock = Math.max(TOKENS, X_BLOCK_BYTES / Float.BYTES / Math.max(1, cols) / TOKENS * TOKENS);
        Parallel.forRange(tiles, grain, (from, to) -> {
            TileScratch scratch = new TileScratch();
            int rowEnd = Math.min(rows, to * ROWS);
            for (int t0 = 0; t0 < t; t0 += tokenBlock) {
                int tEnd = Math.min(t, t0 + tokenBlock);
                for (int r = from * ROWS; r < rowEnd; r += ROWS) {
                    if (r + ROWS <= rowEnd) {
                        int i = t0;
                        for (; i + TOKENS <= tEnd; i += TOKENS) {
                            dot4x4(w, r, x, i * cols, cols, y, i * rows + r, rows, scratch);
                        }
                        for (; i < tEnd; i++) {
                            dot4(w, r, x, i * cols, y, i * rows + r);
                        }
                    } else {
                        for (int rr = r; rr < rowEnd; rr++) {
                            for (int i = t0; i < tEnd; i++) {
                                y[i * rows + rr] = dot1(w, rr, x, i * cols);
                            }
                        }
                    }
                }
            }
        });
    }

    /** y[yo] = W[r,·]·x[xo..]. */
    static float dot1(WeightMatrix w, int r, float[] x, int xo) {
        MemorySegment data = w.data();
        DType dtype = w.dtype();
        int cols = w.cols();
        long e = (long) r * cols;
        int bound = FLOATS.loopBound(cols);
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int c = 0; c < bound; c += LANES) {
            acc = weights(data, dtype, e + c).fma(FloatVector.fromArray(FLOATS, x, xo + c), acc);
        }
        float s = sumLanes(acc);
        for (int c = bound; c < cols; c++) {
            s = Math.fma(w.getFlat(e + c), x[xo + c], s);
        }
        return s;
    }

    /** y[yo + k] = W[r + k,·]·x[xo..] for k in 0..3. */
    static void dot4(WeightMatrix w, int r, float[] x, int xo, float[] y, int yo) {
        MemorySegment data = w.data();
        DType dtype = w.dtype();
        int cols = w.cols();
        long e0 = (long) r * cols;
        long e1 = e0 + cols;
        long e2 = e1 + cols;
        long e3 = e2 + cols;
        int bound = FLOATS.loopBound(cols);
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int c = 0; c < bound; c += LANES) {
            FloatVector xv = FloatVector.fromArray(FLOATS, x, xo + c);
            a0 = weights(data, dtype, e0 + c).fma(xv, a0);
            a1 = weights(data, dtype, e1 + c).fma(xv, a1);
            a2 = weights(data, dtype, e2 + c).fma(xv, a2);
            a3 = weights(data, dtype, e3 + c).fma(xv, a3);
        }
        float s0 = sumLanes(a0);
        float s1 = sumLanes(a1);
        float s2 = sumLanes(a2);
        float s3 = sumLanes(a3);
        for (int c = bound; c < cols; c++) {
            float xc = x[xo + c];
            s0 = Math.fma(w.getFlat(e0 + c), xc, s0);
            s1 = Math.fma(w.getFlat(e1 + c), xc, s1);
            s2 = Math.fma(w.getFlat(e2 + c), xc, s2);
            s3 = Math.fma(w.getFlat(e3 + c), xc, s3);
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
    }

    /**
     * The 4×4 register tile of matmul: rows r..r+3 against tokens whose x rows start at xo, xo +
     * xStride, ...; output (token j, row k) goes to y[yo + j·yStride + k]. Each weight vector is
     * loaded and widened once and used by four tokens.
     */
    static void dot4x4(WeightMatrix w, int r, float[] x, int xo, int xStride, float[] y, int yo, int yStride,
            TileScratch scratch) {
        MemorySegment data = w.data();
        DType dtype = w.dtype();
        int cols = w.cols();
        long e0 = (long) r * cols;
        long e1 = e0 + cols;
        long e2 = e1 + cols;
        long e3 = e2 + cols;
        int x0 = xo;
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        int bound = FLOATS.loopBound(cols);
        FloatVector zero = FloatVector.zero(FLOATS);
        // aJK: token J, row K.
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero;
        FloatVector a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        for (int c = 0; c < bound; c += LANES) {
            FloatVector w0 = weights(data, dtype, e0 + c);
            FloatVector w1 = weights(data, dtype, e1 + c);
            FloatVector w2 = weights(data, dtype, e2 + c);
            FloatVector w3 = weights(data, dtype, e3 + c);
            FloatVector xv = FloatVector.fromArray(FLOATS, x, x0 + c);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            a02 = w2.fma(xv, a02);
            a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(FLOATS, x, x1 + c);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            a12 = w2.fma(xv, a12);
            a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(FLOATS, x, x2 + c);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            a22 = w2.fma(xv, a22);
            a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(FLOATS, x, x3 + c);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            a32 = w2.fma(xv, a32);
            a33 = w3.fma(xv, a33);
        }
        // The accumulators leave through memory: summing 16 vectors in place makes this method too
        // large for the JIT to inline the lane sums, and a vector passed to a call gets boxed.
        float[] lanes = scratch.lanes;
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, LANES);
        a02.intoArray(lanes, 2 * LANES);
        a03.intoArray(lanes, 3 * LANES);
        a10.intoArray(lanes, 4 * LANES);
        a11.intoArray(lanes, 5 * LANES);
        a12.intoArray(lanes, 6 * LANES);
        a13.intoArray(lanes, 7 * LANES);
        a20.intoArray(lanes, 8 * LANES);
        a21.intoArray(lanes, 9 * LANES);
        a22.intoArray(lanes, 10 * LANES);
        a23.intoArray(lanes, 11 * LANES);
        a30.intoArray(lanes, 12 * LANES);
        a31.intoArray(lanes, 13 * LANES);
        a32.intoArray(lanes, 14 * LANES);
        a33.intoArray(lanes, 15 * LANES);
        float[] s = scratch.sums;
        VectorLanes.sumLanesOfEach(lanes, s);
        for (int c = bound; c < cols; c++) {
            float wc0 = w.getFlat(e0 + c);
            float wc1 = w.getFlat(e1 + c);
            float wc2 = w.getFlat(e2 + c);
            float wc3 = w.getFlat(e3 + c);
            for (int j = 0; j < TOKENS; j++) {
                float xc = x[xo + j * xStride + c];
                s[j * 4] = Math.fma(wc0, xc, s[j * 4]);
                s[j * 4 + 1] = Math.fma(wc1, xc, s[j * 4 + 1]);
                s[j * 4 + 2] = Math.fma(wc2, xc, s[j * 4 + 2]);
                s[j * 4 + 3] = Math.fma(wc3, xc, s[j * 4 + 3]);
            }
        }
        for (int j = 0; j < TOKENS; j++) {
            System.arraycopy(s, j * 4, y, yo + j * yStride, ROWS);
        }
    }

    /** Per-task buffers through which dot4x4 hands its accumulators to the lane sums. */
    static final class TileScratch {
        final float[] lanes = new float[TOKENS * ROWS * LANES];
        final float[] sums = new float[TOKENS * ROWS];
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void checkRange(int length, long offset, long count, String what) {
        if (offset < 0 || offset + count > length) {
            throw new IndexOutOfBoundsException(what + " needs " + count + " floats from offset " + offset
                    + " but has length " + length);
        }
    }
}
