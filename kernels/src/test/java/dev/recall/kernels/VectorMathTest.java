package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of {@link VectorMath} against {@link Math}'s double-precision functions, agreement of
 * every species' lanes with the scalar twins bit for bit, and independence from the JIT tier.
 */
class VectorMathTest {

    private static final List<VectorSpecies<Float>> SPECIES = List.of(VectorLanes.FLOATS, FloatVector.SPECIES_64,
            FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512);
    /** Input arrays are padded to a multiple of this, the most lanes of any species above. */
    private static final int PAD = 16;

    private interface VectorFunction {
        FloatVector apply(FloatVector x);
    }

    private interface ScalarFunction {
        float apply(float x);
    }

    private interface Exact {
        double apply(double x);
    }

    private record Function(String name, VectorFunction vector, ScalarFunction scalar, Exact exact) {
    }

    private static final Function EXP = new Function("exp", VectorMath::exp, VectorMath::expScalar, Math::exp);
    private static final Function TANH = new Function("tanh", VectorMath::tanh, VectorMath::tanhScalar, Math::tanh);
    private static final Function SIGMOID = new Function("sigmoid", VectorMath::sigmoid, VectorMath::sigmoidScalar,
            x -> 1 / (1 + Math.exp(-x)));
    private static final Function SILU = new Function("silu", VectorMath::silu, VectorMath::siluScalar,
            x -> x / (1 + Math.exp(-x)));
    private static final Function LOG1P = new Function("log1p", VectorMath::log1p, VectorMath::log1pScalar,
            Math::log1p);
    private static final Function SOFTPLUS = new Function("softplus", VectorMath::softplus,
            VectorMath::softplusScalar, v -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
    private static final List<Function> FUNCTIONS = List.of(EXP, TANH, SIGMOID, SILU, LOG1P, SOFTPLUS);

    private static final float[] SPECIAL = {
        0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f, -0.5f,
        // exp: the largest finite result, the first overflow, the smallest normal and subnormal results
        88.72283f, Math.nextUp(88.72283f), 88.7229f, 89f, -87.33654f, -87.33655f, -87.3f, -88f, -100f,
        -103.27893f, -103.97207f, -103.97208f, -103.9721f, -104f, -104.5f, -150f,
        // tanh: the polynomial / exp branch boundary and the saturation point
        0.625f, Math.nextDown(0.625f), -0.625f, 9f, 9.01f, 9.1f, -9.1f, 10f, 10.5f, 1e-20f, -1e-20f, 1e-40f,
        // log1p: the pole and its neighbours, the √½ and √2 reduction boundaries of 1 + x, tiny and huge x
        Math.nextDown(-1f), Math.nextUp(-1f), -0.999f, -0.29289323f, -0.29289320f, 0.41421354f, 0.41421357f,
        0x1p-24f, -0x1p-25f, 0x1p-25f, 1e-30f, -1e-30f, 1e6f, 3e38f,
        // softplus: the identity threshold
        20f, Math.nextUp(20f), Math.nextDown(20f), -20f,
    };

    /** The accuracy sweep, built on first use (not in the interpreted child JVM, which needs none). */
    private static final class Sweep {
        static final float[] VALUES = sweep(110);
    }

    /** Every 1/4096 from −limit to limit, random bit patterns over the whole float range, and SPECIAL. */
    private static float[] sweep(float limit) {
        List<Float> values = new ArrayList<>();
        for (int i = Math.round(-limit * 4096); i <= Math.round(limit * 4096); i++) {
            values.add(i / 4096f);
        }
        Random rnd = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            values.add(Float.intBitsToFloat(rnd.nextInt()));
        }
        for (int i = 0; i < 200_000; i++) {
            values.add((rnd.nextFloat() * 2 - 1) * 120f); // random mantissas in the interesting range
        }
        for (float s : SPECIAL) {
            values.add(s);
        }
        return padded(values);
    }

    private static float[] padded(List<Float> values) {
        int n = (values.size() + PAD - 1) / PAD * PAD;
        float[] x = new float[n];
        for (int i = 0; i < values.size(); i++) {
            x[i] = values.get(i);
        }
        return x;
    }

    private static float[] lanes(VectorSpecies<Float> species, VectorFunction f, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += species.length()) {
            f.apply(FloatVector.fromArray(species, x, i)).intoArray(y, i);
        }
        return y;
    }

    /**
     * |got − exact| in units of the spacing of floats at the exact value (0.5 for a correctly
     * rounded result); overflow, NaN and the sign of zero must match exactly.
     */
    private static double ulpError(float got, double exact) {
        float rounded = (float) exact;
        if (Float.isNaN(rounded) || Float.isInfinite(rounded) || Float.isNaN(got) || Float.isInfinite(got)
                || rounded == 0f && exact == 0) {
            return Float.floatToIntBits(got) == Float.floatToIntBits(rounded) ? 0 : Double.POSITIVE_INFINITY;
        }
        float spacingAt = Math.abs(exact) < Math.abs(rounded) ? Math.nextDown(Math.abs(rounded)) : rounded;
        return Math.abs(got - exact) / Math.ulp(spacingAt);
    }

    /**
     * Fails where f's vector lanes are more than maxUlps from the exact value, except that where
     * |exact| < minMagnitude an absolute error up to maxAbsBelow is also accepted.
     */
    private static double checkUlps(Function f, float[] x, double maxUlps, double minMagnitude, double maxAbsBelow) {
        float[] y = lanes(VectorLanes.FLOATS, f.vector, x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double exact = f.exact.apply(x[i]);
            if (Math.abs(exact) >= minMagnitude || Double.isNaN(exact)) {
                double err = ulpError(y[i], exact);
                worst = Math.max(worst, err);
                if (!(err <= maxUlps)) {
                    fail(f.name + "(" + x[i] + ") = " + y[i] + ", exact " + exact + ": " + err + " ulp");
                }
            } else if (!(ulpError(y[i], exact) <= maxUlps || Math.abs(y[i] - exact) <= maxAbsBelow)) {
                fail(f.name + "(" + x[i] + ") = " + y[i] + ", exact " + exact);
            }
        }
        return worst;
    }

    @Test
    void expIsWithinOneUlpOverTheWholeFloatRange() {
        checkUlps(EXP, Sweep.VALUES, 1.0, 0, 0);
    }

    @Test
    void tanhIsWithinTwoUlps() {
        checkUlps(TANH, Sweep.VALUES, 2.0, 0, 0);
    }

    @Test
    void sigmoidIsWithinOneAndAHalfUlps() {
        checkUlps(SIGMOID, Sweep.VALUES, 1.5, 0, 0);
    }

    @Test
    void siluIsWithinTwoUlpsWhereExpIsNormal() {
        // Below 2⁻¹¹⁹ (x < −87) x·e^x is computed from a subnormal e^x: accurate absolutely, not relatively.
        checkUlps(SILU, Sweep.VALUES, 2.0, 0x1p-119, 0x1p-140);
    }

    /**
     * log1p's inputs: 10ᵗ and −10ᵗ for t log-spaced over [−30, 0) (down to −0.999 on the negative
     * side), 10ᵗ up to 10⁶ and −1 + 10ᵗ close to the pole; then every 1/4096 in [−1, 16], random bit
     * patterns over the whole float range and SPECIAL.
     */
    private static final class Log1pSweep {
        static final float[] VALUES = log1pSweep();
    }

    private static float[] log1pSweep() {
        List<Float> values = new ArrayList<>();
        int steps = 400_000;
        for (int i = 0; i <= steps; i++) {
            double t = -30 + 36.0 * i / steps;
            values.add((float) Math.pow(10, t));
            if (t < 0) {
                values.add((float) Math.max(-Math.pow(10, t), -0.999));
                values.add((float) (-1 + Math.pow(10, t / 4)));
            }
        }
        for (int i = -4096; i <= 16 * 4096; i++) {
            values.add(i / 4096f);
        }
        Random rnd = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            values.add(Float.intBitsToFloat(rnd.nextInt()));
        }
        for (float s : SPECIAL) {
            values.add(s);
        }
        return padded(values);
    }

    @Test
    void log1pIsWithinTwoUlpsIncludingTinyArguments() {
        double worst = checkUlps(LOG1P, Log1pSweep.VALUES, 2.0, 0, 0);
        System.out.println("log1p: max error " + worst + " ulp");
    }

    @Test
    void softplusIsWithinTwoUlps() {
        List<Float> values = new ArrayList<>();
        for (int i = -100 * 4096; i <= 100 * 4096; i++) {
            values.add(i / 4096f);
        }
        for (float v : Sweep.VALUES) {
            values.add(v);
        }
        double worst = checkUlps(SOFTPLUS, padded(values), 2.0, 0, 0);
        System.out.println("softplus: max error " + worst + " ulp");
    }

    @Test
    void log1pAndSoftplusSpecialValues() {
        float inf = Float.POSITIVE_INFINITY;
        float ln2 = (float) Math.log(2);
        float[][] cases = { // x, log1p, softplus
            {0f, 0f, ln2},
            {-0f, -0f, ln2},
            {Float.MIN_VALUE, Float.MIN_VALUE, ln2},
            {-Float.MIN_VALUE, -Float.MIN_VALUE, ln2},
            {1e-30f, 1e-30f, ln2},
            {-1e-30f, -1e-30f, ln2},
            {1f, ln2, 1.3132616f},
            {inf, inf, inf},
            {-inf, Float.NaN, 0f},
            {Float.NaN, Float.NaN, Float.NaN},
            {-1f, -inf, 0.31326166f},
            {Math.nextDown(-1f), Float.NaN, 0.31326166f},
            {-2f, Float.NaN, 0.126928f},
            {-200f, Float.NaN, 0f},
            {200f, (float) Math.log1p(200), 200f},
            {Float.MAX_VALUE, (float) Math.log(Float.MAX_VALUE), Float.MAX_VALUE},
        };
        checkCases(cases, List.of(LOG1P, SOFTPLUS), 2);
    }

    /**
     * Checks rows {x, f₀(x), f₁(x), …} of the given functions: the vector lane equals the expected
     * value bit for bit, except that with {@code ordinaryUlps} > 0 ordinary results (finite, non-zero,
     * not x itself) may be that many ulps off; the scalar twin always equals the vector lane exactly.
     */
    private static void checkCases(float[][] cases, List<Function> functions, int ordinaryUlps) {
        for (float[] c : cases) {
            for (int k = 0; k < functions.size(); k++) {
                Function f = functions.get(k);
                float want = c[k + 1];
                float[] x = new float[PAD];
                java.util.Arrays.fill(x, c[0]);
                boolean exact = ordinaryUlps == 0 || !Float.isFinite(want) || want == 0f || want == c[0];
                float vector = lanes(VectorLanes.FLOATS, f.vector, x)[0];
                float scalar = f.scalar.apply(c[0]);
                if (exact) {
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(vector), f.name + "(" + c[0] + ")");
                } else {
                    assertEquals(want, vector, ordinaryUlps * Math.ulp(want), f.name + "(" + c[0] + ")");
                }
                assertEquals(Float.floatToIntBits(vector), Float.floatToIntBits(scalar), f.name + "Scalar(" + c[0] + ")");
            }
        }
    }

    @Test
    void specialValues() {
        float inf = Float.POSITIVE_INFINITY;
        float[][] cases = { // x, exp, tanh, sigmoid, silu
            {0f, 1f, 0f, 0.5f, 0f},
            {-0f, 1f, -0f, 0.5f, -0f},
            {inf, inf, 1f, 1f, inf},
            {-inf, 0f, -1f, 0f, Float.NaN}, // silu(−∞) = −∞/(1 + ∞) is NaN in the double reference and in torch
            {Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN},
            {-200f, 0f, -1f, 0f, -0f},
            {200f, inf, 1f, 1f, 200f},
        };
        checkCases(cases, List.of(EXP, TANH, SIGMOID, SILU), 0);
    }

    @Test
    void everySpeciesLaneEqualsTheScalarTwinBitForBit() {
        float[] all = Sweep.VALUES;
        for (VectorSpecies<Float> species : SPECIES) {
            // Species without SIMD support on this machine run the Java fallback: give them a sample.
            float[] x = species == VectorLanes.FLOATS ? all : java.util.Arrays.copyOf(all, 64 * 1024);
            for (Function f : FUNCTIONS) {
                float[] y = lanes(species, f.vector, x);
                for (int i = 0; i < x.length; i++) {
                    float want = f.scalar.apply(x[i]);
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(y[i])
                            && !(Float.isNaN(want) && Float.isNaN(y[i]))) {
                        fail(species + " " + f.name + "(" + x[i] + ") = " + y[i] + ", scalar twin " + want);
                    }
                }
            }
        }
    }

    /** Inputs for the tier checks: a coarse sweep over every branch plus the special values. */
    static float[] tierInputs() {
        List<Float> values = new ArrayList<>();
        for (int i = -1100; i <= 1100; i++) {
            values.add(i / 10f + i / 4097f);
        }
        for (float s : SPECIAL) {
            values.add(s);
        }
        return padded(values);
    }

    /**
     * Each function's vector lanes then its scalar twin over the inputs, as float bits with NaNs
     * collapsed to one pattern: a NaN's payload and sign are not part of any result's value.
     */
    static int[] tierOutputs(float[] x) {
        int[] bits = new int[2 * FUNCTIONS.size() * x.length];
        int o = 0;
        for (Function f : FUNCTIONS) {
            for (float y : lanes(VectorLanes.FLOATS, f.vector, x)) {
                bits[o++] = Float.floatToIntBits(y);
            }
            for (float v : x) {
                bits[o++] = Float.floatToIntBits(f.scalar.apply(v));
            }
        }
        return bits;
    }

    /** Where {@link #warmUp} leaves its results, so the JIT cannot drop the work it exists to do. */
    private static volatile float sink;

    private static void warmUp(float[] x) {
        int n = x.length - VectorLanes.LANES;
        float sum = 0;
        for (int i = 0; i < 200_000; i++) {
            int at = i * VectorLanes.LANES % n;
            FloatVector v = FloatVector.fromArray(VectorLanes.FLOATS, x, at);
            for (Function f : FUNCTIONS) {
                sum += f.vector.apply(v).lane(0) + f.scalar.apply(x[at]);
            }
        }
        sink = sum; // a volatile store keeps the loop's results alive
    }

    @Test
    void resultsAreIdenticalColdAndAfterTheJitCompilesThem() {
        // Cold only when no earlier test in this JVM ran the functions; the -Xint test below is not
        // order-dependent. Both fail for lanewise(VectorOperators.EXP), which this class replaces.
        float[] x = tierInputs();
        int[] cold = tierOutputs(x);
        warmUp(x);
        assertBitsEqual(cold, tierOutputs(x), "after 200k warm-up calls");
    }

    @Test
    void resultsAreIdenticalInTheInterpreterAndInCompiledCode() throws IOException, InterruptedException {
        // A second JVM that only interprets runs the Vector API's Java fallback throughout; this one
        // has compiled the functions (warm-up below), with C2 intrinsics for the vector operations.
        int[] interpreted = InterpretedJvm.run(InterpretedRun.class);
        float[] x = tierInputs();
        warmUp(x);
        assertBitsEqual(interpreted, tierOutputs(x), "interpreter (-Xint) vs compiled");
    }

    private static void assertBitsEqual(int[] want, int[] got, String what) {
        assertEquals(want.length, got.length, what);
        float[] x = tierInputs();
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[i]) {
                int perFunction = 2 * x.length;
                Function f = FUNCTIONS.get(i / perFunction);
                int k = i % perFunction;
                fail(what + ": " + f.name + (k < x.length ? "" : "Scalar") + "(" + x[k % x.length] + ") = "
                        + Float.intBitsToFloat(want[i]) + " then " + Float.intBitsToFloat(got[i]));
            }
        }
    }

    /** The child JVM's entry point: writes {@link #tierOutputs} of {@link #tierInputs} to the named file. */
    static final class InterpretedRun {
        public static void main(String[] args) throws IOException {
            InterpretedJvm.write(args[0], tierOutputs(tierInputs()));
        }
    }
}
