package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorLanes.weights;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

/**
 * SIMD matrix-vector and matrix-matrix products against a {@link WeightMatrix}.
 *
 * <p>Every output y = W[r,·]·x is computed with the same arithmetic whichever tile produces it:
 * one vector accumulator per output, fused multiply-adds over the columns in steps of
 * {@link VectorLanes#LANES}, the fixed-order {@link VectorLanes#sumLanes} (computed by
 * {@link VectorLanes#sumLanesInPlace} for many outputs at once, same bits), then the leftover
 * columns one fused multiply-add at a time. Tiles differ only in how many outputs share each load
 * of W and x, and where an accumulator waits between column chunks. Hence matvec of token i
 * equals row i of matmul bit for bit, and no split of the work over threads changes a result.
 */
final class VectorMatrixKernels {

    /** Rows per matvec tile: four weight rows share each load of x. */
    private static final int ROWS = 4;
    /** Weight rows per matmul panel: six rows share each load of x. */
    static final int PANEL_ROWS = 6;
    /** Tokens per matmul tile: four tokens share each load of the packed panel. */
    static final int TILE_TOKENS = 4;
    /**
     * Columns per packed chunk of a panel (a multiple of every vector width): 6 × 512 fp32 = 12 KiB
     * of weights that stay in L1 while the tiles of a token block stream their x past them.
     */
    static final int CHUNK = 512;
    /** Multiply-adds below which a parallel task costs more to schedule than it saves. */
    private static final int MIN_TASK_WORK = 1 << 16;
    /**
     * Bytes of packed x per token block. Larger blocks re-read the weights fewer times but push x
     * out of L2; 512 KiB measured best at 2048 columns (64 tokens, one quarter of a 2 MiB L2).
     */
    private static final int X_BLOCK_BYTES = 512 << 10;
    /** Upper bound on a token block, which bounds the accumulator buffer (512 × 6 × 64 B = 192 KiB, in L2). */
    static final int MAX_TOKEN_BLOCK = 512;

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
            // LANES rows at a time: their accumulators wait in acc, then one in-place pass sums
            // them all (sumLanesInPlace), then each row adds its leftover columns.
            WorkBuffers buffers = WorkBuffers.acquire(TILES);
            try {
                float[] acc = buffers.second(LANES * LANES);
                for (int group = from * ROWS; group < end; group += LANES) {
                    int groupEnd = Math.min(end, group + LANES);
                    int r = group;
                    for (; r + ROWS <= groupEnd; r += ROWS) {
                        accumulate4(w, r, x, xo, acc, (r - group) * LANES);
                    }
                    for (; r < groupEnd; r++) {
                        accumulate1(w, r, x, xo, acc, (r - group) * LANES);
                    }
                    VectorLanes.sumLanesInPlace(acc, LANES);
                    for (r = group; r < groupEnd; r++) {
                        y[yo + r] = leftoverColumns(w, r, x, xo, acc[r - group]);
                    }
                }
            } finally {
                buffers.release();
            }
        });
    }

    /**
     * y[i, ·] = W·x[i, ·] for t tokens. Fewer than {@link #TILE_TOKENS} tokens go through matvec.
     * More are taken a block of tokens at a time: the block's x is packed (see {@link PackedTokens}),
     * then the weight rows are split over threads in panels of {@link #PANEL_ROWS} (see
     * {@link PanelMatmul}).
     */
    static void matmul(WeightMatrix w, float[] x, int t, float[] y) {
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, 0, (long) t * cols, "x");
        checkRange(y.length, 0, (long) t * rows, "y");
        if (t == 0 || rows == 0) {
            return;
        }
        if (t < TILE_TOKENS) {
            for (int i = 0; i < t; i++) {
                matvec(w, x, i * cols, y, i * rows);
            }
            return;
        }
        int blockTokens = tokenBlock(cols, t);
        WorkBuffers packing = WorkBuffers.acquire(PACKING);
        try {
            PackedTokens packedX = new PackedTokens(x, cols, blockTokens, packing.first(blockTokens * FLOATS.loopBound(cols)));
            int panels = ceilDiv(rows, PANEL_ROWS);
            long panelWork = (long) PANEL_ROWS * cols * blockTokens;
            int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1, panelWork));
            for (int t0 = 0; t0 < t; t0 += blockTokens) {
                int t1 = Math.min(t, t0 + blockTokens);
                packedX.pack(t0, t1);
                Parallel.forRange(panels, grain, (from, to) -> {
                    WorkBuffers tiles = WorkBuffers.acquire(TILES);
                    try {
                        PanelMatmul worker = new PanelMatmul(w, packedX, y, tiles);
                        for (int p = from; p < to; p++) {
                            worker.panel(p * PANEL_ROWS);
                        }
                    } finally {
                        tiles.release();
                    }
                });
            }
        } finally {
            packing.release();
        }
    }

    /** The calling thread's packed x, held for a whole matmul. */
    private static final ThreadLocal<WorkBuffers> PACKING = ThreadLocal.withInitial(WorkBuffers::new);
    /** A worker's accumulators (and for matmul its panel of widened weights), held for one block of rows or panels. */
    private static final ThreadLocal<WorkBuffers> TILES = ThreadLocal.withInitial(WorkBuffers::new);

    /**
     * Tokens per block: a multiple of {@link #TILE_TOKENS} whose packed x fits
     * {@link #X_BLOCK_BYTES}, at most {@link #MAX_TOKEN_BLOCK} (which bounds the accumulators).
     */
    static int tokenBlock(int cols, int t) {
        int fit = X_BLOCK_BYTES / Float.BYTES / Math.max(1, cols) / TILE_TOKENS * TILE_TOKENS;
        int block = Math.clamp(fit, TILE_TOKENS, MAX_TOKEN_BLOCK);
        return Math.min(block, ceilDiv(t, TILE_TOKENS) * TILE_TOKENS);
    }

    /**
     * The x rows of one block of tokens, rearranged so that a tile reads its four tokens' columns
     * as one sequential stream: for each column chunk, for each 4-token tile, for each vector step,
     * the four tokens' vectors one after another ([chunk][tile][step][4][LANES]). A partial last
     * tile is padded with zero tokens, whose outputs are never written. Only the columns below the
     * vector loop bound are packed; the leftover ones are read from x itself.
     */
    static final class PackedTokens {
        final float[] x;
        final int cols;
        /** Columns covered by whole vectors, the part the tiles compute. */
        final int bound;
        final float[] packed;
        int t0;
        int t1;

        /** {@code storage}: room for blockTokens × the vector-covered columns (it may be longer). */
        PackedTokens(float[] x, int cols, int blockTokens, float[] storage) {
            this.x = x;
            this.cols = cols;
            this.bound = FLOATS.loopBound(cols);
            this.packed = storage;
        }

        /** Packs tokens [t0, t1), at most one block. */
        void pack(int t0, int t1) {
            this.t0 = t0;
            this.t1 = t1;
            int tiles = ceilDiv(t1 - t0, TILE_TOKENS);
            for (int c0 = 0; c0 < bound; c0 += CHUNK) {
                int width = Math.min(CHUNK, bound - c0);
                for (int tile = 0; tile < tiles; tile++) {
                    int at = offset(c0, width, tile);
                    for (int j = 0; j < TILE_TOKENS; j++) {
                        int token = t0 + tile * TILE_TOKENS + j;
                        int from = token * cols + c0;
                        for (int c = 0, to = at + j * LANES; c < width; c += LANES, to += TILE_TOKENS * LANES) {
                            if (token < t1) {
                                FloatVector.fromArray(FLOATS, x, from + c).intoArray(packed, to);
                            } else {
                                Arrays.fill(packed, to, to + LANES, 0f);
                            }
                        }
                    }
                }
            }
        }

        /** Where tile {@code tile} of the chunk starting at column c0 (width columns wide) begins. */
        int offset(int c0, int width, int tile) {
            return c0 * ceilDiv(t1 - t0, TILE_TOKENS) * TILE_TOKENS + tile * TILE_TOKENS * width;
        }
    }

    /**
     * The matmul of some panels for one packed block of tokens. For each panel of
     * {@link #PANEL_ROWS} rows, the columns are taken {@link #CHUNK} at a time: the chunk of the
     * panel is widened to fp32 into {@code packedW} (small enough to stay in L1, interleaved so
     * that the tile reads it as one stream), then every tile of the block runs {@link #tile} over
     * it, continuing its 24 vector accumulators from {@code acc}. The accumulators see the same
     * fused multiply-adds in the same column order as accumulate1's single accumulator; only where
     * they wait between chunks (memory instead of a register) differs, which does not change a bit.
     * After the last chunk each is finished exactly as matvec finishes a row: the fixed-order lane
     * sum, then the leftover columns.
     */
    private static final class PanelMatmul {
        private final WeightMatrix w;
        private final MemorySegment data;
        private final DType dtype;
        private final int rows;
        private final int cols;
        private final PackedTokens x;
        private final float[] y;
        /** One chunk of the panel as fp32, [CHUNK / LANES][PANEL_ROWS][LANES]. */
        private final float[] packedW;
        /** Accumulators of the block, [token][PANEL_ROWS][LANES]. */
        private final float[] acc;

        PanelMatmul(WeightMatrix w, PackedTokens x, float[] y, WorkBuffers buffers) {
            this.w = w;
            this.data = w.data();
            this.dtype = w.dtype();
            this.rows = w.rows();
            this.cols = w.cols();
            this.x = x;
            this.y = y;
            int accumulators = ceilDiv(x.t1 - x.t0, TILE_TOKENS) * TILE_TOKENS * PANEL_ROWS;
            this.packedW = buffers.first(CHUNK * PANEL_ROWS);
            // Room for the lane sums to run over whole groups of LANES accumulators.
            this.acc = buffers.second((accumulators + LANES) * LANES);
            if (x.bound == 0) {
                // No whole vector of columns: no chunk starts the accumulators, so they start here.
                Arrays.fill(acc, 0, (accumulators + LANES) * LANES, 0f);
            }
        }

        /** Rows [r, r + PANEL_ROWS) (or up to the last row) for the block's tokens. */
        void panel(int r) {
            int tiles = ceilDiv(x.t1 - x.t0, TILE_TOKENS);
            for (int c0 = 0; c0 < x.bound; c0 += CHUNK) {
                int width = Math.min(CHUNK, x.bound - c0);
                packWeights(r, c0, width);
                for (int tile = 0; tile < tiles; tile++) {
                    tile(packedW, width / LANES, x.packed, x.offset(c0, width, tile), acc,
                            tile * TILE_TOKENS * PANEL_ROWS * LANES, c0 == 0);
                }
            }
            finish(r);
        }

        /**
         * packedW = W[r .. r + PANEL_ROWS, c0 .. c0 + width) widened, rows past the matrix as zeros.
         * One loop per dtype, so that each loop body is only its load, widening and store.
         */
        private void packWeights(int r, int c0, int width) {
            int stride = PANEL_ROWS * LANES;
            for (int k = 0; k < PANEL_ROWS; k++) {
                int at = k * LANES;
                if (r + k >= rows) {
                    for (int c = 0; c < width; c += LANES, at += stride) {
                        Arrays.fill(packedW, at, at + LANES, 0f);
                    }
                    continue;
                }
                long e = (long) (r + k) * cols + c0;
                if (dtype == DType.BF16) {
                    for (int c = 0; c < width; c += LANES, at += stride) {
                        VectorLanes.bf16(data, (e + c) * 2).intoArray(packedW, at);
                    }
                } else if (dtype == DType.F32) {
                    for (int c = 0; c < width; c += LANES, at += stride) {
                        FloatVector.fromMemorySegment(FLOATS, data, (e + c) * 4, VectorLanes.LE).intoArray(packedW, at);
                    }
                } else {
                    for (int c = 0; c < width; c += LANES, at += stride) {
                        VectorLanes.f16(data, (e + c) * 2).intoArray(packedW, at);
                    }
                }
            }
        }

        /**
         * y = lane sums of the accumulators (see {@link VectorLanes#sumLanesInPlace}) plus the
         * leftover columns, as matvec ends a row.
         */
        private void finish(int r) {
            int panelRows = Math.min(PANEL_ROWS, rows - r);
            VectorLanes.sumLanesInPlace(acc, ceilDiv((x.t1 - x.t0) * PANEL_ROWS, LANES) * LANES);
            for (int i = x.t0; i < x.t1; i++) {
                int a = (i - x.t0) * PANEL_ROWS;
                for (int k = 0; k < panelRows; k++) {
                    y[i * rows + r + k] = leftoverColumns(w, r + k, x.x, i * cols, acc[a + k]);
                }
            }
        }
    }

    /**
     * The 6-row × 4-token register tile: 24 accumulators, zero at the {@code first} chunk and
     * otherwise loaded from {@code acc} ([token][row][LANES] from a0), advanced over {@code steps} vector steps of columns, stored back. Each step loads
     * four packed x vectors and six packed weight vectors, both streams sequential, and issues 24
     * fused multiply-adds; 24 accumulators, 4 x vectors and 1 weight vector fit the 32 AVX-512
     * registers.
     */
    static void tile(float[] packedW, int steps, float[] packedX, int xo, float[] acc, int a0, boolean first) {
        int tokenStride = PANEL_ROWS * LANES;
        // aJK: token J, row K.
        FloatVector a00 = accumulator(acc, a0, first);
        FloatVector a01 = accumulator(acc, a0 + LANES, first);
        FloatVector a02 = accumulator(acc, a0 + 2 * LANES, first);
        FloatVector a03 = accumulator(acc, a0 + 3 * LANES, first);
        FloatVector a04 = accumulator(acc, a0 + 4 * LANES, first);
        FloatVector a05 = accumulator(acc, a0 + 5 * LANES, first);
        int a1 = a0 + tokenStride;
        FloatVector a10 = accumulator(acc, a1, first);
        FloatVector a11 = accumulator(acc, a1 + LANES, first);
        FloatVector a12 = accumulator(acc, a1 + 2 * LANES, first);
        FloatVector a13 = accumulator(acc, a1 + 3 * LANES, first);
        FloatVector a14 = accumulator(acc, a1 + 4 * LANES, first);
        FloatVector a15 = accumulator(acc, a1 + 5 * LANES, first);
        int a2 = a1 + tokenStride;
        FloatVector a20 = accumulator(acc, a2, first);
        FloatVector a21 = accumulator(acc, a2 + LANES, first);
        FloatVector a22 = accumulator(acc, a2 + 2 * LANES, first);
        FloatVector a23 = accumulator(acc, a2 + 3 * LANES, first);
        FloatVector a24 = accumulator(acc, a2 + 4 * LANES, first);
        FloatVector a25 = accumulator(acc, a2 + 5 * LANES, first);
        int a3 = a2 + tokenStride;
        FloatVector a30 = accumulator(acc, a3, first);
        FloatVector a31 = accumulator(acc, a3 + LANES, first);
        FloatVector a32 = accumulator(acc, a3 + 2 * LANES, first);
        FloatVector a33 = accumulator(acc, a3 + 3 * LANES, first);
        FloatVector a34 = accumulator(acc, a3 + 4 * LANES, first);
        FloatVector a35 = accumulator(acc, a3 + 5 * LANES, first);
        for (int s = 0, p = 0, q = xo; s < steps; s++, p += PANEL_ROWS * LANES, q += TILE_TOKENS * LANES) {
            FloatVector xv0 = FloatVector.fromArray(FLOATS, packedX, q);
            FloatVector xv1 = FloatVector.fromArray(FLOATS, packedX, q + LANES);
            FloatVector xv2 = FloatVector.fromArray(FLOATS, packedX, q + 2 * LANES);
            FloatVector xv3 = FloatVector.fromArray(FLOATS, packedX, q + 3 * LANES);
            FloatVector wv = FloatVector.fromArray(FLOATS, packedW, p);
            a00 = wv.fma(xv0, a00);
            a10 = wv.fma(xv1, a10);
            a20 = wv.fma(xv2, a20);
            a30 = wv.fma(xv3, a30);
            wv = FloatVector.fromArray(FLOATS, packedW, p + LANES);
            a01 = wv.fma(xv0, a01);
            a11 = wv.fma(xv1, a11);
            a21 = wv.fma(xv2, a21);
            a31 = wv.fma(xv3, a31);
            wv = FloatVector.fromArray(FLOATS, packedW, p + 2 * LANES);
            a02 = wv.fma(xv0, a02);
            a12 = wv.fma(xv1, a12);
            a22 = wv.fma(xv2, a22);
            a32 = wv.fma(xv3, a32);
            wv = FloatVector.fromArray(FLOATS, packedW, p + 3 * LANES);
            a03 = wv.fma(xv0, a03);
            a13 = wv.fma(xv1, a13);
            a23 = wv.fma(xv2, a23);
            a33 = wv.fma(xv3, a33);
            wv = FloatVector.fromArray(FLOATS, packedW, p + 4 * LANES);
            a04 = wv.fma(xv0, a04);
            a14 = wv.fma(xv1, a14);
            a24 = wv.fma(xv2, a24);
            a34 = wv.fma(xv3, a34);
            wv = FloatVector.fromArray(FLOATS, packedW, p + 5 * LANES);
            a05 = wv.fma(xv0, a05);
            a15 = wv.fma(xv1, a15);
            a25 = wv.fma(xv2, a25);
            a35 = wv.fma(xv3, a35);
        }
        a00.intoArray(acc, a0);
        a01.intoArray(acc, a0 + LANES);
        a02.intoArray(acc, a0 + 2 * LANES);
        a03.intoArray(acc, a0 + 3 * LANES);
        a04.intoArray(acc, a0 + 4 * LANES);
        a05.intoArray(acc, a0 + 5 * LANES);
        a10.intoArray(acc, a1);
        a11.intoArray(acc, a1 + LANES);
        a12.intoArray(acc, a1 + 2 * LANES);
        a13.intoArray(acc, a1 + 3 * LANES);
        a14.intoArray(acc, a1 + 4 * LANES);
        a15.intoArray(acc, a1 + 5 * LANES);
        a20.intoArray(acc, a2);
        a21.intoArray(acc, a2 + LANES);
        a22.intoArray(acc, a2 + 2 * LANES);
        a23.intoArray(acc, a2 + 3 * LANES);
        a24.intoArray(acc, a2 + 4 * LANES);
        a25.intoArray(acc, a2 + 5 * LANES);
        a30.intoArray(acc, a3);
        a31.intoArray(acc, a3 + LANES);
        a32.intoArray(acc, a3 + 2 * LANES);
        a33.intoArray(acc, a3 + 3 * LANES);
        a34.intoArray(acc, a3 + 4 * LANES);
        a35.intoArray(acc, a3 + 5 * LANES);
    }

    /**
     * acc[at, at + LANES) = the vector accumulator of row r: fused multiply-adds over the columns
     * below the vector loop bound, in steps of LANES (the arithmetic every tile shares).
     */
    static void accumulate1(WeightMatrix w, int r, float[] x, int xo, float[] acc, int at) {
        MemorySegment data = w.data();
        DType dtype = w.dtype();
        long e = (long) r * w.cols();
        int bound = FLOATS.loopBound(w.cols());
        FloatVector a = FloatVector.zero(FLOATS);
        for (int c = 0; c < bound; c += LANES) {
            a = weights(data, dtype, e + c).fma(FloatVector.fromArray(FLOATS, x, xo + c), a);
        }
        a.intoArray(acc, at);
    }

    /** {@link #accumulate1} for rows r .. r + 3 at once (four weight rows share each load of x), stored one after another. */
    static void accumulate4(WeightMatrix w, int r, float[] x, int xo, float[] acc, int at) {
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
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + LANES);
        a2.intoArray(acc, at + 2 * LANES);
        a3.intoArray(acc, at + 3 * LANES);
    }

    /** s plus row r's columns past the vector loop bound, one fused multiply-add at a time. */
    static float leftoverColumns(WeightMatrix w, int r, float[] x, int xo, float s) {
        int cols = w.cols();
        long e = (long) r * cols;
        for (int c = FLOATS.loopBound(cols); c < cols; c++) {
            s = Math.fma(w.getFlat(e + c), x[xo + c], s);
        }
        return s;
    }

    /** A tile accumulator: zero at the first chunk, else where the previous chunk left it. */
    private static FloatVector accumulator(float[] acc, int at, boolean first) {
        return first ? FloatVector.zero(FLOATS) : FloatVector.fromArray(FLOATS, acc, at);
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
