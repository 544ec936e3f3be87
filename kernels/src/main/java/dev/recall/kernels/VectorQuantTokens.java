package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorQuantKernels.BY_DECODE;
import static dev.recall.kernels.VectorQuantKernels.MIN_TASK_WORK;
import static dev.recall.kernels.VectorQuantKernels.UNIT;
import static dev.recall.kernels.VectorQuantKernels.broadcast;
import static dev.recall.kernels.VectorQuantKernels.floats;
import static dev.recall.kernels.VectorQuantKernels.unsigned;
import static dev.recall.kernels.VectorQuantKernels.x;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The quantized matvecs of several tokens (a batched decode step) for the K-quants:
 * each weight row's quants are widened to floats once, into a row buffer, and every token then
 * runs the single-row kernel's chain of multiply-adds over that buffer. The fused kernels widen
 * the quants again for every token, so a step of eight sequences cost nearly eight single steps
 * (llama-1b Q4_K_M: 17.1 tokens/s at eight against 14.4 at one, 2026-12-08).
 *
 * <p>The chain of each token is exactly that of {@code VectorQuantKernels.dot}: the same fused
 * multiply-adds in the same order, with the loads of widened quants replaced by loads of the same
 * floats (a quant widened to fp32 is exact), so every token keeps matvec's bits. Where the vector
 * kernels decode the K-quants into weights first ({@link VectorQuantKernels#BY_DECODE}), the
 * buffer holds the decoded weights of the row, as dotByDecode computes them, instead.
 */
final class VectorQuantTokens {

    /**
     * Fewest tokens that go through the row buffer. At two, Q4_K and Q6_K take their pair kernels
     * ({@code VectorQuantKernels}: each block widened once for both tokens; Q4_K 9.6 → 11.9–13.1,
     * Q6_K 6.7–7.3 → 11.4–11.7 Gweights/s of matrix at two tokens, 2048 × 5632, two threads, from
     * DRAM, against the fused kernels run once per token). From three on the buffer: the pairs read
     * every weight once per pair, and which wins then depends on the model (2026-12-08, decode
     * tokens/s: llama-1b Q4_K_M at four tokens 22.8–23.0 with the buffer, 22.1–23.1 with pairs;
     * at eight 26.0–26.2 against 21.8–23.0; mamba-130m Q4_K_M, whose rows are 768 and 1,536
     * columns, at four 160.6–172.3 against 126.7–131.0). Q4_0's fused kernel is cheap enough that
     * the buffer never won (5.8 against 6.0 at eight), so it has none.
     */
    static final int MIN_TOKENS = 3;

    private VectorQuantTokens() {
    }

    /** Whether the several-token matvec of {@code type} goes through a row buffer. */
    static boolean applies(QuantizedType type) {
        return type == QuantizedType.Q4_K || type == QuantizedType.Q5_K || type == QuantizedType.Q6_K;
    }

    /**
     * y[j, ·] = W·x[j, ·] for n tokens ({@link #applies}); {@code sums[j · cols/32 + g]} is Σx of
     * token j over columns [32g, 32g + 32).
     */
    static void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] sums, float[] y, int yo) {
        QuantizedType type = (QuantizedType) w.type();
        int rows = w.rows();
        int cols = w.cols();
        int groups = cols / 32;
        int blocks = cols / type.blockElements();
        long rowBytes = type.rowBytes(cols);
        MemorySegment data = w.data();
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1L, (long) cols * n));
        Parallel.forRange(rows, grain, (from, to) -> {
            WorkBuffers buffers = WorkBuffers.acquire(ROWS);
            try {
                rows(type, data, rowBytes, blocks, from, to, x, xo, n, sums, groups, y, yo, rows, cols, buffers);
            } finally {
                buffers.release();
            }
        });
    }

    /** A thread's row buffer and scales, reused from call to call. */
    private static final ThreadLocal<WorkBuffers> ROWS = ThreadLocal.withInitial(WorkBuffers::new);

    /** Where the four tokens' accumulators wait for their lane sums in {@code small}. */
    private static final int PARK = 20;

    /**
     * Rows [from, to) of {@link #matvecs}. {@code small} holds a block's sixteen scales while a row
     * is widened, the four tokens' results at 16–19 and their accumulators from {@link #PARK}.
     */
    private static void rows(QuantizedType type, MemorySegment data, long rowBytes, int blocks, int from, int to, float[] x,
                             int xo, int n, float[] sums, int groups, float[] y, int yo, int rows, int cols,
                             WorkBuffers buffers) {
        float[] quants = buffers.first(cols);
        float[] scales = buffers.second(blocks * 16);
        float[] small = buffers.third(PARK + 4 * LANES);
        int[] at = new int[4];
        for (int r = from; r < to; r++) {
            widen(type, data, r * rowBytes, blocks, quants, scales, small);
            for (int j = 0; j < n; j += 4) {
                // Four tokens' chains side by side, so that each hides the others' latency; a
                // last group of fewer repeats its last token (the repeats are not stored).
                for (int k = 0; k < 4; k++) {
                    at[k] = Math.min(j + k, n - 1);
                }
                tokens(type, quants, scales, blocks, x, xo, cols, sums, groups, at, small);
                for (int k = 0; k < 4 && j + k < n; k++) {
                    y[yo + (j + k) * rows + r] = small[16 + k];
                }
            }
        }
    }

    /** The row's quants widened to floats (or its weights decoded) and its per-block scales. */
    private static void widen(QuantizedType type, MemorySegment s, long row, int blocks, float[] quants,
                              float[] scales, float[] sixteen) {
        if (BY_DECODE) {
            int runs = type.blockElements() / 32;
            for (int blk = 0; blk < blocks; blk++) {
                long b = row + (long) blk * type.blockBytes();
                for (int g = 0; g < runs; g++) {
                    VectorQuantKernels.decode32(type, s, b, g, quants, (blk * runs + g) * 32);
                }
            }
            return;
        }
        switch (type) {
            case Q4_K -> widenQ4_K(s, row, blocks, quants, scales, sixteen);
            case Q5_K -> widenQ5_K(s, row, blocks, quants, scales, sixteen);
            case Q6_K -> widenQ6_K(s, row, blocks, quants, scales, sixteen);
            default -> throw new IllegalArgumentException("no several-token matvec for " + type);
        }
    }

    /** out[16 + k] = the row times token at[k] (k below 4), each with the single-row kernel's chain. */
    private static void tokens(QuantizedType type, float[] quants, float[] scales, int blocks, float[] x, int xo, int cols,
                               float[] sums, int groups, int[] at, float[] out) {
        int x0 = xo + at[0] * cols;
        int x1 = xo + at[1] * cols;
        int x2 = xo + at[2] * cols;
        int x3 = xo + at[3] * cols;
        if (BY_DECODE) {
            tokensByDecode(quants, blocks * type.blockElements(), x, x0, x1, x2, x3, out);
            return;
        }
        switch (type) {
            case Q4_K, Q5_K -> tokensQ45K(quants, scales, blocks, x, x0, x1, x2, x3, sums, groups, at, out);
            case Q6_K -> tokensQ6_K(quants, scales, blocks, x, x0, x1, x2, x3, out);
            default -> throw new IllegalArgumentException("no several-token matvec for " + type);
        }
    }

    // Q4_K: dotQ4_K's order: per sub-block pair, the low nibbles against one sub-block of x and
    // the high ones against the next, then each pair's sums scaled into the accumulator.

    private static void widenQ4_K(MemorySegment s, long row, int blocks, float[] quants, float[] scales, float[] dm) {
        int k = 0;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 144L;
            VectorQuantKernels.kScales(s, b, dm);
            System.arraycopy(dm, 0, scales, blk * 16, 16);
            for (int j = 0; j < 8; j += 2) {
                long q0 = b + 16 + 16L * j;
                for (int g = 0; g < 32; g += LANES) {
                    IntVector v = unsigned(s, q0 + g - (g % UNIT), (g % UNIT) / LANES);
                    floats(v.and(15)).intoArray(quants, k);
                    floats(v.lanewise(VectorOperators.LSHR, 4)).intoArray(quants, k + LANES);
                    k += 2 * LANES;
                }
            }
        }
    }

    /** Q4_K and Q5_K, whose quants are widened in the same order and summed the same way. */
    private static void tokensQ45K(float[] quants, float[] scales, int blocks, float[] x, int x0, int x1, int x2, int x3,
                                   float[] sums, int groups, int[] at, float[] out) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector a2 = FloatVector.zero(FLOATS);
        FloatVector a3 = FloatVector.zero(FLOATS);
        float m0 = 0f;
        float m1 = 0f;
        float m2 = 0f;
        float m3 = 0f;
        int s0 = at[0] * groups;
        int s1 = at[1] * groups;
        int s2 = at[2] * groups;
        int s3 = at[3] * groups;
        int k = 0;
        for (int blk = 0; blk < blocks; blk++) {
            int dm = blk * 16;
            for (int j = 0; j < 8; j += 2) {
                int c0 = blk * 256 + 32 * j;
                FloatVector l0 = FloatVector.zero(FLOATS);
                FloatVector l1 = FloatVector.zero(FLOATS);
                FloatVector l2 = FloatVector.zero(FLOATS);
                FloatVector l3 = FloatVector.zero(FLOATS);
                FloatVector h0 = FloatVector.zero(FLOATS);
                FloatVector h1 = FloatVector.zero(FLOATS);
                FloatVector h2 = FloatVector.zero(FLOATS);
                FloatVector h3 = FloatVector.zero(FLOATS);
                for (int g = 0; g < 32; g += LANES) {
                    FloatVector lo = FloatVector.fromArray(FLOATS, quants, k);
                    FloatVector hi = FloatVector.fromArray(FLOATS, quants, k + LANES);
                    l0 = lo.fma(x(x, x0 + c0 + g), l0);
                    l1 = lo.fma(x(x, x1 + c0 + g), l1);
                    l2 = lo.fma(x(x, x2 + c0 + g), l2);
                    l3 = lo.fma(x(x, x3 + c0 + g), l3);
                    h0 = hi.fma(x(x, x0 + c0 + 32 + g), h0);
                    h1 = hi.fma(x(x, x1 + c0 + 32 + g), h1);
                    h2 = hi.fma(x(x, x2 + c0 + 32 + g), h2);
                    h3 = hi.fma(x(x, x3 + c0 + 32 + g), h3);
                    k += 2 * LANES;
                }
                FloatVector sl = broadcast(scales[dm + j]);
                FloatVector sh = broadcast(scales[dm + j + 1]);
                a0 = h0.fma(sh, l0.fma(sl, a0));
                a1 = h1.fma(sh, l1.fma(sl, a1));
                a2 = h2.fma(sh, l2.fma(sl, a2));
                a3 = h3.fma(sh, l3.fma(sl, a3));
                float ml = scales[dm + 8 + j];
                float mh = scales[dm + 8 + j + 1];
                int g0 = blk * 8 + j;
                m0 += ml * sums[s0 + g0] + mh * sums[s0 + g0 + 1];
                m1 += ml * sums[s1 + g0] + mh * sums[s1 + g0 + 1];
                m2 += ml * sums[s2 + g0] + mh * sums[s2 + g0 + 1];
                m3 += ml * sums[s3 + g0] + mh * sums[s3 + g0 + 1];
            }
        }
        // Summed from memory: by here C2's inlining budget is spent, and a vector passed to a
        // call it did not inline is boxed.
        a0.intoArray(out, PARK);
        a1.intoArray(out, PARK + LANES);
        a2.intoArray(out, PARK + 2 * LANES);
        a3.intoArray(out, PARK + 3 * LANES);
        VectorLanes.sumEach(out, PARK, 4, out, 16);
        out[16] -= m0;
        out[17] -= m1;
        out[18] -= m2;
        out[19] -= m3;
    }

    /** Q5_K for 16 lanes (below, it is decoded): dotQ45K's quants, a fifth bit over each nibble. */
    private static void widenQ5_K(MemorySegment s, long row, int blocks, float[] quants, float[] scales, float[] dm) {
        int k = 0;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 176L;
            VectorQuantKernels.kScales(s, b, dm);
            System.arraycopy(dm, 0, scales, blk * 16, 16);
            for (int j = 0; j < 4; j++) {
                long q0 = b + 48 + 32L * j;
                for (int g = 0; g < 32; g += LANES) {
                    IntVector v = VectorQuantKernels.ints(s, q0 + g, 0);
                    IntVector hv = VectorQuantKernels.ints(s, b + 16 + g, 0).lanewise(VectorOperators.ASHR, 2 * j);
                    floats(v.and(15).or(hv.and(1).lanewise(VectorOperators.LSHL, 4))).intoArray(quants, k);
                    floats(v.lanewise(VectorOperators.ASHR, 4).and(15).or(hv.and(2).lanewise(VectorOperators.LSHL, 3)))
                            .intoArray(quants, k + LANES);
                    k += 2 * LANES;
                }
            }
        }
    }

    // Q6_K: dotQ6_K's order: eight quarters of 32 columns, each product scaled by its 16-column
    // sub-block's scale into the one accumulator.

    private static void widenQ6_K(MemorySegment s, long row, int blocks, float[] quants, float[] scales, float[] sc) {
        int k = 0;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 210L;
            VectorQuantKernels.q6Scales(s, b, sc);
            System.arraycopy(sc, 0, scales, blk * 16, 16);
            for (int part = 0; part < 8; part++) {
                int half = part >> 2;
                int quarter = part & 3;
                long ql = b + 64L * half + (quarter & 1) * 32;
                long qh = b + 128 + 32L * half;
                int nibble = (quarter >> 1) * 4;
                int shift = 2 * quarter;
                for (int g = 0; g < 32; g += LANES) {
                    int unit = g - g % UNIT;
                    int p = (g % UNIT) / LANES;
                    floats(VectorQuantKernels.q6(s, ql + unit, qh + unit, p, nibble, shift)).intoArray(quants, k);
                    k += LANES;
                }
            }
        }
    }

    private static void tokensQ6_K(float[] quants, float[] scales, int blocks, float[] x, int x0, int x1, int x2, int x3,
                                   float[] out) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector a2 = FloatVector.zero(FLOATS);
        FloatVector a3 = FloatVector.zero(FLOATS);
        int k = 0;
        for (int blk = 0; blk < blocks; blk++) {
            for (int part = 0; part < 8; part++) {
                int half = part >> 2;
                int quarter = part & 3;
                int c = blk * 256 + 128 * half + 32 * quarter;
                int sc = blk * 16 + 8 * half + 2 * quarter;
                for (int g = 0; g < 32; g += LANES) {
                    FloatVector q = FloatVector.fromArray(FLOATS, quants, k);
                    FloatVector scale = broadcast(scales[sc + g / 16]);
                    a0 = q.mul(x(x, x0 + c + g)).fma(scale, a0);
                    a1 = q.mul(x(x, x1 + c + g)).fma(scale, a1);
                    a2 = q.mul(x(x, x2 + c + g)).fma(scale, a2);
                    a3 = q.mul(x(x, x3 + c + g)).fma(scale, a3);
                    k += LANES;
                }
            }
        }
        // Summed from memory: by here C2's inlining budget is spent, and a vector passed to a
        // call it did not inline is boxed.
        a0.intoArray(out, PARK);
        a1.intoArray(out, PARK + LANES);
        a2.intoArray(out, PARK + 2 * LANES);
        a3.intoArray(out, PARK + 3 * LANES);
        VectorLanes.sumEach(out, PARK, 4, out, 16);
    }

    /** dotByDecode's chain over the row's decoded weights, for four tokens. */
    private static void tokensByDecode(float[] weights, int cols, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector a2 = FloatVector.zero(FLOATS);
        FloatVector a3 = FloatVector.zero(FLOATS);
        for (int i = 0; i < cols; i += LANES) {
            FloatVector w = FloatVector.fromArray(FLOATS, weights, i);
            a0 = w.fma(x(x, x0 + i), a0);
            a1 = w.fma(x(x, x1 + i), a1);
            a2 = w.fma(x(x, x2 + i), a2);
            a3 = w.fma(x(x, x3 + i), a3);
        }
        // Summed from memory: by here C2's inlining budget is spent, and a vector passed to a
        // call it did not inline is boxed.
        a0.intoArray(out, PARK);
        a1.intoArray(out, PARK + LANES);
        a2.intoArray(out, PARK + 2 * LANES);
        a3.intoArray(out, PARK + 3 * LANES);
        VectorLanes.sumEach(out, PARK, 4, out, 16);
    }
}
