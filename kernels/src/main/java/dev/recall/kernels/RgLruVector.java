package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD twin of {@link RgLru}: the same recurrence, a vector of channels at a time. Tokens stay
 * sequential (each depends on the previous state); channels are independent, so long batches
 * split the channel range across the shared pool. Leftover channels use the scalar step.
 */
final class RgLruVector extends RgLru {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Below this many channel-token updates per block a thread hand-off costs more than it saves. */
    private static final int WORK_PER_BLOCK = 1 << 15;

    private RgLruVector() {
    }

    static RgLru create() {
        return new RgLruVector();
    }

    @Override
    public void scan(float[] x, float[] inputGate, float[] recurrenceGate, float[] softplusParam, float[] h,
                     int width, int t, boolean resetAtFirst, float[] out) {
        // Split by whole vectors of channels, so every channel takes the same (vector or scalar
        // tail) path whatever the thread count: results do not depend on the split.
        int lanes = S.length();
        int groups = (width + lanes - 1) / lanes;
        int grain = Math.max(1, WORK_PER_BLOCK / Math.max(1, t * lanes));
        Parallel.forRange(groups, grain, (from, to) ->
                scanChannels(x, inputGate, recurrenceGate, softplusParam, h, width, t, resetAtFirst, out,
                        from * lanes, Math.min(width, to * lanes)));
    }

    private static void scanChannels(float[] x, float[] inputGate, float[] recurrenceGate, float[] softplusParam,
                                     float[] h, int width, int t, boolean resetAtFirst, float[] out, int from, int to) {
        int vectorEnd = from + S.loopBound(to - from);
        for (int c = from; c < vectorEnd; c += S.length()) {
            FloatVector state = FloatVector.fromArray(S, h, c);
            FloatVector sp = FloatVector.fromArray(S, softplusParam, c);
            for (int i = 0; i < t; i++) {
                int o = i * width + c;
                FloatVector gx = sigmoid(FloatVector.fromArray(S, inputGate, o));
                FloatVector r = sigmoid(FloatVector.fromArray(S, recurrenceGate, o));
                FloatVector logA = r.mul(-8f).mul(sp);
                FloatVector gated = FloatVector.fromArray(S, x, o).mul(gx);
                if (resetAtFirst && i == 0) {
                    state = gated;
                } else {
                    FloatVector a = VectorMath.exp(logA);
                    FloatVector aSquared = VectorMath.exp(logA.mul(2f));
                    FloatVector m = aSquared.neg().add(1f).lanewise(VectorOperators.SQRT);
                    state = a.mul(state).add(gated.mul(m));
                }
                state.intoArray(out, o);
            }
            state.intoArray(h, c);
        }
        for (int c = vectorEnd; c < to; c++) {
            for (int i = 0; i < t; i++) {
                int o = i * width + c;
                h[c] = step(x[o], inputGate[o], recurrenceGate[o], softplusParam[c], h[c], resetAtFirst && i == 0);
                out[o] = h[c];
            }
        }
    }

    /** σ(v), from element-wise operations only, so the bits do not depend on the JIT tier. */
    private static FloatVector sigmoid(FloatVector v) {
        return VectorMath.sigmoid(v);
    }
}
