package dev.recall.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape every SIMD kernel uses, plus the lane-level primitives they share: loading
 * stored weights (F32, BF16, F16) as fp32 lanes, and a deterministic sum of a vector's lanes (of
 * one vector, or of many at once in place).
 *
 * <p>The float species is {@link FloatVector#SPECIES_PREFERRED} (16 lanes with AVX-512) unless
 * {@code -Drecall.vectorBits=128|256|512} asks for another width; that switch exists so tests and
 * benchmarks can exercise narrower machines. Species must be static finals: the JIT only turns
 * Vector API calls into SIMD instructions when the species is a compile-time constant.
 */
final class VectorLanes {

    static final VectorSpecies<Float> FLOATS = floatSpecies();
    static final int LANES = FLOATS.length();
    /** Shorts with the same lane count as {@link #FLOATS}: one 16-bit weight per float lane. */
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    // Butterfly partners for sumLanes; only those below LANES are created (the others are never read).
    private static final VectorShuffle<Float> XOR1 = xorShuffle(1);
    private static final VectorShuffle<Float> XOR2 = xorShuffle(2);
    private static final VectorShuffle<Float> XOR4 = xorShuffle(4);
    private static final VectorShuffle<Float> XOR8 = xorShuffle(8);
    private static final VectorShuffle<Float> XOR16 = xorShuffle(16);
    private static final VectorShuffle<Float> XOR32 = xorShuffle(32);

    private VectorLanes() {
    }

    private static VectorSpecies<Float> floatSpecies() {
        int bits = Integer.getInteger("recall.vectorBits", 0);
        VectorSpecies<Float> s = bits == 0 ? FloatVector.SPECIES_PREFERRED
                : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        if (s.length() < 4 || s.length() > 64) {
            throw new IllegalStateException("unsupported float vector of " + s.length() + " lanes");
        }
        return s;
    }

    static String describe() {
        return LANES + " x float (" + FLOATS.vectorBitSize() + "-bit)";
    }

    static int bits() {
        return FLOATS.vectorBitSize();
    }

    private static VectorShuffle<Float> xorShuffle(int k) {
        return k < LANES ? VectorShuffle.fromOp(FLOATS, i -> i ^ k) : null;
    }

    /**
     * LANES weights starting at flat element index {@code elem} of {@code data}, widened to fp32.
     * The type test is loop-invariant at every call site, so the JIT hoists it out of the loop;
     * the enum has no other constant, and a new one would be refused here rather than read as
     * another type.
     */
    static FloatVector weights(MemorySegment data, ElementType type, long elem) {
        if (type == ElementType.BF16) {
            return bf16(data, elem * 2);
        } else if (type == ElementType.F32) {
            return FloatVector.fromMemorySegment(FLOATS, data, elem * 4, LE);
        } else if (type == ElementType.F16) {
            return f16(data, elem * 2);
        }
        throw new IllegalArgumentException("no vector load for " + type);
    }

    /** bf16 is the top half of an fp32: shift the 16 stored bits into place. */
    static FloatVector bf16(MemorySegment data, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(SHORTS, data, byteOffset, LE);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, INTS, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * IEEE half to fp32, exactly as {@link Float#float16ToFloat}: rebias the exponent for normal
     * numbers, saturate it for inf/NaN (NaNs keep their payload and become quiet), and scale
     * subnormals, which are exact multiples of 2⁻²⁴ small enough to convert exactly from int.
     */
    static FloatVector f16(MemorySegment data, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(SHORTS, data, byteOffset, LE);
        IntVector h = (IntVector) s.convertShape(VectorOperators.S2I, INTS, 0);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = h.and(0x7fff);
        IntVector rebiased = magnitude.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
        VectorMask<Integer> infOrNaN = magnitude.compare(VectorOperators.GE, 0x7c00);
        rebiased = rebiased.add(0x38000000, infOrNaN)
                .lanewise(VectorOperators.OR, 0x00400000, magnitude.compare(VectorOperators.GT, 0x7c00));
        VectorMask<Integer> subnormal = magnitude.compare(VectorOperators.LT, 0x0400);
        IntVector scaled = ((FloatVector) magnitude.convert(VectorOperators.I2F, 0)).mul(0x1p-24f)
                .reinterpretAsInts();
        return rebiased.blend(scaled, subnormal).or(sign).reinterpretAsFloats();
    }

    /**
     * Sum of the lanes by a fixed butterfly. {@code reduceLanes(ADD)} is not used because its
     * order differs between the interpreter and JIT-compiled code, which would make results depend
     * on warm-up and thread scheduling; element-wise adds and shuffles are exact in every tier.
     */
    static float sumLanes(FloatVector v) {
        if (LANES > 32) {
            v = v.add(v.rearrange(XOR32));
        }
        if (LANES > 16) {
            v = v.add(v.rearrange(XOR16));
        }
        if (LANES > 8) {
            v = v.add(v.rearrange(XOR8));
        }
        if (LANES > 4) {
            v = v.add(v.rearrange(XOR4));
        }
        v = v.add(v.rearrange(XOR2));
        v = v.add(v.rearrange(XOR1));
        return v.lane(0);
    }

    /**
     * {@link #sumLanes} of the vector stored at v[at, at + LANES), in scalar code and in place
     * (the stored lanes are overwritten): the same butterfly (lane i plus lane i + h, for h =
     * LANES/2 down to 1), so the same bits. For the end of a kernel that has used C2's inlining
     * budget: a vector passed to a call C2 did not inline is boxed on the heap, an array is not.
     */
    static float sumParked(float[] v, int at) {
        for (int h = LANES / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                v[at + i] = v[at + i] + v[at + i + h];
            }
        }
        return v[at];
    }

    /**
     * out[at + i] = {@link #sumLanes} of the vector stored at v[from + i·LANES], for i below count.
     * A kernel that has run out of C2's inlining budget parks its accumulators in an array and
     * calls this: a vector passed to a call that is not inlined is boxed on the heap, an array is not.
     */
    static void sumEach(float[] v, int from, int count, float[] out, int at) {
        for (int i = 0; i < count; i++) {
            out[at + i] = sumLanes(FloatVector.fromArray(FLOATS, v, from + i * LANES));
        }
    }

    /**
     * Replaces the first {@code count} vectors of {@code vectors} (count a multiple of LANES) by
     * their {@link #sumLanes}, in order, in vectors[0, count): bit-identical sums, at a
     * few instructions per output rather than a butterfly each. One pass per butterfly level: each
     * merges neighbouring vectors, whose lanes form one segment of 2h lanes per output, into one
     * vector of segments of h lanes (lane i of a segment plus lane i + h), so a level costs two
     * permutes and an add per pair of vectors, and adds exactly sumLanes' pairs. Passes over
     * memory, not a chain of vectors, keep each loop body small: with the four levels of 16
     * vectors written out in one body, C2 at times ran out of node budget for the late-inlined
     * permutes and fell back to Java code that boxed every one of them on the heap.
     */
    static void sumLanesInPlace(float[] vectors, int count) {
        int n = count;
        for (int level = LOW_HALVES.length - 1; level >= 0; level--) {
            mergeNeighbours(vectors, n, LOW_HALVES[level], HIGH_HALVES[level]);
            n /= 2;
        }
    }

    /** Vector m of the n vectors in v becomes the merge of vectors 2m and 2m + 1 (in place: m ≤ 2m). */
    private static void mergeNeighbours(float[] v, int n, VectorShuffle<Float> low, VectorShuffle<Float> high) {
        for (int m = 0, from = 0; m < n / 2; m++, from += 2 * LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, v, from);
            FloatVector y = FloatVector.fromArray(FLOATS, v, from + LANES);
            x.rearrange(low, y).add(x.rearrange(high, y)).intoArray(v, m * LANES);
        }
    }

    /**
     * Per level (h = 2^level), the lanes of x then y that hold each segment's first (which = 0) or
     * second (which = 1) half. A shuffle index below 0 selects from y at index + LANES. Shuffles
     * rather than selectFrom with an index vector, which a throwaway loop measured slower (2.4
     * against 1.4 ns per output); the zoo Mamba prefill figures in docs/performance.md bracket it.
     */
    private static final VectorShuffle<Float>[] LOW_HALVES = halves(0);
    private static final VectorShuffle<Float>[] HIGH_HALVES = halves(1);

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves(int which) {
        VectorShuffle<Float>[] levels = new VectorShuffle[Integer.numberOfTrailingZeros(LANES)];
        for (int level = 0; level < levels.length; level++) {
            int half = 1 << level;
            int segmentsPerVector = LANES / (2 * half);
            int[] index = new int[LANES];
            for (int s = 0; s < LANES / half; s++) {
                boolean fromY = s >= segmentsPerVector;
                int segment = s % segmentsPerVector;
                for (int i = 0; i < half; i++) {
                    int lane = segment * 2 * half + which * half + i;
                    index[s * half + i] = fromY ? lane - LANES : lane;
                }
            }
            levels[level] = VectorShuffle.fromArray(FLOATS, index, 0);
        }
        return levels;
    }
}
