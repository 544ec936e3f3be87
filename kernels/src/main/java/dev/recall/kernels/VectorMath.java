package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Lane-wise exp, tanh, sigmoid and silu built only from element-wise IEEE operations (add, mul,
 * fma, div, min/max, comparisons, blends, bit shifts), each with a scalar twin that performs the
 * same operations in the same order and so returns the same bits as every vector lane.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP/TANH)}: the interpreter and C1 run the Vector
 * API's Java fallback ({@code Math.exp} per lane) while C2 calls an SVML stub, and the two round
 * differently in the last bit. A computation would then change its result once the JIT warms up,
 * and threads at different warm-up stages would disagree. Element-wise IEEE operations are
 * correctly rounded in every tier, so these functions give the same bits cold and hot, in any
 * species, in vector lanes and in scalar tails (NaN results are NaN everywhere, though their
 * payload bits, which no float operation observes, may differ).
 *
 * <p>Accuracy against the exact value, in ulps of the result (checked by {@code VectorMathTest} over
 * every 1/4096 in [−110, 110] and 400k random floats): exp within 1 ulp over the whole float
 * range, including subnormal results, overflow to ∞ and underflow to 0; sigmoid within 1.5 ulp;
 * tanh within 2 ulp; silu within 2 ulp for x ≥ −87 and within 2⁻¹⁴⁰ absolutely below that.
 * NaN propagates.
 */
public final class VectorMath {

    private VectorMath() {
    }

    // ---- exp (Cephes expf) -------------------------------------------------------------------
    // x = n·ln2 + r with n = round(x·log2 e) and |r| ≤ ln2/2; e^r − 1 by a polynomial; 2ⁿ built
    // in the exponent bits. For exp, 2ⁿ is applied as 2^⌊n/2⌋·2^⌈n/2⌉ so that n from −150
    // (subnormal results) to 128 (overflow) needs no special case: both factors are normal
    // numbers, the first product is exact and only the second rounds.
    //
    // Few operations on purpose: C2 stops inlining once a method's IR passes a node budget, and
    // every Vector API call inlines a tree of templates; a call left out of line boxes its vectors.

    /** Below this e^x < 2⁻¹⁵⁰ (half the smallest subnormal) and rounds to 0; clamping keeps n ≥ −150. */
    private static final float EXP_MIN = -104f;
    /** Above ln(Float.MAX_VALUE) ≈ 88.72 e^x overflows to ∞; clamping keeps n ≤ 128. */
    private static final float EXP_MAX = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    /**
     * Adding 1.5·2²³ to |v| < 2²² rounds v to an integer n in the low mantissa bits; adding a
     * further k·127 leaves n + k·127 there, so shifting the bits left by 23 gives 2ⁿ (k = 1) or,
     * after halving, 2^⌊n/2⌋ and 2^⌈n/2⌉ (k = 2).
     */
    private static final float ROUND_ONE_BIAS = 0x1.8p23f + 127;
    private static final float ROUND_TWO_BIASES = 0x1.8p23f + 2 * 127;
    // Cody–Waite split of ln2: LN2_HI has 9 significant bits, so n·LN2_HI and x − n·LN2_HI are exact.
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    // e^r − 1 ≈ r + r²·(P0 + P1·r + … + P5·r⁵) on |r| ≤ ln2/2 (Cephes expf).
    private static final float EXP_P0 = 5.0000001201e-1f;
    private static final float EXP_P1 = 1.6666665459e-1f;
    private static final float EXP_P2 = 4.1665795894e-2f;
    private static final float EXP_P3 = 8.3334519073e-3f;
    private static final float EXP_P4 = 1.3981999507e-3f;
    private static final float EXP_P5 = 1.9875691500e-4f;
    private static final int MANTISSA_BITS = 23;

    /** e^x lane-wise, within 1 ulp for every float x. */
    public static FloatVector exp(FloatVector x) {
        x = x.max(EXP_MIN).min(EXP_MAX); // NaN stays NaN (Math.max/min semantics)
        FloatVector shifted = x.fma(LOG2E, ROUND_TWO_BIASES);
        FloatVector y = expm1Reduced(reduce(x, shifted.sub(ROUND_TWO_BIASES))).add(1f);
        IntVector bits = shifted.reinterpretAsInts();
        IntVector half = bits.lanewise(VectorOperators.LSHR, 1);
        return y.mul(exponentField(half)).mul(exponentField(bits.sub(half)));
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations, the same bits. */
    public static float expScalar(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float shifted = Math.fma(x, LOG2E, ROUND_TWO_BIASES);
        float y = expm1Reduced(reduce(x, shifted - ROUND_TWO_BIASES)) + 1f;
        int bits = Float.floatToRawIntBits(shifted);
        int half = bits >>> 1;
        return y * exponentField(half) * exponentField(bits - half);
    }

    /** x − n·ln2 for integral n near x·log2 e: exact but for LN2_LO's rounding. */
    private static FloatVector reduce(FloatVector x, FloatVector n) {
        FloatVector r = n.fma(x.broadcast(-LN2_HI), x);
        return n.fma(x.broadcast(-LN2_LO), r);
    }

    private static float reduce(float x, float n) {
        return Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
    }

    /** e^r − 1 for |r| ≤ ln2/2, with relative accuracy down to r = 0. */
    private static FloatVector expm1Reduced(FloatVector r) {
        FloatVector p = r.fma(EXP_P5, EXP_P4);
        p = p.fma(r, r.broadcast(EXP_P3));
        p = p.fma(r, r.broadcast(EXP_P2));
        p = p.fma(r, r.broadcast(EXP_P1));
        p = p.fma(r, r.broadcast(EXP_P0));
        return p.fma(r.mul(r), r);
    }

    private static float expm1Reduced(float r) {
        float p = Math.fma(r, EXP_P5, EXP_P4);
        p = Math.fma(p, r, EXP_P3);
        p = Math.fma(p, r, EXP_P2);
        p = Math.fma(p, r, EXP_P1);
        p = Math.fma(p, r, EXP_P0);
        return Math.fma(p, r * r, r);
    }

    /** The float whose exponent field is the low 9 bits of k (2^(k−127) for those in [1, 254]). */
    private static FloatVector exponentField(IntVector k) {
        return k.lanewise(VectorOperators.LSHL, MANTISSA_BITS).reinterpretAsFloats();
    }

    private static float exponentField(int k) {
        return Float.intBitsToFloat(k << MANTISSA_BITS);
    }

    // ---- tanh ------------------------------------------------------------------------------------
    // tanh|x| = m/(m + 2) with m = e^(2|x|) − 1 = 2ⁿ·(e^r − 1) + (2ⁿ − 1), one fma from the same
    // reduction and polynomial as exp. Near 0 (n = 0) m is the polynomial itself, so the relative
    // accuracy that 1 − 2/(e^2|x| + 1) would lose to cancellation is kept without a second branch.
    // The rounding error dLo of d = m + 2 is exact (Fast2Sum, larger operand first) and taken out
    // of t = m/d as m/(d + dLo) ≈ t − t·dLo/d, where 1/d = (1 − t)/2 needs no second division.
    // The magnitude is computed from |x| and the sign of x copied on, so tanh(−0) = −0.

    /** tanh rounds to 1 beyond 9.01; clamping to 10 keeps 2ⁿ ≤ 2²⁹. */
    private static final float TANH_SATURATED = 10f;
    private static final int SIGN_BIT = 0x80000000;

    /** tanh(x) lane-wise, within 2 ulp. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs().min(TANH_SATURATED);
        FloatVector twoA = a.add(a);
        FloatVector shifted = twoA.fma(LOG2E, ROUND_ONE_BIAS);
        FloatVector q = expm1Reduced(reduce(twoA, shifted.sub(ROUND_ONE_BIAS)));
        FloatVector twoToN = exponentField(shifted.reinterpretAsInts());
        FloatVector m = twoToN.fma(q, twoToN.sub(1f));
        FloatVector d = m.add(2f);
        FloatVector dLo = m.min(2f).sub(d.sub(m.max(2f)));
        FloatVector t = m.div(d);
        FloatVector magnitude = t.mul(dLo).fma(t.sub(1f).mul(0.5f), t);
        IntVector sign = x.reinterpretAsInts().and(SIGN_BIT);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** The scalar twin of {@link #tanh(FloatVector)}. */
    public static float tanhScalar(float x) {
        float a = Math.min(Math.abs(x), TANH_SATURATED);
        float twoA = a + a;
        float shifted = Math.fma(twoA, LOG2E, ROUND_ONE_BIAS);
        float q = expm1Reduced(reduce(twoA, shifted - ROUND_ONE_BIAS));
        float twoToN = exponentField(Float.floatToRawIntBits(shifted));
        float m = Math.fma(twoToN, q, twoToN - 1f);
        float d = m + 2f;
        float dLo = Math.min(m, 2f) - (d - Math.max(m, 2f));
        float t = m / d;
        float magnitude = Math.fma(t * dLo, (t - 1f) * 0.5f, t);
        int sign = Float.floatToRawIntBits(x) & SIGN_BIT;
        return Float.intBitsToFloat(Float.floatToRawIntBits(magnitude) | sign);
    }

    // ---- sigmoid and silu ----------------------------------------------------------------------
    // With e = e^−|x| ≤ 1 (never overflows): sigmoid(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for
    // x < 0, so results near 0 keep their relative accuracy instead of coming from 1/(1 + ∞);
    // silu(x) = x·sigmoid(x) likewise. Rounding 1 + e, the numerator x·e and the quotient would
    // each cost up to an ulp; divideByOnePlus carries the first two exactly and corrects the third.

    /** Beyond this silu(x) rounds to x (e^−x < 2⁻²⁵); returning x there also keeps silu(∞) = ∞. */
    private static final float SILU_IDENTITY = 20f;

    /** 1/(1 + e^−x) lane-wise, within 1.5 ulp. */
    public static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector numerator = x.broadcast(1f).blend(e, x.compare(VectorOperators.LT, 0f));
        return divideByOnePlus(numerator, x.broadcast(0f), e);
    }

    /** The scalar twin of {@link #sigmoid(FloatVector)}. */
    public static float sigmoidScalar(float x) {
        float e = expScalar(-Math.abs(x));
        float numerator = x < 0f ? e : 1f;
        return divideByOnePlus(numerator, 0f, e);
    }

    /**
     * x·sigmoid(x) = x/(1 + e^−x) lane-wise, within 2 ulp for x ≥ −87 (|result| ≥ 2⁻¹¹⁹); below
     * that e^x is subnormal and the result is accurate to 2⁻¹⁴⁰ absolutely. silu(−∞) is NaN, as
     * x/(1 + e^−x) is in double precision and in torch.
     */
    public static FloatVector silu(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector factor = x.broadcast(1f).blend(e, x.compare(VectorOperators.LT, 0f));
        FloatVector numerator = x.mul(factor);
        FloatVector numeratorLo = x.fma(factor, numerator.neg()); // x·factor − numerator, exactly
        FloatVector quotient = divideByOnePlus(numerator, numeratorLo, e);
        // The correction can turn an underflowed −0 into +0; silu has the sign of x.
        IntVector sign = x.reinterpretAsInts().and(SIGN_BIT);
        quotient = quotient.reinterpretAsInts().or(sign).reinterpretAsFloats();
        return quotient.blend(x, x.compare(VectorOperators.GT, SILU_IDENTITY));
    }

    /** The scalar twin of {@link #silu(FloatVector)}. */
    public static float siluScalar(float x) {
        float e = expScalar(-Math.abs(x));
        float factor = x < 0f ? e : 1f;
        float numerator = x * factor;
        float numeratorLo = Math.fma(x, factor, -numerator);
        float quotient = divideByOnePlus(numerator, numeratorLo, e);
        int sign = Float.floatToRawIntBits(x) & SIGN_BIT;
        quotient = Float.intBitsToFloat(Float.floatToRawIntBits(quotient) | sign);
        return x > SILU_IDENTITY ? x : quotient;
    }

    /**
     * (n + nLo)/(1 + e) for 0 ≤ e ≤ 1, where nLo is a tiny low part of the numerator. 1 + e is
     * d + dLo exactly (Fast2Sum: |e| ≤ 1); the approximate quotient q = n·(1/d) then gets one
     * Newton correction with the remainder n + nLo − q·(d + dLo), whose leading term fma computes
     * exactly.
     */
    private static FloatVector divideByOnePlus(FloatVector n, FloatVector nLo, FloatVector e) {
        FloatVector d = e.add(1f);
        FloatVector dLo = e.sub(d.sub(1f));
        FloatVector reciprocal = e.broadcast(1f).div(d);
        FloatVector q = n.mul(reciprocal);
        FloatVector remainder = q.neg().fma(d, n).add(nLo).sub(q.mul(dLo));
        return remainder.fma(reciprocal, q);
    }

    private static float divideByOnePlus(float n, float nLo, float e) {
        float d = e + 1f;
        float dLo = e - (d - 1f);
        float reciprocal = 1f / d;
        float q = n * reciprocal;
        float remainder = Math.fma(-q, d, n) + nLo - q * dLo;
        return Math.fma(remainder, reciprocal, q);
    }

    // ---- log1p and softplus --------------------------------------------------------------------
    // log(1 + x) = log(u) + log(1 + c/u) ≈ log(u) + c/u, where u = 1 + x rounded and c its exact
    // rounding error (Fast2Sum, larger operand first), so tiny x keep their relative accuracy: below
    // 2⁻²⁵ u is 1 and the result is c = x itself. log(u) as Cephes logf computes it: u = 2ᵏ·m with m
    // in [√½, √2), found in the bits by offsetting u so that the exponent field steps at √½ rather
    // than at 1; then log(u) = k·ln2 + f − f²/2 + f³·P(f) with f = m − 1 (exact, Sterbenz). The
    // −f²/2 term enters through fma exactly. u is never subnormal: for x > −1 it is at least 2⁻²⁴.

    private static final int ONE_BITS = 0x3f800000;
    private static final int SQRT_HALF_BITS = 0x3f3504f3;
    private static final int MANTISSA_MASK = 0x007fffff;
    /** The bits of ROUND_ONE_BIAS less its 127: OR-ing in a biased exponent e gives 1.5·2²³ + e. */
    private static final int ROUND_BIAS_BITS = 0x4b400000;
    // log(1 + f) ≈ f − f²/2 + f³·(P0 + P1·f + … + P8·f⁸) on f in [√½ − 1, √2 − 1] (Cephes logf).
    private static final float LOG_P0 = 3.3333331174e-1f;
    private static final float LOG_P1 = -2.4999993993e-1f;
    private static final float LOG_P2 = 2.0000714765e-1f;
    private static final float LOG_P3 = -1.6668057665e-1f;
    private static final float LOG_P4 = 1.4249322787e-1f;
    private static final float LOG_P5 = -1.2420140846e-1f;
    private static final float LOG_P6 = 1.1676998740e-1f;
    private static final float LOG_P7 = -1.1514610310e-1f;
    private static final float LOG_P8 = 7.0376836292e-2f;

    /**
     * log(1 + x) lane-wise, with relative accuracy down to the smallest x: log1p(−1) = −∞, NaN
     * below −1 and for NaN, log1p(∞) = ∞, and log1p(±0) = ±0.
     */
    public static FloatVector log1p(FloatVector x) {
        FloatVector u = x.add(1f);
        FloatVector c = x.min(1f).sub(u.sub(x.max(1f)));
        IntVector offset = u.reinterpretAsInts().add(ONE_BITS - SQRT_HALF_BITS);
        FloatVector k = offset.lanewise(VectorOperators.LSHR, MANTISSA_BITS).or(ROUND_BIAS_BITS)
                .reinterpretAsFloats().sub(ROUND_ONE_BIAS);
        FloatVector f = offset.and(MANTISSA_MASK).add(SQRT_HALF_BITS).reinterpretAsFloats().sub(1f);
        FloatVector p = logPolynomial(f);
        FloatVector small = k.fma(k.broadcast(LN2_LO), c.div(u));
        small = p.mul(f).fma(f.mul(f), small);
        small = f.fma(f.mul(-0.5f), small);
        FloatVector y = k.fma(k.broadcast(LN2_HI), f.add(small));
        // log1p has the sign of x; the sums above turn log1p(−0) into +0.
        y = y.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN_BIT)).reinterpretAsFloats();
        y = y.blend(Float.NEGATIVE_INFINITY, u.compare(VectorOperators.EQ, 0f))
                .blend(Float.NaN, u.compare(VectorOperators.LT, 0f));
        return y.blend(x, u.compare(VectorOperators.LT, Float.POSITIVE_INFINITY).not()); // ∞ and NaN
    }

    /**
     * P(f) of the log1p series, a method of its own so that log1p stays under C2's 325-byte limit
     * for inlining a hot method (a call C2 does not inline boxes its vector argument and result).
     */
    private static FloatVector logPolynomial(FloatVector f) {
        FloatVector p = f.fma(LOG_P8, LOG_P7);
        p = p.fma(f, f.broadcast(LOG_P6));
        p = p.fma(f, f.broadcast(LOG_P5));
        p = p.fma(f, f.broadcast(LOG_P4));
        p = p.fma(f, f.broadcast(LOG_P3));
        p = p.fma(f, f.broadcast(LOG_P2));
        p = p.fma(f, f.broadcast(LOG_P1));
        return p.fma(f, f.broadcast(LOG_P0));
    }

    /** The scalar twin of {@link #log1p(FloatVector)}. */
    public static float log1pScalar(float x) {
        float u = x + 1f;
        float c = Math.min(x, 1f) - (u - Math.max(x, 1f));
        int offset = Float.floatToRawIntBits(u) + (ONE_BITS - SQRT_HALF_BITS);
        float k = Float.intBitsToFloat((offset >>> MANTISSA_BITS) | ROUND_BIAS_BITS) - ROUND_ONE_BIAS;
        float f = Float.intBitsToFloat((offset & MANTISSA_MASK) + SQRT_HALF_BITS) - 1f;
        float p = Math.fma(f, LOG_P8, LOG_P7);
        p = Math.fma(p, f, LOG_P6);
        p = Math.fma(p, f, LOG_P5);
        p = Math.fma(p, f, LOG_P4);
        p = Math.fma(p, f, LOG_P3);
        p = Math.fma(p, f, LOG_P2);
        p = Math.fma(p, f, LOG_P1);
        p = Math.fma(p, f, LOG_P0);
        float small = Math.fma(k, LN2_LO, c / u);
        small = Math.fma(p * f, f * f, small);
        small = Math.fma(f, f * -0.5f, small);
        float y = Math.fma(k, LN2_HI, f + small);
        y = Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & SIGN_BIT));
        if (u < 0f) {
            return Float.NaN;
        }
        if (u == 0f) {
            return Float.NEGATIVE_INFINITY;
        }
        return u < Float.POSITIVE_INFINITY ? y : x;
    }

    /** Above this softplus is v itself, as in torch (beta 1, threshold 20); e^−20 is below v's ulp. */
    private static final float SOFTPLUS_IDENTITY = 20f;

    /**
     * log(1 + e^v) lane-wise as max(v, 0) + log1p(e^−|v|), which neither overflows nor loses the
     * relative accuracy of tiny results (v ≪ 0, where softplus(v) ≈ e^v); v itself above 20.
     */
    public static FloatVector softplus(FloatVector v) {
        return softplusFrom(v, softplusDecay(v));
    }

    /**
     * The first half of {@link #softplus}: e^−|v|. Array loops should run the halves as two
     * passes in two methods: exp and log1p in one loop body exceed C2's inlining node budget
     * (NodeCountInliningCutoff), and a vector call it leaves out is boxed on the heap every time.
     */
    public static FloatVector softplusDecay(FloatVector v) {
        return exp(v.abs().neg());
    }

    /** The second half of {@link #softplus}: max(v, 0) + log1p(e) for e = {@link #softplusDecay}(v). */
    public static FloatVector softplusFrom(FloatVector v, FloatVector e) {
        return v.max(0f).add(log1p(e)).blend(v, v.compare(VectorOperators.GT, SOFTPLUS_IDENTITY));
    }

    /** The scalar twin of {@link #softplus(FloatVector)}. */
    public static float softplusScalar(float v) {
        float y = Math.max(v, 0f) + log1pScalar(expScalar(-Math.abs(v)));
        return v > SOFTPLUS_IDENTITY ? v : y;
    }
}
