package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.INTS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorLanes.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernels' rows of the {@link QuantizedType}s: fused products that decode quantized
 * weights in registers and multiply them with fp32 activations, never writing a decoded matrix.
 *
 * <p>Activations stay fp32 (llama.cpp instead rounds them to 8 bits inside its quantized dot
 * products), so a product here differs from the exact product of the decoded weights only by
 * fp32 summation order. The quants of a block are summed against x first, and the block's scale
 * multiplies that sum once ({@code d·Σq·x}); a type with mins adds {@code m·Σx}, where Σx over each
 * 32 columns is computed once per activation vector and shared by every row.
 *
 * <p>Bytes are loaded {@link #UNIT} at a time and widened to int lanes, {@link #PARTS} vectors per
 * load, where the nibble and bit arithmetic is native on every x86 and ARM SIMD set; every block
 * size here (16 or 32 bytes per run) is a multiple of the unit, for 4, 8 and 16 float lanes.
 */
final class VectorQuantKernels {

    /** Bytes per load: one per float lane, but at least the 64-bit minimum vector. */
    static final int UNIT = Math.max(LANES, 8);
    /** Int vectors one load widens to. */
    static final int PARTS = UNIT / LANES;
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(UNIT * 8));
    /** Lane i of vector k: bit positions k·LANES + i and 16 + k·LANES + i, for Q5_0/Q5_1's high bits. */
    private static final IntVector[] LOW_BITS = bitPositions(0);
    private static final IntVector[] HIGH_BITS = bitPositions(16);
    /** Below this many multiply-adds a parallel task costs more to schedule than it saves. */
    static final int MIN_TASK_WORK = 1 << 15;

    private VectorQuantKernels() {
    }

    /** Whether this vector shape has quantized kernels: lanes dividing the 16-byte runs. */
    static boolean available() {
        return LANES <= 16 && 16 % LANES == 0;
    }

    private static IntVector[] bitPositions(int base) {
        IntVector[] v = new IntVector[Math.max(1, 16 / LANES)];
        for (int k = 0; k < v.length; k++) {
            v[k] = IntVector.zero(INTS).addIndex(1).add(base + k * LANES);
        }
        return v;
    }

    /** Part p of the UNIT bytes at {@code at}, zero-extended to int lanes: nibbles need no mask after a shift. */
    static IntVector unsigned(MemorySegment s, long at, int p) {
        return (IntVector) load(s, at).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p);
    }

    /** Part p of the UNIT bytes at {@code at}, sign-extended to int lanes. */
    private static IntVector ints(ByteVector b, int p) {
        return (IntVector) b.convertShape(VectorOperators.B2I, INTS, p);
    }

    /**
     * Part p of the UNIT bytes at {@code at}, widened: loaded where it is used, because a byte
     * vector kept alive across the part loop beside another one is boxed by C2 (measured: Q6_K
     * matvec 9 → 3 Gweights/s and a collection every few milliseconds).
     */
    static IntVector ints(MemorySegment s, long at, int p) {
        return ints(load(s, at), p);
    }

    private static ByteVector load(MemorySegment s, long at) {
        return ByteVector.fromMemorySegment(BYTES, s, at, LE);
    }

    static FloatVector floats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    static FloatVector x(float[] x, int at) {
        return FloatVector.fromArray(FLOATS, x, at);
    }

    static FloatVector broadcast(float v) {
        return FloatVector.broadcast(FLOATS, v);
    }

    static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(ElementType.SHORT, at));
    }

    // ---------------------------------------------------------------------------------------------
    // matvec, matvecs

    static void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo) {
        matvecs(w, x, xo, 1, y, yo);
    }

    /**
     * y[j, ·] = W·x[j, ·] for n tokens; a row's arithmetic is the same for every n, so each token
     * gets matvec's bits. Rows are taken a few at a time and every token runs over them while
     * their weights are in cache.
     */
    static void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo) {
        QuantizedType type = (QuantizedType) w.type();
        int rows = w.rows();
        int cols = w.cols();
        VectorMatrixKernels.checkRange(x.length, xo, (long) n * cols, "x");
        VectorMatrixKernels.checkRange(y.length, yo, (long) n * rows, "y");
        if (n == 0 || rows == 0) {
            return;
        }
        int groups = cols / 32;
        float[] sums = new float[n * groups];
        for (int j = 0; j < n; j++) {
            for (int g = 0; g < groups; g++) {
                float s = 0f;
                int at = xo + j * cols + g * 32;
                for (int i = 0; i < 32; i++) {
                    s += x[at + i];
                }
                sums[j * groups + g] = s;
            }
        }
        if (n >= VectorQuantTokens.MIN_TOKENS && VectorQuantTokens.applies(type)) {
            VectorQuantTokens.matvecs(w, x, xo, n, sums, y, yo);
            return;
        }
        MemorySegment data = w.data();
        long rowBytes = type.rowBytes(cols);
        int blocks = cols / type.blockElements();
        int grain = (int) Math.max(1, MIN_TASK_WORK / Math.max(1L, (long) cols * n));
        if (PAIRED.contains(type) && n >= 2) {
            // Several tokens: four rows' blocks are widened to floats once for two tokens, where the
            // one-token path widens them again per token (a batched decode step was bound by that
            // work). Each token keeps dot4's arithmetic: the same bits as matvec.
            Parallel.forRange(rows, grain, (from, to) -> {
                int run = (to - from) / STREAMS;
                float[] eight = new float[2 * STREAMS + 2 * STREAMS * LANES];
                float[] scratch = new float[32];
                for (int i = 0; i < run; i++) {
                    int j = 0;
                    for (; j + 1 < n; j += 2) {
                        dot4x2(type, data, (from + i) * rowBytes, run * rowBytes, blocks, x, xo + j * cols,
                                xo + (j + 1) * cols, sums, j * groups, (j + 1) * groups, eight, scratch);
                        for (int k = 0; k < STREAMS; k++) {
                            y[yo + j * rows + from + i + k * run] = eight[k];
                            y[yo + (j + 1) * rows + from + i + k * run] = eight[STREAMS + k];
                        }
                    }
                    if (j < n) {
                        dot4(type, data, from + i, run, rowBytes, blocks, x, xo + j * cols, sums, j * groups, eight, scratch);
                        for (int k = 0; k < STREAMS; k++) {
                            y[yo + j * rows + from + i + k * run] = eight[k];
                        }
                    }
                }
                for (int r = from + STREAMS * run; r < to; r++) {
                    for (int j = 0; j < n; j++) {
                        y[yo + j * rows + r] = dot(type, data, r * rowBytes, blocks, x, xo + j * cols, sums, j * groups, scratch);
                    }
                }
            });
            return;
        }
        Parallel.forRange(rows, grain, (from, to) -> {
            // Four runs of rows read side by side: four memory streams and four independent
            // chains of multiply-adds, where one row at a time left the cores waiting on memory.
            int run = (to - from) / STREAMS;
            // Results in four[0, STREAMS); the kernels park their accumulators in the rest.
            float[] four = new float[STREAMS + STREAMS * LANES];
            float[] scratch = new float[32];
            for (int i = 0; i < run; i++) {
                for (int j = 0; j < n; j++) {
                    int xj = xo + j * cols;
                    dot4(type, data, from + i, run, rowBytes, blocks, x, xj, sums, j * groups, four, scratch);
                    for (int k = 0; k < STREAMS; k++) {
                        y[yo + j * rows + from + i + k * run] = four[k];
                    }
                }
            }
            for (int r = from + STREAMS * run; r < to; r++) {
                for (int j = 0; j < n; j++) {
                    y[yo + j * rows + r] = dot(type, data, r * rowBytes, blocks, x, xo + j * cols, sums, j * groups, scratch);
                }
            }
        });
    }

    /**
     * The types whose matvecs of two or more tokens take the tokens in pairs, widening each
     * block's quants once for both (from three tokens on the K-quants go through
     * {@link VectorQuantTokens} instead, so they pair only at two). Below 16 lanes the K-quants are
     * decoded to weights first ({@link #BY_DECODE}) and have no pair kernels.
     */
    private static final Set<QuantizedType> PAIRED = VectorLanes.LANES >= 16
            ? EnumSet.of(QuantizedType.Q8_0, QuantizedType.Q4_0, QuantizedType.Q4_K, QuantizedType.Q6_K)
            : EnumSet.of(QuantizedType.Q8_0, QuantizedType.Q4_0);

    /**
     * Whether the K-quants decode each 32-weight run into a small buffer and multiply it from there:
     * below 16 lanes (AVX2, NEON) the fused K-quant bodies outgrow C2's inlining budget and box
     * their vectors (Q5_K fell to 1 Gweights/s under -XX:UseAVX=2), while this stays compiled.
     */
    static final boolean BY_DECODE = LANES < 16;

    /** Row times x through 32-weight runs decoded into {@code buffer} ({@link #decode32}, bit-exact weights). */
    private static float dotByDecode(QuantizedType type, MemorySegment s, long row, int blocks, float[] x, int xo,
                                     float[] buffer) {
        FloatVector acc = FloatVector.zero(FLOATS);
        int groups = type.blockElements() / 32;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + (long) blk * type.blockBytes();
            for (int g = 0; g < groups; g++) {
                decode32(type, s, b, g, buffer, 0);
                int c = xo + blk * type.blockElements() + 32 * g;
                for (int i = 0; i < 32; i += LANES) {
                    acc = FloatVector.fromArray(FLOATS, buffer, i).fma(x(x, c + i), acc);
                }
            }
        }
        return VectorLanes.sumLanes(acc);
    }

    /** Rows read side by side by {@link #dot4}. */
    private static final int STREAMS = 4;

    /**
     * Rows r, r + gap, r + 2·gap and r + 3·gap into out[0..4), each with exactly {@link #dot}'s
     * arithmetic (the types without a four-row kernel compute them one after another).
     */
    private static void dot4(QuantizedType type, MemorySegment data, int r, int gap, long rowBytes, int blocks, float[] x,
                             int xo, float[] sums, int so, float[] out, float[] scratch) {
        switch (type) {
            case Q8_0 -> dot4Q8_0(data, r * rowBytes, gap * rowBytes, blocks, x, xo, out);
            case Q4_0 -> {
                dot2Q4_0(data, r * rowBytes, gap * rowBytes, blocks, x, xo, sums, so, out, 0);
                dot2Q4_0(data, (r + 2L * gap) * rowBytes, gap * rowBytes, blocks, x, xo, sums, so, out, 2);
            }
            case Q6_K -> {
                if (BY_DECODE) {
                    for (int k = 0; k < STREAMS; k++) {
                        out[k] = dot(type, data, (r + (long) k * gap) * rowBytes, blocks, x, xo, sums, so, scratch);
                    }
                    return;
                }
                dot2Q6_K(data, r * rowBytes, gap * rowBytes, blocks, x, xo, out, 0, scratch);
                dot2Q6_K(data, (r + 2L * gap) * rowBytes, gap * rowBytes, blocks, x, xo, out, 2, scratch);
            }
            default -> {
                for (int k = 0; k < STREAMS; k++) {
                    out[k] = dot(type, data, (r + (long) k * gap) * rowBytes, blocks, x, xo, sums, so, scratch);
                }
            }
        }
    }

    /**
     * Rows r, r + gap, r + 2·gap, r + 3·gap (r at byte {@code row}) for two tokens (activations at
     * x0 and x1, Σx at so0 and so1) into out[0..4) and out[4..8), each with {@link #dot4}'s
     * arithmetic.
     */
    private static void dot4x2(QuantizedType type, MemorySegment s, long row, long gap, int blocks, float[] x, int x0,
                               int x1, float[] sums, int so0, int so1, float[] out, float[] scratch) {
        switch (type) {
            case Q8_0 -> dot4x2Q8_0(s, row, gap, blocks, x, x0, x1, out);
            case Q4_0 -> {
                dot2x2Q4_0(s, row, gap, blocks, x, x0, x1, sums, so0, so1, out, 0);
                dot2x2Q4_0(s, row + 2 * gap, gap, blocks, x, x0, x1, sums, so0, so1, out, 2);
            }
            case Q4_K -> {
                for (int k = 0; k < STREAMS; k++) {
                    dotQ4_Kx2(s, row + k * gap, blocks, x, x0, x1, sums, so0, so1, scratch, out, k);
                }
            }
            case Q6_K -> {
                dot2x2Q6_K(s, row, gap, blocks, x, x0, x1, scratch, out, 0);
                dot2x2Q6_K(s, row + 2 * gap, gap, blocks, x, x0, x1, scratch, out, 2);
            }
            default -> throw new IllegalArgumentException("no two-token matvec for " + type);
        }
    }

    /** {@link #dotQ8_0} for four rows {@code gap} bytes apart, sharing each load of x. */
    private static void dot4Q8_0(MemorySegment s, long row, long gap, int blocks, float[] x, int xo, float[] out) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector a2 = FloatVector.zero(FLOATS);
        FloatVector a3 = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 34L;
            int c = xo + blk * 32;
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = FloatVector.zero(FLOATS);
            FloatVector p2 = FloatVector.zero(FLOATS);
            FloatVector p3 = FloatVector.zero(FLOATS);
            for (int g = 0; g < 32; g += LANES) {
                int unit = g - g % UNIT;
                int part = (g % UNIT) / LANES;
                FloatVector xv = x(x, c + g);
                p0 = floats(ints(s, b + 2 + unit, part)).fma(xv, p0);
                p1 = floats(ints(s, b + gap + 2 + unit, part)).fma(xv, p1);
                p2 = floats(ints(s, b + 2 * gap + 2 + unit, part)).fma(xv, p2);
                p3 = floats(ints(s, b + 3 * gap + 2 + unit, part)).fma(xv, p3);
            }
            a0 = p0.fma(broadcast(half(s, b)), a0);
            a1 = p1.fma(broadcast(half(s, b + gap)), a1);
            a2 = p2.fma(broadcast(half(s, b + 2 * gap)), a2);
            a3 = p3.fma(broadcast(half(s, b + 3 * gap)), a3);
        }
        int park = STREAMS;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        a2.intoArray(out, park + 2 * LANES);
        a3.intoArray(out, park + 3 * LANES);
        VectorLanes.sumEach(out, park, 4, out, 0);
    }

    /**
     * {@link #dot4Q8_0} for two tokens (activations at x0 and x1) at once: rows r, r + gap, r + 2·gap,
     * r + 3·gap into out[0..4) for the first token and out[4..8) for the second. Each block's
     * weights are widened once for both; each token keeps dot4Q8_0's arithmetic exactly.
     */
    private static void dot4x2Q8_0(MemorySegment s, long row, long gap, int blocks, float[] x, int x0, int x1, float[] out) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector a2 = FloatVector.zero(FLOATS);
        FloatVector a3 = FloatVector.zero(FLOATS);
        FloatVector b0 = FloatVector.zero(FLOATS);
        FloatVector b1 = FloatVector.zero(FLOATS);
        FloatVector b2 = FloatVector.zero(FLOATS);
        FloatVector b3 = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 34L;
            int c = blk * 32;
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = FloatVector.zero(FLOATS);
            FloatVector p2 = FloatVector.zero(FLOATS);
            FloatVector p3 = FloatVector.zero(FLOATS);
            FloatVector q0 = FloatVector.zero(FLOATS);
            FloatVector q1 = FloatVector.zero(FLOATS);
            FloatVector q2 = FloatVector.zero(FLOATS);
            FloatVector q3 = FloatVector.zero(FLOATS);
            for (int g = 0; g < 32; g += LANES) {
                int unit = g - g % UNIT;
                int part = (g % UNIT) / LANES;
                FloatVector u = x(x, x0 + c + g);
                FloatVector v = x(x, x1 + c + g);
                FloatVector w0 = floats(ints(s, b + 2 + unit, part));
                p0 = w0.fma(u, p0);
                q0 = w0.fma(v, q0);
                FloatVector w1 = floats(ints(s, b + gap + 2 + unit, part));
                p1 = w1.fma(u, p1);
                q1 = w1.fma(v, q1);
                FloatVector w2 = floats(ints(s, b + 2 * gap + 2 + unit, part));
                p2 = w2.fma(u, p2);
                q2 = w2.fma(v, q2);
                FloatVector w3 = floats(ints(s, b + 3 * gap + 2 + unit, part));
                p3 = w3.fma(u, p3);
                q3 = w3.fma(v, q3);
            }
            FloatVector d0 = broadcast(half(s, b));
            FloatVector d1 = broadcast(half(s, b + gap));
            FloatVector d2 = broadcast(half(s, b + 2 * gap));
            FloatVector d3 = broadcast(half(s, b + 3 * gap));
            a0 = p0.fma(d0, a0);
            a1 = p1.fma(d1, a1);
            a2 = p2.fma(d2, a2);
            a3 = p3.fma(d3, a3);
            b0 = q0.fma(d0, b0);
            b1 = q1.fma(d1, b1);
            b2 = q2.fma(d2, b2);
            b3 = q3.fma(d3, b3);
        }
        int park = 2 * STREAMS;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        a2.intoArray(out, park + 2 * LANES);
        a3.intoArray(out, park + 3 * LANES);
        b0.intoArray(out, park + 4 * LANES);
        b1.intoArray(out, park + 5 * LANES);
        b2.intoArray(out, park + 6 * LANES);
        b3.intoArray(out, park + 7 * LANES);
        VectorLanes.sumEach(out, park, 8, out, 0);
    }

    /**
     * {@link #dotQ4_0} for two rows {@code gap} bytes apart, sharing each load of x (four rows
     * written out passed C2's NodeCountInliningCutoff, and its vectors were boxed).
     */
    private static void dot2Q4_0(MemorySegment s, long row, long gap, int blocks, float[] x, int xo, float[] sums, int so,
                                 float[] out, int at) {
        // Σ d·(q − 8)·x = d·(Σ q·x − 8·Σx): the offset goes through the block's Σx, not every lane.
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        float off0 = 0f;
        float off1 = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 18L;
            int c = xo + blk * 32;
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = FloatVector.zero(FLOATS);
            for (int g = 0; g < 16; g += LANES) {
                int unit = g - g % UNIT;
                int part = (g % UNIT) / LANES;
                FloatVector lo = x(x, c + g);
                FloatVector hi = x(x, c + g + 16);
                IntVector v0 = unsigned(s, b + 2 + unit, part);
                IntVector v1 = unsigned(s, b + gap + 2 + unit, part);
                p0 = floats(v0.and(15)).fma(lo, p0);
                p1 = floats(v1.and(15)).fma(lo, p1);
                p0 = floats(v0.lanewise(VectorOperators.LSHR, 4)).fma(hi, p0);
                p1 = floats(v1.lanewise(VectorOperators.LSHR, 4)).fma(hi, p1);
            }
            float d0 = half(s, b);
            float d1 = half(s, b + gap);
            a0 = p0.fma(broadcast(d0), a0);
            a1 = p1.fma(broadcast(d1), a1);
            off0 = Math.fma(8 * d0, sums[so + blk], off0);
            off1 = Math.fma(8 * d1, sums[so + blk], off1);
        }
        int park = STREAMS + at * LANES;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        VectorLanes.sumEach(out, park, 2, out, at);
        out[at] -= off0;
        out[at + 1] -= off1;
    }


    /**
     * {@link #dot2Q4_0} for two tokens (activations at x0 and x1, Σx at so0 and so1): rows r and
     * r + gap into out[at], out[at + 1] for the first token and out[STREAMS + at], out[STREAMS + at +
     * 1] for the second. Each block's quants are widened once for both tokens; each token keeps
     * dot2Q4_0's arithmetic exactly.
     */
    private static void dot2x2Q4_0(MemorySegment s, long row, long gap, int blocks, float[] x, int x0, int x1,
                                   float[] sums, int so0, int so1, float[] out, int at) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector b0 = FloatVector.zero(FLOATS);
        FloatVector b1 = FloatVector.zero(FLOATS);
        float offA0 = 0f;
        float offA1 = 0f;
        float offB0 = 0f;
        float offB1 = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 18L;
            int c = blk * 32;
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = FloatVector.zero(FLOATS);
            FloatVector q0 = FloatVector.zero(FLOATS);
            FloatVector q1 = FloatVector.zero(FLOATS);
            for (int g = 0; g < 16; g += LANES) {
                int unit = g - g % UNIT;
                int part = (g % UNIT) / LANES;
                IntVector v0 = unsigned(s, b + 2 + unit, part);
                IntVector v1 = unsigned(s, b + gap + 2 + unit, part);
                FloatVector low0 = floats(v0.and(15));
                FloatVector low1 = floats(v1.and(15));
                FloatVector high0 = floats(v0.lanewise(VectorOperators.LSHR, 4));
                FloatVector high1 = floats(v1.lanewise(VectorOperators.LSHR, 4));
                FloatVector lo = x(x, x0 + c + g);
                FloatVector hi = x(x, x0 + c + g + 16);
                p0 = high0.fma(hi, low0.fma(lo, p0));
                p1 = high1.fma(hi, low1.fma(lo, p1));
                lo = x(x, x1 + c + g);
                hi = x(x, x1 + c + g + 16);
                q0 = high0.fma(hi, low0.fma(lo, q0));
                q1 = high1.fma(hi, low1.fma(lo, q1));
            }
            float d0 = half(s, b);
            float d1 = half(s, b + gap);
            FloatVector e0 = broadcast(d0);
            FloatVector e1 = broadcast(d1);
            a0 = p0.fma(e0, a0);
            a1 = p1.fma(e1, a1);
            b0 = q0.fma(e0, b0);
            b1 = q1.fma(e1, b1);
            offA0 = Math.fma(8 * d0, sums[so0 + blk], offA0);
            offA1 = Math.fma(8 * d1, sums[so0 + blk], offA1);
            offB0 = Math.fma(8 * d0, sums[so1 + blk], offB0);
            offB1 = Math.fma(8 * d1, sums[so1 + blk], offB1);
        }
        // Summed in scalar code: by here C2's budget is spent, and a lane sum on vectors boxed them.
        int park = 2 * STREAMS + at * 2 * LANES;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        b0.intoArray(out, park + 2 * LANES);
        b1.intoArray(out, park + 3 * LANES);
        out[at] = VectorLanes.sumParked(out, park) - offA0;
        out[at + 1] = VectorLanes.sumParked(out, park + LANES) - offA1;
        out[STREAMS + at] = VectorLanes.sumParked(out, park + 2 * LANES) - offB0;
        out[STREAMS + at + 1] = VectorLanes.sumParked(out, park + 3 * LANES) - offB1;
    }

    /**
     * Row {@code row} (at byte {@code row} of data, {@code blocks} blocks) times x[xo, ...):
     * {@code sums[so + g]} is Σx over columns [32g, 32g + 32).
     */
    static float dot(QuantizedType type, MemorySegment data, long row, int blocks, float[] x, int xo,
                     float[] sums, int so, float[] scratch) {
        if (BY_DECODE && (type == QuantizedType.Q4_K || type == QuantizedType.Q5_K || type == QuantizedType.Q6_K)) {
            return dotByDecode(type, data, row, blocks, x, xo, scratch);
        }
        return switch (type) {
            case Q4_0 -> dotQ4_0(data, row, blocks, x, xo, sums, so);
            case Q4_1 -> dotQ4_1(data, row, blocks, x, xo, sums, so);
            case Q5_0 -> dotQ5(data, row, blocks, x, xo, sums, so, false);
            case Q5_1 -> dotQ5(data, row, blocks, x, xo, sums, so, true);
            case Q8_0 -> dotQ8_0(data, row, blocks, x, xo);
            case Q4_K -> dotQ4_K(data, row, blocks, x, xo, sums, so, scratch);
            case Q5_K -> dotQ45K(data, row, blocks, x, xo, sums, so, true, scratch);
            case Q6_K -> dotQ6_K(data, row, blocks, x, xo, scratch);
        };
    }

    private static float dotQ8_0(MemorySegment s, long row, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 34L;
            int c = xo + blk * 32;
            FloatVector p = FloatVector.zero(FLOATS);
            for (int g = 0; g < 32; g += UNIT) {
                ByteVector q = load(s, b + 2 + g);
                for (int k = 0; k < PARTS; k++) {
                    p = floats(ints(q, k)).fma(x(x, c + g + k * LANES), p);
                }
            }
            acc = p.fma(broadcast(half(s, b)), acc);
        }
        return VectorLanes.sumLanes(acc);
    }

    private static float dotQ4_0(MemorySegment s, long row, int blocks, float[] x, int xo, float[] sums, int so) {
        // The arithmetic of dot2Q4_0 for one row (a row's bits never depend on its neighbours).
        FloatVector acc = FloatVector.zero(FLOATS);
        float off = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 18L;
            int c = xo + blk * 32;
            FloatVector p = FloatVector.zero(FLOATS);
            for (int g = 0; g < 16; g += LANES) {
                IntVector v = unsigned(s, b + 2 + g - g % UNIT, (g % UNIT) / LANES);
                p = floats(v.and(15)).fma(x(x, c + g), p);
                p = floats(v.lanewise(VectorOperators.LSHR, 4)).fma(x(x, c + g + 16), p);
            }
            float d = half(s, b);
            acc = p.fma(broadcast(d), acc);
            off = Math.fma(8 * d, sums[so + blk], off);
        }
        return VectorLanes.sumLanes(acc) - off;
    }


    private static float dotQ4_1(MemorySegment s, long row, int blocks, float[] x, int xo, float[] sums, int so) {
        FloatVector acc = FloatVector.zero(FLOATS);
        float mins = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 20L;
            int c = xo + blk * 32;
            FloatVector p = FloatVector.zero(FLOATS);
            for (int g = 0; g < 16; g += UNIT) {
                ByteVector q = load(s, b + 4 + g);
                for (int k = 0; k < PARTS; k++) {
                    IntVector v = ints(q, k);
                    int j = c + g + k * LANES;
                    p = floats(v.and(15)).fma(x(x, j), p);
                    p = floats(v.lanewise(VectorOperators.ASHR, 4).and(15)).fma(x(x, j + 16), p);
                }
            }
            acc = p.fma(broadcast(half(s, b)), acc);
            mins = Math.fma(half(s, b + 2), sums[so + blk], mins);
        }
        return VectorLanes.sumLanes(acc) + mins;
    }

    /** Q5_0 (q − 16, no min) and Q5_1 (a min): the fifth bits come from one 32-bit word per block. */
    private static float dotQ5(MemorySegment s, long row, int blocks, float[] x, int xo, float[] sums, int so,
                               boolean withMin) {
        int bytes = withMin ? 24 : 22;
        int header = withMin ? 4 : 2;
        int offset = withMin ? 0 : 16;
        FloatVector acc = FloatVector.zero(FLOATS);
        float mins = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + (long) blk * bytes;
            int c = xo + blk * 32;
            IntVector qh = IntVector.broadcast(INTS, s.get(QuantizedType.INT_LE, b + header));
            FloatVector p = FloatVector.zero(FLOATS);
            for (int g = 0; g < 16; g += UNIT) {
                ByteVector q = load(s, b + header + 4 + g);
                for (int k = 0; k < PARTS; k++) {
                    IntVector v = ints(q, k);
                    int lane = (g + k * LANES) / LANES;
                    int j = c + g + k * LANES;
                    IntVector h0 = qh.lanewise(VectorOperators.LSHR, LOW_BITS[lane]).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector h1 = qh.lanewise(VectorOperators.LSHR, HIGH_BITS[lane]).and(1).lanewise(VectorOperators.LSHL, 4);
                    p = floats(v.and(15).or(h0).sub(offset)).fma(x(x, j), p);
                    p = floats(v.lanewise(VectorOperators.ASHR, 4).and(15).or(h1).sub(offset)).fma(x(x, j + 16), p);
                }
            }
            acc = p.fma(broadcast(half(s, b)), acc);
            if (withMin) {
                mins = Math.fma(half(s, b + 2), sums[so + blk], mins);
            }
        }
        return VectorLanes.sumLanes(acc) + mins;
    }



    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * Q4_K: per 32-byte run, the low nibbles against one sub-block of x and the high nibbles
     * against the next; each sub-block's sum is scaled into the accumulator and its min taken
     * off through Σx.
     */
    private static float dotQ4_K(MemorySegment s, long row, int blocks, float[] x, int xo, float[] sums, int so,
                                 float[] dm) {
        FloatVector acc = FloatVector.zero(FLOATS);
        float mins = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 144L;
            int c = xo + blk * 256;
            kScales(s, b, dm);
            for (int j = 0; j < 8; j += 2) {
                long q0 = b + 16 + 16L * j;
                int c0 = c + 32 * j;
                FloatVector lo = FloatVector.zero(FLOATS);
                FloatVector hi = FloatVector.zero(FLOATS);
                for (int g = 0; g < 32; g += LANES) {
                    IntVector v = unsigned(s, q0 + g - (g % UNIT), (g % UNIT) / LANES);
                    lo = floats(v.and(15)).fma(x(x, c0 + g), lo);
                    hi = floats(v.lanewise(VectorOperators.LSHR, 4)).fma(x(x, c0 + 32 + g), hi);
                }
                acc = lo.fma(broadcast(dm[j]), acc);
                acc = hi.fma(broadcast(dm[j + 1]), acc);
                mins += dm[8 + j] * sums[so + blk * 8 + j] + dm[8 + j + 1] * sums[so + blk * 8 + j + 1];
            }
        }
        return VectorLanes.sumLanes(acc) - mins;
    }

    /**
     * {@link #dotQ4_K} of one row for two tokens (activations at x0 and x1, Σx at so0 and so1):
     * each 32-byte run is widened once for both, and each token keeps dotQ4_K's chain exactly.
     * The results go to out[k] and out[STREAMS + k]; the accumulators wait at
     * {@code 2·STREAMS + 2·k·LANES} for their lane sums.
     */
    private static void dotQ4_Kx2(MemorySegment s, long row, int blocks, float[] x, int x0, int x1, float[] sums,
                                  int so0, int so1, float[] dm, float[] out, int k) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        float mins0 = 0f;
        float mins1 = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 144L;
            int c = blk * 256;
            kScales(s, b, dm);
            for (int j = 0; j < 8; j += 2) {
                long q0 = b + 16 + 16L * j;
                int c0 = c + 32 * j;
                FloatVector lo0 = FloatVector.zero(FLOATS);
                FloatVector hi0 = FloatVector.zero(FLOATS);
                FloatVector lo1 = FloatVector.zero(FLOATS);
                FloatVector hi1 = FloatVector.zero(FLOATS);
                for (int g = 0; g < 32; g += LANES) {
                    IntVector v = unsigned(s, q0 + g - (g % UNIT), (g % UNIT) / LANES);
                    FloatVector low = floats(v.and(15));
                    FloatVector high = floats(v.lanewise(VectorOperators.LSHR, 4));
                    lo0 = low.fma(x(x, x0 + c0 + g), lo0);
                    hi0 = high.fma(x(x, x0 + c0 + 32 + g), hi0);
                    lo1 = low.fma(x(x, x1 + c0 + g), lo1);
                    hi1 = high.fma(x(x, x1 + c0 + 32 + g), hi1);
                }
                FloatVector sl = broadcast(dm[j]);
                FloatVector sh = broadcast(dm[j + 1]);
                acc0 = hi0.fma(sh, lo0.fma(sl, acc0));
                acc1 = hi1.fma(sh, lo1.fma(sl, acc1));
                int g0 = blk * 8 + j;
                mins0 += dm[8 + j] * sums[so0 + g0] + dm[8 + j + 1] * sums[so0 + g0 + 1];
                mins1 += dm[8 + j] * sums[so1 + g0] + dm[8 + j + 1] * sums[so1 + g0 + 1];
            }
        }
        // Summed in scalar code: a lane sum on vectors this late in the method boxed them.
        int park = 2 * STREAMS + 2 * k * LANES;
        acc0.intoArray(out, park);
        acc1.intoArray(out, park + LANES);
        out[k] = VectorLanes.sumParked(out, park) - mins0;
        out[STREAMS + k] = VectorLanes.sumParked(out, park + LANES) - mins1;
    }

    /**
     * d·scale (out[0..8)) and dmin·min (out[8..16)) of the K-quant super-block at b. The 12 packed
     * bytes are unpacked eight values at a time with masks on a long and an int (scales 4–7 and
     * mins 4–7 take their top bits from bits 6–7 of bytes 0–7), then widened, converted and scaled
     * as one vector: in scalar code this was 40 % of a Q4_K matvec.
     */
    static void kScales(MemorySegment s, long b, float[] out) {
        float d = half(s, b);
        float dmin = half(s, b + 2);
        long lo = s.get(LONG_LE, b + 4);
        int hi = s.get(QuantizedType.INT_LE, b + 12);
        long scales = (lo & 0x3F3F3F3FL) | (((hi & 0x0F0F0F0FL) | ((lo >>> 2) & 0x30303030L)) << 32);
        long mins = ((lo >>> 32) & 0x3F3F3F3FL) | ((((hi >>> 4) & 0x0F0F0F0FL) | ((lo >>> 34) & 0x30303030L)) << 32);
        ByteVector packed = LongVector.zero(LongVector.SPECIES_128).withLane(0, scales).withLane(1, mins)
                .reinterpretAsBytes();
        for (int p = 0; p < 16 / LANES; p++) {
            FloatVector v = (FloatVector) ((IntVector) packed.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, p))
                    .convert(VectorOperators.I2F, 0);
            FloatVector factor = LANES == 16 ? broadcast(d).blend(dmin, MINS_HALF) : broadcast(p * LANES < 8 ? d : dmin);
            v.mul(factor).intoArray(out, p * LANES);
        }
    }

    /** d·scale of the 16 sub-blocks of the Q6_K block at b: the signed bytes widened and scaled as vectors. */
    static void q6Scales(MemorySegment s, long b, float[] out) {
        float d = half(s, b + 208);
        ByteVector scales = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, s, b + 192, LE);
        for (int p = 0; p < 16 / LANES; p++) {
            ((FloatVector) ((IntVector) scales.convertShape(VectorOperators.B2I, INTS, p)).convert(VectorOperators.I2F, 0))
                    .mul(d).intoArray(out, p * LANES);
        }
    }

    /** Lanes 8–15 of a 16-lane vector: where the mins sit after the eight scales. */
    private static final jdk.incubator.vector.VectorMask<Float> MINS_HALF =
            jdk.incubator.vector.VectorMask.fromLong(FLOATS, LANES == 16 ? 0xFF00L : 0L);


    /** Q4_K and Q5_K: per sub-block pair, the low and high nibbles (plus a fifth bit) against x. */
    private static float dotQ45K(MemorySegment s, long row, int blocks, float[] x, int xo, float[] sums, int so,
                                 boolean five, float[] dm) {
        int blockBytes = five ? 176 : 144;
        long quants = five ? 48 : 16;
        FloatVector acc = FloatVector.zero(FLOATS);
        float mins = 0f;
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + (long) blk * blockBytes;
            int c = xo + blk * 256;
            kScales(s, b, dm);
            for (int j = 0; j < 4; j++) {
                long q0 = b + quants + 32L * j;
                int c0 = c + 64 * j;
                FloatVector lo = FloatVector.zero(FLOATS);
                FloatVector hi = FloatVector.zero(FLOATS);
                for (int g = 0; g < 32; g += UNIT) {
                    for (int k = 0; k < PARTS; k++) {
                        IntVector v = ints(s, q0 + g, k);
                        IntVector l = v.and(15);
                        IntVector u = v.lanewise(VectorOperators.ASHR, 4).and(15);
                        if (five) {
                            IntVector hv = ints(s, b + 16 + g, k).lanewise(VectorOperators.ASHR, 2 * j);
                            l = l.or(hv.and(1).lanewise(VectorOperators.LSHL, 4));
                            u = u.or(hv.and(2).lanewise(VectorOperators.LSHL, 3));
                        }
                        int at = c0 + g + k * LANES;
                        lo = floats(l).fma(x(x, at), lo);
                        hi = floats(u).fma(x(x, at + 32), hi);
                    }
                }
                int sub = 2 * j;
                acc = lo.fma(broadcast(dm[sub]), acc);
                acc = hi.fma(broadcast(dm[sub + 1]), acc);
                int group = so + blk * 8 + sub;
                // dotQ4_K's sum of the pair's mins, so the several-token kernel serves both types.
                mins += dm[8 + sub] * sums[group] + dm[8 + sub + 1] * sums[group + 1];
            }
        }
        return VectorLanes.sumLanes(acc) - mins;
    }

    /**
     * Q6_K a quarter of a half at a time (32 columns sharing ql's low or high nibbles and two bits
     * of qh), LANES columns per step, each product scaled by its 16-column sub-block's scale into
     * the one accumulator. One loop body serves the four quarters: written out for each, the
     * method outgrew C2's inlining budget (NodeCountInliningCutoff) and its vectors were boxed.
     */
    private static float dotQ6_K(MemorySegment s, long row, int blocks, float[] x, int xo, float[] scales) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 210L;
            q6Scales(s, b, scales);
            for (int part = 0; part < 8; part++) {
                int half = part >> 2;
                int quarter = part & 3;
                long ql = b + 64L * half + (quarter & 1) * 32;
                long qh = b + 128 + 32L * half;
                int nibble = (quarter >> 1) * 4;
                int shift = 2 * quarter;
                int c = xo + blk * 256 + 128 * half + 32 * quarter;
                int sc = 8 * half + 2 * quarter;
                for (int g = 0; g < 32; g += LANES) {
                    int unit = g - g % UNIT;
                    int p = (g % UNIT) / LANES;
                    acc = floats(q6(s, ql + unit, qh + unit, p, nibble, shift)).mul(x(x, c + g))
                            .fma(broadcast(scales[sc + g / 16]), acc);
                }
            }
        }
        return VectorLanes.sumLanes(acc);
    }

    /**
     * {@link #dot2Q6_K} for two tokens (activations at x0 and x1): rows r and r + gap into out[at],
     * out[at + 1] for the first token and out[STREAMS + at], out[STREAMS + at + 1] for the second.
     * Each quarter's quants are widened once for both tokens; each token keeps dotQ6_K's chain
     * exactly. The accumulators wait at {@code 2·STREAMS + 2·at·LANES} for their lane sums.
     */
    private static void dot2x2Q6_K(MemorySegment s, long row, long gap, int blocks, float[] x, int x0, int x1,
                                   float[] scales, float[] out, int at) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        FloatVector b0 = FloatVector.zero(FLOATS);
        FloatVector b1 = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 210L;
            q6ScalesOfTwo(s, b, gap, scales);
            for (int part = 0; part < 8; part++) {
                int half = part >> 2;
                int quarter = part & 3;
                long ql = b + 64L * half + (quarter & 1) * 32;
                long qh = b + 128 + 32L * half;
                int nibble = (quarter >> 1) * 4;
                int shift = 2 * quarter;
                int c = blk * 256 + 128 * half + 32 * quarter;
                int sc = 8 * half + 2 * quarter;
                for (int g = 0; g < 32; g += LANES) {
                    int unit = g - g % UNIT;
                    int p = (g % UNIT) / LANES;
                    FloatVector q0 = floats(q6(s, ql + unit, qh + unit, p, nibble, shift));
                    FloatVector q1 = floats(q6(s, ql + gap + unit, qh + gap + unit, p, nibble, shift));
                    FloatVector s0 = broadcast(scales[sc + g / 16]);
                    FloatVector s1 = broadcast(scales[16 + sc + g / 16]);
                    FloatVector u = x(x, x0 + c + g);
                    FloatVector v = x(x, x1 + c + g);
                    a0 = q0.mul(u).fma(s0, a0);
                    a1 = q1.mul(u).fma(s1, a1);
                    b0 = q0.mul(v).fma(s0, b0);
                    b1 = q1.mul(v).fma(s1, b1);
                }
            }
        }
        // Summed in scalar code: a lane sum on vectors this late in the method boxed them.
        int park = 2 * STREAMS + 2 * at * LANES;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        b0.intoArray(out, park + 2 * LANES);
        b1.intoArray(out, park + 3 * LANES);
        out[at] = VectorLanes.sumParked(out, park);
        out[at + 1] = VectorLanes.sumParked(out, park + LANES);
        out[STREAMS + at] = VectorLanes.sumParked(out, park + 2 * LANES);
        out[STREAMS + at + 1] = VectorLanes.sumParked(out, park + 3 * LANES);
    }

    /**
     * {@link #q6Scales} of the blocks at b and b + gap into scales[0, 16) and scales[16, 32), in
     * scalar code: the vector form, inside the two-row kernels, took them past C2's inlining budget.
     */
    private static void q6ScalesOfTwo(MemorySegment s, long b, long gap, float[] scales) {
        float d0 = half(s, b + 208);
        float d1 = half(s, b + gap + 208);
        for (int i = 0; i < 16; i++) {
            scales[i] = d0 * s.get(ValueLayout.JAVA_BYTE, b + 192 + i);
            scales[16 + i] = d1 * s.get(ValueLayout.JAVA_BYTE, b + gap + 192 + i);
        }
    }

    /** Q6_K quants q − 32 of part p: a nibble of the bytes at ql, two bits of those at qh. */
    static IntVector q6(MemorySegment s, long ql, long qh, int p, int nibble, int shift) {
        return ints(s, ql, p).lanewise(VectorOperators.ASHR, nibble).and(15)
                .or(ints(s, qh, p).lanewise(VectorOperators.ASHR, shift).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
    }

    /** {@link #dotQ6_K} for two rows {@code gap} bytes apart into out[at], out[at + 1]. */
    private static void dot2Q6_K(MemorySegment s, long row, long gap, int blocks, float[] x, int xo, float[] out, int at,
                                 float[] scales) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        for (int blk = 0; blk < blocks; blk++) {
            long b = row + blk * 210L;
            q6ScalesOfTwo(s, b, gap, scales);
            for (int part = 0; part < 8; part++) {
                int half = part >> 2;
                int quarter = part & 3;
                long ql = b + 64L * half + (quarter & 1) * 32;
                long qh = b + 128 + 32L * half;
                int nibble = (quarter >> 1) * 4;
                int shift = 2 * quarter;
                int c = xo + blk * 256 + 128 * half + 32 * quarter;
                int sc = 8 * half + 2 * quarter;
                for (int g = 0; g < 32; g += LANES) {
                    int unit = g - g % UNIT;
                    int p = (g % UNIT) / LANES;
                    FloatVector xv = x(x, c + g);
                    IntVector q0 = q6(s, ql + unit, qh + unit, p, nibble, shift);
                    IntVector q1 = q6(s, ql + gap + unit, qh + gap + unit, p, nibble, shift);
                    a0 = floats(q0).mul(xv).fma(broadcast(scales[sc + g / 16]), a0);
                    a1 = floats(q1).mul(xv).fma(broadcast(scales[16 + sc + g / 16]), a1);
                }
            }
        }
        int park = STREAMS + at * LANES;
        a0.intoArray(out, park);
        a1.intoArray(out, park + LANES);
        VectorLanes.sumEach(out, park, 2, out, at);
    }

    // ---------------------------------------------------------------------------------------------
    // decoding runs of 32 weights (the matmul packs panels of decoded weights)

    /**
     * out[off + i] = weight (first + i) for i in [0, n), with bits equal to
     * {@link QuantizedType#toFloat}: {@code first} and {@code n} are multiples of 32, so a K-quant
     * block can be decoded half by half.
     */
    static void decode(QuantizedType type, MemorySegment s, long first, int n, float[] out, int off) {
        for (int i = 0; i < n; i += 32) {
            long e = first + i;
            long b = e / type.blockElements() * type.blockBytes();
            int group = (int) (e % type.blockElements()) / 32;
            decode32(type, s, b, group, out, off + i);
        }
    }

    static void decode32(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        switch (type) {
            case Q8_0 -> decodeQ8_0(type, s, b, group, out, off);
            case Q4_0, Q4_1 -> decodeQ4(type, s, b, group, out, off);
            case Q5_0, Q5_1 -> decodeQ5(type, s, b, group, out, off);
            case Q4_K, Q5_K -> decodeQ45K(type, s, b, group, out, off);
            case Q6_K -> decodeQ6K(type, s, b, group, out, off);
        }
    }

    private static void decodeQ8_0(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        float d = half(s, b);
        for (int g = 0; g < 32; g += UNIT) {
            ByteVector q = load(s, b + 2 + g);
            for (int k = 0; k < PARTS; k++) {
                floats(ints(q, k)).mul(d).intoArray(out, off + g + k * LANES);
            }
        }
    }

    private static void decodeQ4(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        boolean min = type == QuantizedType.Q4_1;
        float d = half(s, b);
        float m = min ? half(s, b + 2) : 0f;
        int shift = min ? 0 : 8;
        for (int g = 0; g < 16; g += UNIT) {
            ByteVector q = load(s, b + (min ? 4 : 2) + g);
            for (int k = 0; k < PARTS; k++) {
                IntVector v = ints(q, k);
                int at = off + g + k * LANES;
                FloatVector lo = floats(v.and(15).sub(shift)).mul(d);
                FloatVector hi = floats(v.lanewise(VectorOperators.ASHR, 4).and(15).sub(shift)).mul(d);
                (min ? lo.add(m) : lo).intoArray(out, at);
                (min ? hi.add(m) : hi).intoArray(out, at + 16);
            }
        }
    }

    private static void decodeQ5(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        boolean min = type == QuantizedType.Q5_1;
        int header = min ? 4 : 2;
        float d = half(s, b);
        float m = min ? half(s, b + 2) : 0f;
        int shift = min ? 0 : 16;
        IntVector qh = IntVector.broadcast(INTS, s.get(QuantizedType.INT_LE, b + header));
        for (int g = 0; g < 16; g += UNIT) {
            ByteVector q = load(s, b + header + 4 + g);
            for (int k = 0; k < PARTS; k++) {
                IntVector v = ints(q, k);
                int lane = (g + k * LANES) / LANES;
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, LOW_BITS[lane]).and(1).lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, HIGH_BITS[lane]).and(1).lanewise(VectorOperators.LSHL, 4);
                int at = off + g + k * LANES;
                FloatVector lo = floats(v.and(15).or(h0).sub(shift)).mul(d);
                FloatVector hi = floats(v.lanewise(VectorOperators.ASHR, 4).and(15).or(h1).sub(shift)).mul(d);
                (min ? lo.add(m) : lo).intoArray(out, at);
                (min ? hi.add(m) : hi).intoArray(out, at + 16);
            }
        }
    }

    private static void decodeQ45K(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        boolean five = type == QuantizedType.Q5_K;
        float d = half(s, b);
        float dmin = half(s, b + 2);
        // Group g: nibbles (low for even g, high for odd) of the 32 bytes of pair g / 2.
        float scale = d * QuantizedType.kScale(s, b + 4, group);
        float min = dmin * QuantizedType.kMin(s, b + 4, group);
        long q0 = b + (five ? 48 : 16) + 32L * (group / 2);
        int nibble = (group & 1) * 4;
        for (int g = 0; g < 32; g += UNIT) {
            for (int k = 0; k < PARTS; k++) {
                IntVector v = ints(s, q0 + g, k).lanewise(VectorOperators.ASHR, nibble).and(15);
                if (five) {
                    v = v.or(ints(s, b + 16 + g, k).lanewise(VectorOperators.ASHR, group).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                floats(v).mul(scale).sub(min).intoArray(out, off + g + k * LANES);
            }
        }
    }

    private static void decodeQ6K(QuantizedType type, MemorySegment s, long b, int group, float[] out, int off) {
        // Group g: half g / 4, quarter g mod 4 of that half.
        float d = half(s, b + 208);
        int half = group / 4;
        int quarter = group % 4;
        long qlq = b + 64L * half + (quarter & 1) * 32;
        long qh = b + 128 + 32L * half;
        long sc = b + 192 + 8L * half;
        int nibble = quarter < 2 ? 0 : 4;
        for (int g = 0; g < 32; g += UNIT) {
            for (int k = 0; k < PARTS; k++) {
                int l = g + k * LANES;
                IntVector v = ints(s, qlq + g, k).lanewise(VectorOperators.ASHR, nibble).and(15)
                        .or(ints(s, qh + g, k).lanewise(VectorOperators.ASHR, 2 * quarter).and(3).lanewise(VectorOperators.LSHL, 4))
                        .sub(32);
                float scale = d * s.get(ValueLayout.JAVA_BYTE, sc + l / 16 + 2 * quarter);
                floats(v).mul(scale).intoArray(out, off + l);
            }
        }
    }
}
