package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorLanes.weights;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

/**
 * SIMD matrix-vector and matrix-matrix products against a {@link WeightMatrix} of an
 * {@link ElementType} (F32, BF16, F16): the vector kernels' row of those types in the weight-type
 * table ({@link VectorKernels#matvec} chooses it by type).
 *
 * <p>matvec (decode, one token) streams each weight row once: one vector accumulator per row,
 * fused multiply-adds over the columns in steps of {@link VectorLanes#LANES}, the fixed-order
 * {@link VectorLanes#sumLanes} (computed by {@link VectorLanes#sumLanesInPlace} for many rows at
 * once, same bits), then the leftover columns one fused multiply-add at a time. A block of rows is
 * read as {@link #STREAMS} distant runs side by side, which memory serves faster than neighbouring
 * rows; a row's arithmetic does not depend on which rows share its tile.
 *
 * <p>matmul (prefill) puts outputs on the lanes instead: a vector holds LANES neighbouring rows'
 * outputs for one token, and each column adds its weights times a broadcast of the token's x. No
 * lane sums are needed, which matter when a matrix has few columns (a 256-column output gets only
 * 16 vector steps, and its lane sum cost half as much again), and any column count runs at full
 * width. Each output is one chain of fused multiply-adds over the columns in order, whatever tile,
 * chunk, item or thread computes it, so the thread count never changes a bit. The two orders
 * differ in the last bits: a token's prefill logits agree with its decode logits to rounding, not
 * bit for bit.
 */
final class VectorMatrixKernels {

    /** Rows per matvec tile: four weight rows share each load of x. */
    private static final int ROWS = 4;
    /**
     * Runs of rows a matvec block reads side by side (a multiple of ROWS). A core streams memory
     * fastest along a few long sequential runs its prefetchers can follow; four neighbouring rows
     * of a small matrix (768 BF16 columns are 1.5 KiB) instead jump back and forth inside the same
     * 4 KiB pages. Eight runs raised a 1536 × 768 BF16 matvec from 0.55–0.64 to 0.76–0.79 of a
     * plain streaming read against four neighbouring rows; four runs (one tile of four rows, each
     * its own run) then took llama-1b's BF16 decode from 14.6–15.7 to 19.7–21.5 tokens/s and
     * mamba-130m's from 102–105 to 124–157 against eight (docs/performance.md, "Decode").
     */
    private static final int STREAMS = 4;
    /**
     * Most tokens whose matvecs read matvec's runs of rows ({@link #streamed}); more go through
     * {@link #tokenGroup}, which widens each weight vector once for up to eight tokens but reads
     * sixteen neighbouring rows. Alternated decode runs, 2026-12-07: at two tokens the runs gave
     * llama-1b 28.2–28.6 tokens/s against 18.3–18.8 and mamba-130m 207–209 against 113–125; at
     * four, llama-1b 38.9–39.9 against 32.5–34.9 (mamba-130m even); at five and six, llama-1b
     * 41.5–41.7 against 35.1–36.0 and 45.4–45.6 against 40.0–42.2; at eight the groups won,
     * llama-1b 54.3–55.8 against 52.1–52.2 (mamba-130m even).
     */
    static final int STREAMED_TOKENS = 7;
    /** Weight rows per matmul panel: the four vectors of outputs a tile computes. */
    static final int PANEL_ROWS = 4 * LANES;
    /** Tokens per matmul tile: six tokens share each load of the packed panel. */
    static final int TILE_TOKENS = 6;
    /**
     * Whether the register tile covers the whole panel (6 tokens × 4 vectors: 24 accumulators,
     * 4 weight vectors and a broadcast, 29 registers) or half of it at a time (6 × 2: 15). AVX-512
     * and aarch64 have 32 vector registers; AVX2 and SSE have 16, where the wide tile spills: a
     * 2048² × 256 product took 60.6 ms with it under {@code -XX:UseAVX=2} (docs/performance.md).
     */
    static final boolean WIDE_TILE = LANES >= 16 || "aarch64".equals(System.getProperty("os.arch"));
    /** Fewer tokens than this go through matvec (a tile of mostly repeated tokens would cost more). */
    static final int MIN_MATMUL_TOKENS = 4;
    /**
     * Columns per packed chunk of a panel: 128 × {@link #PANEL_ROWS} fp32 of transposed weights
     * (32 KiB with 16 lanes, 16 KiB with 8) stay in L1 while the tiles of an item stream their x
     * past them; the untransposed copy of the same chunk ({@code rowsW}) is only read while packing.
     */
    static final int CHUNK = 128;
    /** Work items a matmul aims to give each thread when it has to split tokens to get them. */
    private static final int ITEMS_PER_THREAD = 4;
    /**
     * Multiply-adds below which a parallel task costs more to schedule than it saves. A decode
     * step is full of small products (Mamba's dt_proj is 1536 × 48): with 2¹⁶ such a matvec ran on
     * one thread in 20–30 µs, split in two blocks it takes 10 µs on two (throwaway loop, 2 cores).
     * 2¹⁴ gained nothing more there and cut the L2-resident zoo models into blocks too small.
     */
    private static final int MIN_TASK_WORK = 1 << 15;

    private VectorMatrixKernels() {
    }

    static void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo) {
        streamed(w, x, xo, 1, y, yo);
    }

    /**
     * matvec for each of n tokens over the same runs of rows: each tile of four rows is read from
     * memory once and then serves every token from cache, one token's four chains at a time (so
     * each weight vector is widened once per token). The memory access is matvec's whatever n is.
     */
    private static void streamed(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo) {
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, xo, (long) n * cols, "x");
        checkRange(y.length, yo, (long) n * rows, "y");
        int tiles = ceilDiv(rows, ROWS);
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1L, (long) ROWS * cols * n));
        Parallel.forRange(tiles, grain, (from, to) -> {
            int r0 = from * ROWS;
            int r1 = Math.min(rows, to * ROWS);
            WorkBuffers buffers = WorkBuffers.acquire(TILES);
            try {
                // Token j's accumulator of slot v of a sum group at (j · LANES + v) · LANES.
                float[] acc = buffers.second(n * LANES * LANES);
                int run = (r1 - r0) / STREAMS;
                streamedRows(w, x, xo, n, y, yo, r0, run, acc);
                contiguousRows(w, x, xo, n, y, yo, r0 + STREAMS * run, r1, acc);
            } finally {
                buffers.release();
            }
        });
    }

    /**
     * y[j, ·] = W·x[j, ·] for the n rows of x from xo (into the rows of y from yo), each computed
     * with exactly {@link #matvec}'s arithmetic: a decode step of n sequences, which reads each
     * weight from memory once for all of them. Up to {@link #STREAMED_TOKENS} tokens read matvec's
     * runs of rows and take each four-row tile token by token from cache. More take the rows LANES
     * at a time, and each row's weights eight, four, two or one tokens at a time: a weight vector
     * is loaded and widened once and feeds the fused multiply-adds of that many tokens (each a
     * register block of its own size, as the matmul's tiles are), whose accumulators are then
     * summed by the same fixed-order lane sums and leftover columns as matvec's (a row's arithmetic
     * never depends on which rows or tokens share its tile). Eight tokens per weight vector took
     * llama-1b's batch of eight from 37 to 48 tokens/s against four (2026-12-07, docs/performance.md).
     */
    static void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo) {
        if (n <= STREAMED_TOKENS) {
            streamed(w, x, xo, n, y, yo);
            return;
        }
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, xo, (long) n * cols, "x");
        checkRange(y.length, yo, (long) n * rows, "y");
        if (n == 0 || rows == 0) {
            return;
        }
        int groups = ceilDiv(rows, LANES);
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1L, (long) LANES * cols * n));
        Parallel.forRange(groups, grain, (from, to) -> {
            WorkBuffers buffers = WorkBuffers.acquire(TILES);
            try {
                // Token j's accumulator of row k of the group at (j · LANES + k) · LANES.
                float[] acc = buffers.second(n * LANES * LANES);
                for (int g = from; g < to; g++) {
                    tokenGroup(w, x, xo, n, y, yo, g * LANES, Math.min(rows, (g + 1) * LANES), acc);
                }
            } finally {
                buffers.release();
            }
        });
    }

    /**
     * Columns per block of {@link #matvecs}: the block's x of eight tokens (8 KiB) and of the
     * group's weights stay in L1 while every row and token of the group reads them, where whole
     * rows of x (8 tokens × 2048 fp32 = 64 KiB) came from L2 again for each weight row.
     */
    private static final int COLUMN_BLOCK = 512;

    /**
     * Rows [r0, r1) (at most LANES) of {@link #matvecs} for all n tokens, a block of columns at a
     * time: each (row, token) accumulator waits in {@code acc} between blocks, so its chain of
     * fused multiply-adds over the columns is the one matvec computes.
     */
    private static void tokenGroup(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo, int r0, int r1,
                                   float[] acc) {
        int cols = w.cols();
        int rows = w.rows();
        int tokenStride = LANES * LANES;
        int bound = FLOATS.loopBound(cols);
        Arrays.fill(acc, 0, n * tokenStride, 0f);
        for (int c0 = 0; c0 < bound; c0 += COLUMN_BLOCK) {
            int c1 = Math.min(bound, c0 + COLUMN_BLOCK);
            for (int r = r0; r < r1; r++) {
                int at = (r - r0) * LANES;
                int j = 0;
                for (; j + 8 <= n; j += 8) {
                    accumulateTokens8(w, r, c0, c1, x, xo + j * cols, cols, acc, j * tokenStride + at, tokenStride);
                }
                for (; j + 4 <= n; j += 4) {
                    accumulateTokens4(w, r, c0, c1, x, xo + j * cols, cols, acc, j * tokenStride + at, tokenStride);
                }
                for (; j + 2 <= n; j += 2) {
                    accumulateTokens2(w, r, c0, c1, x, xo + j * cols, cols, acc, j * tokenStride + at, tokenStride);
                }
                for (; j < n; j++) {
                    accumulateToken(w, r, c0, c1, x, xo + j * cols, acc, j * tokenStride + at);
                }
            }
        }
        VectorLanes.sumLanesInPlace(acc, n * LANES);
        for (int j = 0; j < n; j++) {
            for (int r = r0; r < r1; r++) {
                y[yo + j * rows + r] = leftoverColumns(w, r, x, xo + j * cols, acc[j * LANES + r - r0]);
            }
        }
    }

    /**
     * Advances the accumulators of row r for four tokens over columns [c0, c1) (multiples of
     * LANES): x of token j at xo + j · stride, its accumulator at at + j · accStride. Each weight
     * vector is widened once for the four; each token's chain is {@link #accumulate1}'s.
     */
    static void accumulateTokens4(WeightMatrix w, int r, int c0, int c1, float[] x, int xo, int stride, float[] acc,
                                  int at, int accStride) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        long e = (long) r * w.cols();
        FloatVector a0 = FloatVector.fromArray(FLOATS, acc, at);
        FloatVector a1 = FloatVector.fromArray(FLOATS, acc, at + accStride);
        FloatVector a2 = FloatVector.fromArray(FLOATS, acc, at + 2 * accStride);
        FloatVector a3 = FloatVector.fromArray(FLOATS, acc, at + 3 * accStride);
        for (int c = c0; c < c1; c += LANES) {
            FloatVector wv = weights(data, type, e + c);
            a0 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + stride + c), a1);
            a2 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 2 * stride + c), a2);
            a3 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 3 * stride + c), a3);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + accStride);
        a2.intoArray(acc, at + 2 * accStride);
        a3.intoArray(acc, at + 3 * accStride);
    }

    /** {@link #accumulateTokens4} for eight tokens: one widened weight vector feeds eight. */
    static void accumulateTokens8(WeightMatrix w, int r, int c0, int c1, float[] x, int xo, int stride, float[] acc,
                                  int at, int accStride) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        long e = (long) r * w.cols();
        FloatVector a0 = FloatVector.fromArray(FLOATS, acc, at);
        FloatVector a1 = FloatVector.fromArray(FLOATS, acc, at + accStride);
        FloatVector a2 = FloatVector.fromArray(FLOATS, acc, at + 2 * accStride);
        FloatVector a3 = FloatVector.fromArray(FLOATS, acc, at + 3 * accStride);
        FloatVector a4 = FloatVector.fromArray(FLOATS, acc, at + 4 * accStride);
        FloatVector a5 = FloatVector.fromArray(FLOATS, acc, at + 5 * accStride);
        FloatVector a6 = FloatVector.fromArray(FLOATS, acc, at + 6 * accStride);
        FloatVector a7 = FloatVector.fromArray(FLOATS, acc, at + 7 * accStride);
        for (int c = c0; c < c1; c += LANES) {
            FloatVector wv = weights(data, type, e + c);
            a0 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + stride + c), a1);
            a2 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 2 * stride + c), a2);
            a3 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 3 * stride + c), a3);
            a4 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 4 * stride + c), a4);
            a5 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 5 * stride + c), a5);
            a6 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 6 * stride + c), a6);
            a7 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + 7 * stride + c), a7);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + accStride);
        a2.intoArray(acc, at + 2 * accStride);
        a3.intoArray(acc, at + 3 * accStride);
        a4.intoArray(acc, at + 4 * accStride);
        a5.intoArray(acc, at + 5 * accStride);
        a6.intoArray(acc, at + 6 * accStride);
        a7.intoArray(acc, at + 7 * accStride);
    }

    /** {@link #accumulateTokens4} for two tokens. */
    static void accumulateTokens2(WeightMatrix w, int r, int c0, int c1, float[] x, int xo, int stride, float[] acc,
                                  int at, int accStride) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        long e = (long) r * w.cols();
        FloatVector a0 = FloatVector.fromArray(FLOATS, acc, at);
        FloatVector a1 = FloatVector.fromArray(FLOATS, acc, at + accStride);
        for (int c = c0; c < c1; c += LANES) {
            FloatVector wv = weights(data, type, e + c);
            a0 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(FLOATS, x, xo + stride + c), a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + accStride);
    }

    /** {@link #accumulateTokens4} for one token. */
    static void accumulateToken(WeightMatrix w, int r, int c0, int c1, float[] x, int xo, float[] acc, int at) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        long e = (long) r * w.cols();
        FloatVector a = FloatVector.fromArray(FLOATS, acc, at);
        for (int c = c0; c < c1; c += LANES) {
            a = weights(data, type, e + c).fma(FloatVector.fromArray(FLOATS, x, xo + c), a);
        }
        a.intoArray(acc, at);
    }

    /**
     * Rows [r0, r0 + STREAMS·run) of a matvec for n tokens, read as STREAMS runs of {@code run}
     * rows side by side: accumulate4 call k takes the (k / (STREAMS / ROWS))-th row of four of the
     * runs (see {@link #streamRow}), once per token. Every LANES / ROWS calls, one in-place pass
     * sums their accumulators (sumLanesInPlace), then each row adds its leftover columns. A row's
     * arithmetic is the same whichever rows or tokens share its tile.
     */
    private static void streamedRows(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo, int r0, int run,
                                     float[] acc) {
        int cols = w.cols();
        int rows = w.rows();
        int calls = STREAMS / ROWS * run;
        int callsPerSum = LANES / ROWS;
        for (int k0 = 0; k0 < calls; k0 += callsPerSum) {
            int k1 = Math.min(calls, k0 + callsPerSum);
            for (int k = k0; k < k1; k++) {
                for (int j = 0; j < n; j++) {
                    accumulate4(w, streamRow(r0, run, k, 0), run, x, xo + j * cols, acc,
                            (j * LANES + (k - k0) * ROWS) * LANES);
                }
            }
            VectorLanes.sumLanesInPlace(acc, n * LANES);
            for (int j = 0; j < n; j++) {
                for (int v = 0; v < (k1 - k0) * ROWS; v++) {
                    int r = streamRow(r0, run, k0 + v / ROWS, v % ROWS);
                    y[yo + j * rows + r] = leftoverColumns(w, r, x, xo + j * cols, acc[j * LANES + v]);
                }
            }
        }
    }

    /**
     * The row that accumulator j of streamedRows' call k reads: row k / (STREAMS/ROWS) of run
     * ROWS·(k mod STREAMS/ROWS) + j.
     */
    private static int streamRow(int r0, int run, int k, int j) {
        int quads = STREAMS / ROWS;
        return r0 + (ROWS * (k % quads) + j) * run + k / quads;
    }

    /**
     * Rows [r0, r1) of a matvec for n tokens, LANES neighbouring rows at a time: what is left
     * after the runs, fewer than STREAMS rows.
     */
    private static void contiguousRows(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo, int r0, int r1,
                                       float[] acc) {
        int cols = w.cols();
        int rows = w.rows();
        for (int group = r0; group < r1; group += LANES) {
            int groupEnd = Math.min(r1, group + LANES);
            for (int j = 0; j < n; j++) {
                int at = j * LANES;
                int r = group;
                for (; r + ROWS <= groupEnd; r += ROWS) {
                    accumulate4(w, r, 1, x, xo + j * cols, acc, (at + r - group) * LANES);
                }
                for (; r < groupEnd; r++) {
                    accumulate1(w, r, x, xo + j * cols, acc, (at + r - group) * LANES);
                }
            }
            VectorLanes.sumLanesInPlace(acc, n * LANES);
            for (int j = 0; j < n; j++) {
                for (int r = group; r < groupEnd; r++) {
                    y[yo + j * rows + r] = leftoverColumns(w, r, x, xo + j * cols, acc[j * LANES + r - group]);
                }
            }
        }
    }

    /**
     * y[i, ·] = W·x[i, ·] for t tokens. Fewer than {@link #MIN_MATMUL_TOKENS} tokens go through
     * {@link #matvecs} (matvec's arithmetic). More are split into work items of one panel of {@link #PANEL_ROWS} weight rows and a
     * run of token tiles (see {@link PanelMatmul}); a matrix too narrow to give every thread
     * panels of its own splits its tokens as well. Which item or thread computes an output does
     * not change it: each output is one chain of fused multiply-adds over the columns in order.
     */
    static void matmul(WeightMatrix w, float[] x, int xo, int t, float[] y, int yo) {
        matmul(w, x, xo, t, y, yo, WIDE_TILE);
    }

    /** {@link #matmul} with the tile shape chosen by the caller (tests run both on any machine). */
    static void matmul(WeightMatrix w, float[] x, int t, float[] y, boolean wideTile) {
        matmul(w, x, 0, t, y, 0, wideTile);
    }

    /**
     * {@link #matmul} of the t rows of x from offset xo into the rows of y from offset yo, with
     * the tile shape chosen by the caller.
     */
    static void matmul(WeightMatrix w, float[] x, int xo, int t, float[] y, int yo, boolean wideTile) {
        int rows = w.rows();
        int cols = w.cols();
        checkRange(x.length, xo, (long) t * cols, "x");
        checkRange(y.length, yo, (long) t * rows, "y");
        if (t == 0 || rows == 0) {
            return;
        }
        if (t < MIN_MATMUL_TOKENS) {
            if (w.type() instanceof QuantizedType) {
                VectorQuantKernels.matvecs(w, x, xo, t, y, yo);
            } else {
                matvecs(w, x, xo, t, y, yo);
            }
            return;
        }
        int panels = ceilDiv(rows, PANEL_ROWS);
        int tiles = ceilDiv(t, TILE_TOKENS);
        int groups = Math.clamp(ceilDiv(ITEMS_PER_THREAD * Parallel.threads(), panels), 1, tiles);
        int tilesPerGroup = ceilDiv(tiles, groups);
        int groupCount = ceilDiv(tiles, tilesPerGroup);
        int groupTokens = tilesPerGroup * TILE_TOKENS;
        long itemWork = (long) PANEL_ROWS * cols * groupTokens;
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1, itemWork));
        Parallel.forRange(panels * groupCount, grain, (from, to) -> {
            WorkBuffers buffers = WorkBuffers.acquire(TILES);
            try {
                PanelMatmul worker = new PanelMatmul(w, x, xo, y, yo, buffers, groupTokens, wideTile);
                for (int item = from; item < to; item++) {
                    int t0 = (item % groupCount) * groupTokens;
                    worker.run((item / groupCount) * PANEL_ROWS, t0, Math.min(t, t0 + groupTokens));
                }
            } finally {
                buffers.release();
            }
        });
    }

    /** A worker's accumulators and packed weights, held for one block of rows or work items. */
    private static final ThreadLocal<WorkBuffers> TILES = ThreadLocal.withInitial(WorkBuffers::new);

    /**
     * One worker's share of a matmul, an item at a time: weight rows [r0, r0 + PANEL_ROWS) for
     * tokens [t0, t1). The columns are taken {@link #CHUNK} at a time: the chunk of the panel is
     * widened and transposed into {@code packedW} ([column][PANEL_ROWS], rows past the matrix as
     * zeros), which stays in L1 while every tile of the item's tokens runs {@link #tile} over it.
     * The accumulators start as zeros in {@code acc} ([token][PANEL_ROWS]), wait there between
     * chunks, and are copied into y after the last one. (The tiles used to choose between a zero
     * and a load for each accumulator; with that choice C2 needed 46 MB of compiler memory for the
     * wide tile, the largest compilation of a run and part of its peak resident memory, against
     * 33 MB without it: -XX:CompileCommand=MemStat, mamba-130m bench.)
     */
    private static final class PanelMatmul {
        private final WeightMatrix w;
        private final MemorySegment data;
        private final WeightType type;
        private final int rows;
        private final int cols;
        private final float[] x;
        private final int xo;
        private final float[] y;
        private final int yo;
        private final float[] packedW;
        private final float[] acc;
        /** The chunk of the panel widened but not yet transposed, [PANEL_ROWS][CHUNK]. */
        private final float[] rowsW;
        private final boolean wideTile;

        PanelMatmul(WeightMatrix w, float[] x, int xo, float[] y, int yo, WorkBuffers buffers, int groupTokens,
                    boolean wideTile) {
            this.xo = xo;
            this.yo = yo;
            this.w = w;
            this.data = w.data();
            this.type = w.type();
            this.rows = w.rows();
            this.cols = w.cols();
            this.x = x;
            this.y = y;
            this.packedW = buffers.first(CHUNK * PANEL_ROWS);
            this.acc = buffers.second(groupTokens * PANEL_ROWS);
            this.rowsW = buffers.third(CHUNK * PANEL_ROWS);
            this.wideTile = wideTile;
        }

        void run(int r0, int t0, int t1) {
            int width = Math.min(PANEL_ROWS, rows - r0);
            Arrays.fill(acc, 0, ceilDiv(t1 - t0, TILE_TOKENS) * TILE_TOKENS * PANEL_ROWS, 0f);
            for (int c0 = 0; c0 < cols; c0 += CHUNK) {
                int chunk = Math.min(CHUNK, cols - c0);
                packTransposed(r0, width, c0, chunk);
                for (int i = t0; i < t1; i += TILE_TOKENS) {
                    int valid = Math.min(TILE_TOKENS, t1 - i);
                    int a0 = (i - t0) * PANEL_ROWS;
                    if (wideTile) {
                        tile(packedW, chunk, x, xo + i * cols + c0, cols, valid, acc, a0);
                    } else {
                        halfTile(packedW, 0, chunk, x, xo + i * cols + c0, cols, valid, acc, a0);
                        halfTile(packedW, 2 * LANES, chunk, x, xo + i * cols + c0, cols, valid, acc, a0);
                    }
                }
            }
            for (int i = t0; i < t1; i++) {
                System.arraycopy(acc, (i - t0) * PANEL_ROWS, y, yo + i * rows + r0, width);
            }
        }

        /**
         * packedW[c][k] = W[r0 + k, c0 + c] widened, for c below {@code chunk}; rows at or past
         * {@code width} are zeros. One loop per dtype, so that each body is a load, a widening
         * and a store;
         * a type without a loop here is refused, never read as another.
         */
        private void packTransposed(int r0, int width, int c0, int chunk) {
            // First the panel's rows widened as they are stored ([PANEL_ROWS][CHUNK], sequential
            // loads and stores), then each column gathered from them, LANES rows per gather.
            int bound = FLOATS.loopBound(chunk);
            for (int k = 0; k < PANEL_ROWS; k++) {
                int at = k * CHUNK;
                if (k >= width) {
                    Arrays.fill(rowsW, at, at + chunk, 0f);
                    continue;
                }
                long e = (long) (r0 + k) * cols + c0;
                int c = 0;
                if (type instanceof QuantizedType q) {
                    // Rows of a block type hold whole blocks, chunks are multiples of 32.
                    VectorQuantKernels.decode(q, data, e, chunk, rowsW, at);
                    c = chunk;
                } else if (type == ElementType.BF16) {
                    for (; c < bound; c += LANES) {
                        VectorLanes.bf16(data, (e + c) * 2).intoArray(rowsW, at + c);
                    }
                } else if (type == ElementType.F32) {
                    for (; c < bound; c += LANES) {
                        FloatVector.fromMemorySegment(FLOATS, data, (e + c) * 4, VectorLanes.LE).intoArray(rowsW, at + c);
                    }
                } else if (type == ElementType.F16) {
                    for (; c < bound; c += LANES) {
                        VectorLanes.f16(data, (e + c) * 2).intoArray(rowsW, at + c);
                    }
                } else {
                    throw new IllegalArgumentException("no vector load for " + type);
                }
                for (; c < chunk; c++) {
                    rowsW[at + c] = w.getFlat(e + c);
                }
            }
            for (int c = 0, at = 0; c < chunk; c++, at += PANEL_ROWS) {
                for (int v = 0; v < PANEL_ROWS; v += LANES) {
                    FloatVector.fromArray(FLOATS, rowsW, v * CHUNK + c, ROW_SLOTS, 0).intoArray(packedW, at + v);
                }
            }
        }
    }

    /** Lane j of a gathered column comes from row j of the widened panel. */
    private static final int[] ROW_SLOTS = java.util.stream.IntStream.range(0, LANES).map(j -> j * CHUNK).toArray();

    /**
     * The register tile: {@link #TILE_TOKENS} tokens × the four vectors of a panel's outputs, 24
     * accumulators loaded from {@code acc} (token j at a0 + j · PANEL_ROWS; the item zeroed them
     * before its first chunk), advanced over {@code columns} columns, stored back. Each column
     * loads the panel's four weight vectors and broadcasts each token's x once: 10 loads feed 24
     * fused multiply-adds (a 12-token × 2-vector tile, 14 loads, measured 25–35 % slower), and 24
     * accumulators, 4 weight vectors and the broadcasts fit the 32 AVX-512 registers. Token j
     * reads x from xo + j · stride; a tile with only {@code valid} tokens repeats the last one
     * (its extra outputs are never copied out).
     */
    static void tile(float[] w, int columns, float[] x, int xo, int stride, int valid, float[] acc, int a0) {
        int o0 = xo;
        int o1 = xo + Math.min(1, valid - 1) * stride;
        int o2 = xo + Math.min(2, valid - 1) * stride;
        int o3 = xo + Math.min(3, valid - 1) * stride;
        int o4 = xo + Math.min(4, valid - 1) * stride;
        int o5 = xo + Math.min(5, valid - 1) * stride;
        // aJV: token J, output vector V.
        FloatVector a00 = FloatVector.fromArray(FLOATS, acc, a0);
        FloatVector a01 = FloatVector.fromArray(FLOATS, acc, a0 + LANES);
        FloatVector a02 = FloatVector.fromArray(FLOATS, acc, a0 + 2 * LANES);
        FloatVector a03 = FloatVector.fromArray(FLOATS, acc, a0 + 3 * LANES);
        FloatVector a10 = FloatVector.fromArray(FLOATS, acc, a0 + PANEL_ROWS);
        FloatVector a11 = FloatVector.fromArray(FLOATS, acc, a0 + PANEL_ROWS + LANES);
        FloatVector a12 = FloatVector.fromArray(FLOATS, acc, a0 + PANEL_ROWS + 2 * LANES);
        FloatVector a13 = FloatVector.fromArray(FLOATS, acc, a0 + PANEL_ROWS + 3 * LANES);
        FloatVector a20 = FloatVector.fromArray(FLOATS, acc, a0 + 2 * PANEL_ROWS);
        FloatVector a21 = FloatVector.fromArray(FLOATS, acc, a0 + 2 * PANEL_ROWS + LANES);
        FloatVector a22 = FloatVector.fromArray(FLOATS, acc, a0 + 2 * PANEL_ROWS + 2 * LANES);
        FloatVector a23 = FloatVector.fromArray(FLOATS, acc, a0 + 2 * PANEL_ROWS + 3 * LANES);
        FloatVector a30 = FloatVector.fromArray(FLOATS, acc, a0 + 3 * PANEL_ROWS);
        FloatVector a31 = FloatVector.fromArray(FLOATS, acc, a0 + 3 * PANEL_ROWS + LANES);
        FloatVector a32 = FloatVector.fromArray(FLOATS, acc, a0 + 3 * PANEL_ROWS + 2 * LANES);
        FloatVector a33 = FloatVector.fromArray(FLOATS, acc, a0 + 3 * PANEL_ROWS + 3 * LANES);
        FloatVector a40 = FloatVector.fromArray(FLOATS, acc, a0 + 4 * PANEL_ROWS);
        FloatVector a41 = FloatVector.fromArray(FLOATS, acc, a0 + 4 * PANEL_ROWS + LANES);
        FloatVector a42 = FloatVector.fromArray(FLOATS, acc, a0 + 4 * PANEL_ROWS + 2 * LANES);
        FloatVector a43 = FloatVector.fromArray(FLOATS, acc, a0 + 4 * PANEL_ROWS + 3 * LANES);
        FloatVector a50 = FloatVector.fromArray(FLOATS, acc, a0 + 5 * PANEL_ROWS);
        FloatVector a51 = FloatVector.fromArray(FLOATS, acc, a0 + 5 * PANEL_ROWS + LANES);
        FloatVector a52 = FloatVector.fromArray(FLOATS, acc, a0 + 5 * PANEL_ROWS + 2 * LANES);
        FloatVector a53 = FloatVector.fromArray(FLOATS, acc, a0 + 5 * PANEL_ROWS + 3 * LANES);
        for (int c = 0, p = 0; c < columns; c++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, p);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, p + LANES);
            FloatVector w2 = FloatVector.fromArray(FLOATS, w, p + 2 * LANES);
            FloatVector w3 = FloatVector.fromArray(FLOATS, w, p + 3 * LANES);
            FloatVector b0 = FloatVector.broadcast(FLOATS, x[o0 + c]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            a02 = w2.fma(b0, a02);
            a03 = w3.fma(b0, a03);
            FloatVector b1 = FloatVector.broadcast(FLOATS, x[o1 + c]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            a12 = w2.fma(b1, a12);
            a13 = w3.fma(b1, a13);
            FloatVector b2 = FloatVector.broadcast(FLOATS, x[o2 + c]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            a22 = w2.fma(b2, a22);
            a23 = w3.fma(b2, a23);
            FloatVector b3 = FloatVector.broadcast(FLOATS, x[o3 + c]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            a32 = w2.fma(b3, a32);
            a33 = w3.fma(b3, a33);
            FloatVector b4 = FloatVector.broadcast(FLOATS, x[o4 + c]);
            a40 = w0.fma(b4, a40);
            a41 = w1.fma(b4, a41);
            a42 = w2.fma(b4, a42);
            a43 = w3.fma(b4, a43);
            FloatVector b5 = FloatVector.broadcast(FLOATS, x[o5 + c]);
            a50 = w0.fma(b5, a50);
            a51 = w1.fma(b5, a51);
            a52 = w2.fma(b5, a52);
            a53 = w3.fma(b5, a53);
        }
        a00.intoArray(acc, a0);
        a01.intoArray(acc, a0 + LANES);
        a02.intoArray(acc, a0 + 2 * LANES);
        a03.intoArray(acc, a0 + 3 * LANES);
        a10.intoArray(acc, a0 + PANEL_ROWS);
        a11.intoArray(acc, a0 + PANEL_ROWS + LANES);
        a12.intoArray(acc, a0 + PANEL_ROWS + 2 * LANES);
        a13.intoArray(acc, a0 + PANEL_ROWS + 3 * LANES);
        a20.intoArray(acc, a0 + 2 * PANEL_ROWS);
        a21.intoArray(acc, a0 + 2 * PANEL_ROWS + LANES);
        a22.intoArray(acc, a0 + 2 * PANEL_ROWS + 2 * LANES);
        a23.intoArray(acc, a0 + 2 * PANEL_ROWS + 3 * LANES);
        a30.intoArray(acc, a0 + 3 * PANEL_ROWS);
        a31.intoArray(acc, a0 + 3 * PANEL_ROWS + LANES);
        a32.intoArray(acc, a0 + 3 * PANEL_ROWS + 2 * LANES);
        a33.intoArray(acc, a0 + 3 * PANEL_ROWS + 3 * LANES);
        a40.intoArray(acc, a0 + 4 * PANEL_ROWS);
        a41.intoArray(acc, a0 + 4 * PANEL_ROWS + LANES);
        a42.intoArray(acc, a0 + 4 * PANEL_ROWS + 2 * LANES);
        a43.intoArray(acc, a0 + 4 * PANEL_ROWS + 3 * LANES);
        a50.intoArray(acc, a0 + 5 * PANEL_ROWS);
        a51.intoArray(acc, a0 + 5 * PANEL_ROWS + LANES);
        a52.intoArray(acc, a0 + 5 * PANEL_ROWS + 2 * LANES);
        a53.intoArray(acc, a0 + 5 * PANEL_ROWS + 3 * LANES);
    }

    /**
     * {@link #tile} for two of the panel's four output vectors, those from {@code v0} (0 or
     * 2 · LANES): 12 accumulators, 2 weight vectors and a broadcast, which fit 16 registers. Each
     * output is the same chain of fused multiply-adds as in the wide tile.
     */
    static void halfTile(float[] w, int v0, int columns, float[] x, int xo, int stride, int valid,
                         float[] acc, int a0) {
        int o0 = xo;
        int o1 = xo + Math.min(1, valid - 1) * stride;
        int o2 = xo + Math.min(2, valid - 1) * stride;
        int o3 = xo + Math.min(3, valid - 1) * stride;
        int o4 = xo + Math.min(4, valid - 1) * stride;
        int o5 = xo + Math.min(5, valid - 1) * stride;
        int a = a0 + v0;
        // aJV: token J, output vector v0 / LANES + V.
        FloatVector a00 = FloatVector.fromArray(FLOATS, acc, a);
        FloatVector a01 = FloatVector.fromArray(FLOATS, acc, a + LANES);
        FloatVector a10 = FloatVector.fromArray(FLOATS, acc, a + PANEL_ROWS);
        FloatVector a11 = FloatVector.fromArray(FLOATS, acc, a + PANEL_ROWS + LANES);
        FloatVector a20 = FloatVector.fromArray(FLOATS, acc, a + 2 * PANEL_ROWS);
        FloatVector a21 = FloatVector.fromArray(FLOATS, acc, a + 2 * PANEL_ROWS + LANES);
        FloatVector a30 = FloatVector.fromArray(FLOATS, acc, a + 3 * PANEL_ROWS);
        FloatVector a31 = FloatVector.fromArray(FLOATS, acc, a + 3 * PANEL_ROWS + LANES);
        FloatVector a40 = FloatVector.fromArray(FLOATS, acc, a + 4 * PANEL_ROWS);
        FloatVector a41 = FloatVector.fromArray(FLOATS, acc, a + 4 * PANEL_ROWS + LANES);
        FloatVector a50 = FloatVector.fromArray(FLOATS, acc, a + 5 * PANEL_ROWS);
        FloatVector a51 = FloatVector.fromArray(FLOATS, acc, a + 5 * PANEL_ROWS + LANES);
        for (int c = 0, p = v0; c < columns; c++, p += PANEL_ROWS) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, p);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, p + LANES);
            FloatVector b0 = FloatVector.broadcast(FLOATS, x[o0 + c]);
            a00 = w0.fma(b0, a00);
            a01 = w1.fma(b0, a01);
            FloatVector b1 = FloatVector.broadcast(FLOATS, x[o1 + c]);
            a10 = w0.fma(b1, a10);
            a11 = w1.fma(b1, a11);
            FloatVector b2 = FloatVector.broadcast(FLOATS, x[o2 + c]);
            a20 = w0.fma(b2, a20);
            a21 = w1.fma(b2, a21);
            FloatVector b3 = FloatVector.broadcast(FLOATS, x[o3 + c]);
            a30 = w0.fma(b3, a30);
            a31 = w1.fma(b3, a31);
            FloatVector b4 = FloatVector.broadcast(FLOATS, x[o4 + c]);
            a40 = w0.fma(b4, a40);
            a41 = w1.fma(b4, a41);
            FloatVector b5 = FloatVector.broadcast(FLOATS, x[o5 + c]);
            a50 = w0.fma(b5, a50);
            a51 = w1.fma(b5, a51);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + LANES);
        a10.intoArray(acc, a + PANEL_ROWS);
        a11.intoArray(acc, a + PANEL_ROWS + LANES);
        a20.intoArray(acc, a + 2 * PANEL_ROWS);
        a21.intoArray(acc, a + 2 * PANEL_ROWS + LANES);
        a30.intoArray(acc, a + 3 * PANEL_ROWS);
        a31.intoArray(acc, a + 3 * PANEL_ROWS + LANES);
        a40.intoArray(acc, a + 4 * PANEL_ROWS);
        a41.intoArray(acc, a + 4 * PANEL_ROWS + LANES);
        a50.intoArray(acc, a + 5 * PANEL_ROWS);
        a51.intoArray(acc, a + 5 * PANEL_ROWS + LANES);
    }

    /**
     * acc[at, at + LANES) = the vector accumulator of row r: fused multiply-adds over the columns
     * below the vector loop bound, in steps of LANES (the arithmetic every tile shares).
     */
    static void accumulate1(WeightMatrix w, int r, float[] x, int xo, float[] acc, int at) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        long e = (long) r * w.cols();
        int bound = FLOATS.loopBound(w.cols());
        FloatVector a = FloatVector.zero(FLOATS);
        for (int c = 0; c < bound; c += LANES) {
            a = weights(data, type, e + c).fma(FloatVector.fromArray(FLOATS, x, xo + c), a);
        }
        a.intoArray(acc, at);
    }

    /**
     * {@link #accumulate1} for rows r, r + stride, r + 2·stride and r + 3·stride at once (four
     * weight rows share each load of x), stored one after another.
     */
    static void accumulate4(WeightMatrix w, int r, int stride, float[] x, int xo, float[] acc, int at) {
        MemorySegment data = w.data();
        ElementType type = (ElementType) w.type();
        int cols = w.cols();
        long gap = (long) stride * cols;
        long e0 = (long) r * cols;
        long e1 = e0 + gap;
        long e2 = e1 + gap;
        long e3 = e2 + gap;
        int bound = FLOATS.loopBound(cols);
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int c = 0; c < bound; c += LANES) {
            FloatVector xv = FloatVector.fromArray(FLOATS, x, xo + c);
            a0 = weights(data, type, e0 + c).fma(xv, a0);
            a1 = weights(data, type, e1 + c).fma(xv, a1);
            a2 = weights(data, type, e2 + c).fma(xv, a2);
            a3 = weights(data, type, e3 + c).fma(xv, a3);
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

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static void checkRange(int length, long offset, long count, String what) {
        if (offset < 0 || offset + count > length) {
            throw new IndexOutOfBoundsException(what + " needs " + count + " floats from offset " + offset
                    + " but has length " + length);
        }
    }
}
