package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The selective scan vectorised across channels: one vector holds the same state index k of L
 * neighbouring channels, so x, dt, D and y load straight from their [t, E] rows and B[i,k], C[i,k]
 * are broadcasts. (Vectorising over the state dimension instead would waste lanes whenever N is
 * smaller than the vector, N = 8 or 16 in real models, and needs a horizontal sum per token.)
 * The block's states are transposed to [N, L] for the duration of the scan. Channels left over
 * after the last full vector use the scalar loop.
 *
 * <p>For a few tokens (decode) the transposes would cost more than the scan itself, so there the
 * vectors run along the state dimension of one channel instead, whose rows are contiguous already.
 */
public class SelectiveScanVector extends SelectiveScanSequential {

    private static final VectorSpecies<Float> SPECIES = VectorLanes.FLOATS;

    /** Below this many tokens the scan vectorises along the state dimension (no transposes). */
    private static final int MIN_TOKENS_FOR_CHANNEL_LANES = 4;

    private final SelectiveScanScalar tail = new SelectiveScanScalar();

    @Override
    void scanBlock(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] y) {
        if (t1 - t0 < MIN_TOKENS_FOR_CHANNEL_LANES) {
            scanAlongStates(in, t0, t1, e0, e1, state, y);
            return;
        }
        int lanes = SPECIES.length();
        int n = in.states();
        float[] blockState = new float[n * lanes];
        float[] blockA = new float[n * lanes];
        int e = e0;
        for (; e + lanes <= e1; e += lanes) {
            transposeIn(in.a(), e, n, lanes, blockA);
            transposeIn(state, e, n, lanes, blockState);
            scanLanes(in, t0, t1, e, blockA, blockState, y);
            transposeOut(blockState, e, n, lanes, state);
        }
        if (e < e1) {
            tail.scanBlock(in, t0, t1, e, e1, state, y);
        }
    }

    /** The recurrence for channels [e, e + L), states in {@code s} as [N, L]. */
    private static void scanLanes(Inputs in, int t0, int t1, int e, float[] a, float[] s, float[] y) {
        int lanes = SPECIES.length();
        int channels = in.channels();
        int n = in.states();
        float[] b = in.b();
        float[] c = in.c();
        FloatVector skip = FloatVector.fromArray(SPECIES, in.d(), e);
        for (int i = t0; i < t1; i++) {
            int row = i * channels + e;
            FloatVector step = FloatVector.fromArray(SPECIES, in.dt(), row);
            FloatVector xi = FloatVector.fromArray(SPECIES, in.x(), row);
            FloatVector stepX = step.mul(xi);
            FloatVector acc = FloatVector.zero(SPECIES);
            int bc = i * n;
            for (int k = 0; k < n; k++) {
                int o = k * lanes;
                // mul + add, as the scalar reference computes it (its exp is Math.exp, this one
                // VectorMath.exp, so the two agree closely, not bit for bit).
                FloatVector decay = VectorMath.exp(step.mul(FloatVector.fromArray(SPECIES, a, o)));
                FloatVector sk = decay.mul(FloatVector.fromArray(SPECIES, s, o)).add(stepX.mul(b[bc + k]));
                sk.intoArray(s, o);
                acc = acc.add(sk.mul(c[bc + k]));
            }
            acc.add(skip.mul(xi)).intoArray(y, row);
        }
    }

    /**
     * The recurrence with one vector covering states [k, k + L) of one channel (masked at the end).
     * Channels go LANES at a time: each channel's output accumulators wait in {@code acc}, one
     * per token, and one in-place pass sums them all ({@link VectorLanes#sumLanesInPlace}, the
     * fixed-order lane sum). In memory rather than in a vector carried round the loop, which C2
     * boxed on the heap; and no per-channel lane-sum call, which this loop body (an exp and masked
     * loads) left C2 no inlining budget for.
     */
    private static void scanAlongStates(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] y) {
        int lanes = SPECIES.length();
        int channels = in.channels();
        int n = in.states();
        int tokens = t1 - t0;
        float[] a = in.a();
        float[] b = in.b();
        float[] c = in.c();
        float[] acc = new float[tokens * lanes * lanes]; // [token][channel of the group][lane]
        for (int g = e0; g < e1; g += lanes) {
            int groupEnd = Math.min(e1, g + lanes);
            for (int e = g; e < groupEnd; e++) {
                int s0 = e * n;
                for (int i = t0; i < t1; i++) {
                    float step = in.dt()[i * channels + e];
                    float stepX = step * in.x()[i * channels + e];
                    int bc = i * n;
                    int at = ((i - t0) * lanes + e - g) * lanes;
                    FloatVector.zero(SPECIES).intoArray(acc, at);
                    for (int k = 0; k < n; k += lanes) {
                        VectorMask<Float> m = SPECIES.indexInRange(k, n);
                        FloatVector decay = VectorMath.exp(FloatVector.fromArray(SPECIES, a, s0 + k, m).mul(step));
                        FloatVector sk = decay.mul(FloatVector.fromArray(SPECIES, state, s0 + k, m))
                                .add(FloatVector.fromArray(SPECIES, b, bc + k, m).mul(stepX));
                        sk.intoArray(state, s0 + k, m);
                        FloatVector.fromArray(SPECIES, acc, at)
                                .add(sk.mul(FloatVector.fromArray(SPECIES, c, bc + k, m)), m).intoArray(acc, at);
                    }
                }
            }
            VectorLanes.sumLanesInPlace(acc, tokens * lanes);
            for (int e = g; e < groupEnd; e++) {
                for (int i = t0; i < t1; i++) {
                    float xi = in.x()[i * channels + e];
                    y[i * channels + e] = acc[(i - t0) * lanes + e - g] + in.d()[e] * xi;
                }
            }
        }
    }

    /** Vectorised across channels: Σ dt from [t, E] rows, the decay along each channel's states. */
    @Override
    void carryState(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] zeroStart) {
        int lanes = SPECIES.length();
        int channels = in.channels();
        int n = in.states();
        float[] a = in.a();
        float[] dt = in.dt();
        float[] totalSteps = new float[e1 - e0];
        int e = e0;
        for (; e + lanes <= e1; e += lanes) {
            FloatVector total = FloatVector.zero(SPECIES);
            for (int i = t0; i < t1; i++) {
                total = total.add(FloatVector.fromArray(SPECIES, dt, i * channels + e));
            }
            total.intoArray(totalSteps, e - e0);
        }
        for (; e < e1; e++) {
            float total = 0f;
            for (int i = t0; i < t1; i++) {
                total += dt[i * channels + e];
            }
            totalSteps[e - e0] = total;
        }
        for (e = e0; e < e1; e++) {
            float total = totalSteps[e - e0];
            for (int j = e * n; j < (e + 1) * n; j += lanes) {
                VectorMask<Float> m = SPECIES.indexInRange(j, (e + 1) * n);
                FloatVector decay = carriedDecay(FloatVector.fromArray(SPECIES, a, j, m).mul(total));
                decay.mul(FloatVector.fromArray(SPECIES, state, j, m))
                        .add(FloatVector.fromArray(SPECIES, zeroStart, j, m))
                        .intoArray(state, j, m);
            }
        }
    }

    /** Vectorised across channels, like the scan itself; leftover channels use the scalar twin. */
    @Override
    void addCarriedOutput(Inputs in, int t0, int t1, int e0, int e1, float[] start, float[] y) {
        int lanes = SPECIES.length();
        int channels = in.channels();
        int n = in.states();
        float[] c = in.c();
        float[] blockA = new float[n * lanes];
        float[] blockStart = new float[n * lanes];
        int e = e0;
        for (; e + lanes <= e1; e += lanes) {
            transposeIn(in.a(), e, n, lanes, blockA);
            transposeIn(start, e, n, lanes, blockStart);
            FloatVector cumulativeStep = FloatVector.zero(SPECIES);
            for (int i = t0; i < t1; i++) {
                int row = i * channels + e;
                cumulativeStep = cumulativeStep.add(FloatVector.fromArray(SPECIES, in.dt(), row));
                FloatVector acc = FloatVector.zero(SPECIES);
                int bc = i * n;
                for (int k = 0; k < n; k++) {
                    int o = k * lanes;
                    FloatVector decay = carriedDecay(FloatVector.fromArray(SPECIES, blockA, o).mul(cumulativeStep));
                    acc = acc.add(decay.mul(FloatVector.fromArray(SPECIES, blockStart, o)).mul(c[bc + k]));
                }
                FloatVector.fromArray(SPECIES, y, row).add(acc).intoArray(y, row);
            }
        }
        if (e < e1) {
            tail.addCarriedOutput(in, t0, t1, e, e1, start, y);
        }
    }

    /**
     * exp(x) of a decay over many tokens, or 0 where x < {@link SelectiveScanScalar#NEGLIGIBLE_DECAY}
     * (as the scalar twin). Such sums of steps reach far below the exponents of a single step, and
     * the math library's exp is an order of magnitude slower on inputs whose result underflows.
     */
    private static FloatVector carriedDecay(FloatVector x) {
        VectorMask<Float> negligible = x.compare(VectorOperators.LT, SelectiveScanScalar.NEGLIGIBLE_DECAY);
        FloatVector zero = FloatVector.zero(SPECIES);
        return VectorMath.exp(x.blend(zero, negligible)).blend(zero, negligible);
    }

    /**
     * dt = softplus(dt + bias) over [tokens, channels], vectorised along the channels, in two
     * passes over the rows: biases and decays e^−|v| first, then softplus from the decays (see
     * {@link VectorMath#softplusDecay}; the same bits as one pass). Each pass is its own parallel
     * task. The pool calls every task's lambda through one shared call site, so the JIT compiles
     * each lambda on its own: the exp of the first pass and the log1p of the second never meet in
     * one compile unit, whose node budget they exceed together (C2 then boxed log1p's vectors on
     * the heap, about 100 MB and a third of this step's time on a 4096-token zoo Mamba prefill).
     */
    @Override
    public void softplusSteps(float[] dt, float[] bias, int tokens, int channels) {
        checkSteps(dt, bias, tokens, channels);
        int bound = SPECIES.loopBound(channels);
        int grain = Math.max(1, SOFTPLUS_GRAIN / Math.max(1, channels));
        WorkBuffers buffers = WorkBuffers.acquire(DECAYS);
        try {
            float[] decays = buffers.first(tokens * bound);
            // Rows are independent: a prefill's rows are shared out, a decode step's one row runs inline.
            Parallel.forRange(tokens, grain, (from, to) -> {
                for (int i = from; i < to; i++) {
                    biasAndDecays(dt, bias, i * channels, bound, decays, i * bound);
                }
            });
            Parallel.forRange(tokens, grain, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i * channels;
                    softplusFromDecays(dt, row, bound, decays, i * bound);
                    // The tail through the scalar twin of the same formula: every channel gets the
                    // same bits whichever side of the loop bound it falls on.
                    for (int e = bound; e < channels; e++) {
                        dt[row + e] = VectorMath.softplusScalar(bias == null ? dt[row + e] : dt[row + e] + bias[e]);
                    }
                }
            });
        } finally {
            buffers.release();
        }
    }

    /** The calling thread's decays for softplusSteps, [tokens, channels below the loop bound]. */
    private static final ThreadLocal<WorkBuffers> DECAYS = ThreadLocal.withInitial(WorkBuffers::new);

    /** Step sizes per parallel block of softplusSteps. */
    private static final int SOFTPLUS_GRAIN = 1 << 15;

    /** dt[row + e] += bias[e] and decays[d + e] = e^−|dt[row + e]| for e below bound. */
    private static void biasAndDecays(float[] dt, float[] bias, int row, int bound, float[] decays, int d) {
        for (int e = 0; e < bound; e += SPECIES.length()) {
            FloatVector v = FloatVector.fromArray(SPECIES, dt, row + e);
            if (bias != null) {
                v = v.add(FloatVector.fromArray(SPECIES, bias, e));
                v.intoArray(dt, row + e);
            }
            VectorMath.softplusDecay(v).intoArray(decays, d + e);
        }
    }

    /** dt[row + e] = softplus(dt[row + e]) from its decay, for e below bound. */
    private static void softplusFromDecays(float[] dt, int row, int bound, float[] decays, int d) {
        for (int e = 0; e < bound; e += SPECIES.length()) {
            FloatVector v = FloatVector.fromArray(SPECIES, dt, row + e);
            VectorMath.softplusFrom(v, FloatVector.fromArray(SPECIES, decays, d + e)).intoArray(dt, row + e);
        }
    }

    /** Copies rows [e, e + lanes) of an [E, N] array into {@code out} as [N, lanes]. */
    private static void transposeIn(float[] src, int e, int n, int lanes, float[] out) {
        for (int l = 0; l < lanes; l++) {
            for (int k = 0; k < n; k++) {
                out[k * lanes + l] = src[(e + l) * n + k];
            }
        }
    }

    private static void transposeOut(float[] block, int e, int n, int lanes, float[] dst) {
        for (int l = 0; l < lanes; l++) {
            for (int k = 0; k < n; k++) {
                dst[(e + l) * n + k] = block[k * lanes + l];
            }
        }
    }
}
