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

    private static final VectorSpecies<Float> S = VectorLanes.FLOATS;

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

    /** This thread's decays and gated inputs of one channel block, [t][block width] each. */
    private static final ThreadLocal<WorkBuffers> BLOCK = ThreadLocal.withInitial(WorkBuffers::new);

    /**
     * Channels [from, to) over all t tokens. The element-wise gates of every token come first,
     * one quantity per pass and per method (log a, m into {@code out}, a, the gated input), then the
     * recurrence h = a ⊙ h + gated ⊙ m runs over them. The operations are those of the one-pass
     * loop, so the bits are too; the split keeps one transcendental per loop body: with two
     * sigmoids and two exps in one body C2 ran out of inlining node budget and boxed every vector
     * that crossed a call it had left out (about 190 MB per 512-token prefill of a 3-layer
     * recurrentgemma-2b).
     */
    private static void scanChannels(float[] x, float[] inputGate, float[] recurrenceGate, float[] softplusParam,
                                     float[] h, int width, int t, boolean resetAtFirst, float[] out, int from, int to) {
        int vectorEnd = from + S.loopBound(to - from);
        if (vectorEnd > from) {
            WorkBuffers buffers = WorkBuffers.acquire(BLOCK);
            try {
                int block = vectorEnd - from;
                float[] decay = buffers.first(t * block);
                float[] gated = buffers.second(t * block);
                logDecays(recurrenceGate, softplusParam, width, t, from, vectorEnd, decay);
                normalisers(decay, width, t, from, vectorEnd, out);
                decays(decay, t, block);
                gatedInputs(x, inputGate, width, t, from, vectorEnd, gated);
                recurrence(decay, gated, h, width, t, resetAtFirst, from, vectorEnd, out);
            } finally {
                buffers.release();
            }
        }
        for (int c = vectorEnd; c < to; c++) {
            for (int i = 0; i < t; i++) {
                int o = i * width + c;
                h[c] = step(x[o], inputGate[o], recurrenceGate[o], softplusParam[c], h[c], resetAtFirst && i == 0);
                out[o] = h[c];
            }
        }
    }

    /** decay = log a = −8 · σ(recurrenceGate) · softplus(Λ). */
    private static void logDecays(float[] recurrenceGate, float[] softplusParam, int width, int t, int from, int end,
                                  float[] decay) {
        for (int i = 0, p = 0; i < t; i++) {
            for (int c = from; c < end; c += S.length(), p += S.length()) {
                FloatVector r = sigmoid(FloatVector.fromArray(S, recurrenceGate, i * width + c));
                r.mul(-8f).mul(FloatVector.fromArray(S, softplusParam, c)).intoArray(decay, p);
            }
        }
    }

    /** out = m = sqrt(1 − exp(2 · log a)), from decay = log a. */
    private static void normalisers(float[] decay, int width, int t, int from, int end, float[] out) {
        for (int i = 0, p = 0; i < t; i++) {
            for (int c = from; c < end; c += S.length(), p += S.length()) {
                FloatVector aSquared = VectorMath.exp(FloatVector.fromArray(S, decay, p).mul(2f));
                aSquared.neg().add(1f).lanewise(VectorOperators.SQRT).intoArray(out, i * width + c);
            }
        }
    }

    /** decay = a = exp(log a), in place. */
    private static void decays(float[] decay, int t, int block) {
        for (int p = 0; p < t * block; p += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, decay, p)).intoArray(decay, p);
        }
    }

    /** gated = x ⊙ σ(inputGate). */
    private static void gatedInputs(float[] x, float[] inputGate, int width, int t, int from, int end, float[] gated) {
        for (int i = 0, p = 0; i < t; i++) {
            for (int c = from; c < end; c += S.length(), p += S.length()) {
                int o = i * width + c;
                FloatVector.fromArray(S, x, o).mul(sigmoid(FloatVector.fromArray(S, inputGate, o))).intoArray(gated, p);
            }
        }
    }

    /**
     * h = a ⊙ h + gated ⊙ m token by token (h = gated at a sequence's first token), with m read
     * from out and the new state written over it. The state stays in h between tokens, not in a
     * vector carried round the loop.
     */
    private static void recurrence(float[] decay, float[] gated, float[] h, int width, int t, boolean resetAtFirst,
                                   int from, int end, float[] out) {
        int block = end - from;
        for (int c = from; c < end; c += S.length()) {
            for (int i = 0; i < t; i++) {
                int o = i * width + c;
                int p = i * block + c - from;
                FloatVector g = FloatVector.fromArray(S, gated, p);
                FloatVector state = resetAtFirst && i == 0 ? g
                        : FloatVector.fromArray(S, decay, p).mul(FloatVector.fromArray(S, h, c))
                                .add(g.mul(FloatVector.fromArray(S, out, o)));
                state.intoArray(out, o);
                state.intoArray(h, c);
            }
        }
    }

    /** σ(v), from element-wise operations only, so the bits do not depend on the JIT tier. */
    private static FloatVector sigmoid(FloatVector v) {
        return VectorMath.sigmoid(v);
    }
}
