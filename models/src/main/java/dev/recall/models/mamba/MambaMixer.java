package dev.recall.models.mamba;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.SelectiveScan;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.Scratch;

/**
 * One Mamba mixer (the selective SSM block), applied to a batch of t tokens at once:
 * <ol>
 *   <li>{@code [x ; z] = in_proj(u)}: x feeds the SSM, z is the gate;</li>
 *   <li>{@code x = silu(conv1d(x))}, a causal depthwise conv continuing from the carried inputs;</li>
 *   <li>{@code [dt_r, B, C] = x_proj(x)} (FalconMamba RMS-normalises each of the three, no weight);</li>
 *   <li>{@code dt = softplus(dt_proj(dt_r))}, {@code A = −exp(A_log)};</li>
 *   <li>the selective scan from the carried state: {@code y = scan(x, dt, A, B, C) + D ⊙ x};</li>
 *   <li>{@code out_proj(y ⊙ silu(z))}.</li>
 * </ol>
 */
final class MambaMixer {

    private final int hidden;
    private final int inner;
    private final int states;
    private final int rank;
    private final int convWidth;
    /** Multiply-adds per parallel block of the causal conv. */
    private static final int CONV_GRAIN = 1 << 16;

    private final WeightMatrix inProjX;
    private final WeightMatrix inProjGate;
    private final float[] inProjBias;
    /** conv1d weight transposed to [K, E] so that one tap reads a contiguous row. */
    private final float[] convTaps;
    private final float[] convBias;
    private final WeightMatrix xProjStep;
    private final WeightMatrix xProjB;
    private final WeightMatrix xProjC;
    private final WeightMatrix dtProj;
    private final float[] dtBias;
    /** A = −exp(A_log), [E, N]. */
    private final float[] decayRates;
    private final float[] skip;
    private final WeightMatrix outProj;
    private final float[] outProjBias;
    /** FalconMamba's one difference: dt_r, B and C are RMS-normalised (no weight) with this eps. */
    private final boolean normaliseSsmInputs;
    private final float ssmInputNormEps;

    MambaMixer(Weights weights, int layer, MambaDimensions dims, boolean normaliseSsmInputs, float ssmInputNormEps) {
        String p = MambaDimensions.layerPrefix(layer) + "mixer.";
        hidden = dims.hidden();
        inner = dims.inner();
        states = dims.states();
        rank = dims.rank();
        convWidth = dims.convWidth();
        this.normaliseSsmInputs = normaliseSsmInputs;
        this.ssmInputNormEps = ssmInputNormEps;

        WeightMatrix inProj = weights.get(p + "in_proj.weight").expectShape(2L * inner, hidden).matrix();
        inProjX = inProj.rows(0, inner);
        inProjGate = inProj.rows(inner, 2 * inner);
        inProjBias = optionalVector(weights, p + "in_proj.bias", 2L * inner);

        float[] conv = weights.get(p + "conv1d.weight").expectShape(inner, 1, convWidth).toFloats();
        convTaps = new float[convWidth * inner];
        for (int c = 0; c < inner; c++) {
            for (int k = 0; k < convWidth; k++) {
                convTaps[k * inner + c] = conv[c * convWidth + k];
            }
        }
        convBias = optionalVector(weights, p + "conv1d.bias", inner);

        WeightMatrix xProj = weights.get(p + "x_proj.weight").expectShape(rank + 2L * states, inner).matrix();
        xProjStep = xProj.rows(0, rank);
        xProjB = xProj.rows(rank, rank + states);
        xProjC = xProj.rows(rank + states, rank + 2 * states);

        dtProj = weights.get(p + "dt_proj.weight").expectShape(inner, rank).matrix();
        dtBias = optionalVector(weights, p + "dt_proj.bias", inner);

        decayRates = weights.get(p + "A_log").expectShape(inner, states).toFloats();
        for (int i = 0; i < decayRates.length; i++) {
            decayRates[i] = (float) -Math.exp(decayRates[i]);
        }
        skip = weights.get(p + "D").expectShape(inner).toFloats();

        outProj = weights.get(p + "out_proj.weight").expectShape(hidden, inner).matrix();
        outProjBias = optionalVector(weights, p + "out_proj.bias", hidden);
    }

    private static float[] optionalVector(Weights weights, String name, long length) {
        return weights.has(name) ? weights.get(name).expectShape(length).toFloats() : null;
    }

    /**
     * Mixes t tokens u ([t, D], already normalised) and returns the block output [t, D]; the
     * conv inputs ([K − 1, E]) and SSM state ([E, N]) carry over and are updated in place. The
     * output and every intermediate are buffers of {@code scratch}, valid until the next call.
     */
    float[] forward(float[] u, int t, float[] convState, float[] ssmState, Scratch scratch) {
        Kernels kernels = Kernels.get();

        float[] x = scratch.floats("mixer.x", t * inner);
        float[] gate = scratch.floats("mixer.gate", t * inner);
        kernels.matmul(inProjX, u, t, x);
        kernels.matmul(inProjGate, u, t, gate);
        if (inProjBias != null) {
            addBias(x, t, inProjBias, 0, inner);
            addBias(gate, t, inProjBias, inner, inner);
        }

        float[] convolved = causalConv(x, t, convState, scratch);
        kernels.silu(convolved, 0, t * inner);

        float[] stepLowRank = scratch.floats("mixer.stepLowRank", t * rank);
        float[] b = scratch.floats("mixer.b", t * states);
        float[] c = scratch.floats("mixer.c", t * states);
        kernels.matmul(xProjStep, convolved, t, stepLowRank);
        kernels.matmul(xProjB, convolved, t, b);
        kernels.matmul(xProjC, convolved, t, c);
        if (normaliseSsmInputs) {
            normaliseRows(stepLowRank, t, rank);
            normaliseRows(b, t, states);
            normaliseRows(c, t, states);
        }

        SelectiveScan scan = SelectiveScan.forTokens(t, inner);
        float[] step = scratch.floats("mixer.step", t * inner);
        kernels.matmul(dtProj, stepLowRank, t, step);
        scan.softplusSteps(step, dtBias, t, inner);

        float[] y = scratch.floats("mixer.y", t * inner);
        scan.scan(new SelectiveScan.Inputs(t, inner, states, convolved, step, decayRates, b, c, skip), ssmState, y);

        kernels.siluMul(gate, y, t * inner); // gate = silu(gate) ⊙ y
        float[] out = scratch.floats("mixer.out", t * hidden);
        kernels.matmul(outProj, gate, t, out);
        if (outProjBias != null) {
            addBias(out, t, outProjBias, 0, hidden);
        }
        return out;
    }

    /**
     * Depthwise causal conv: out[i, c] = bias[c] + Σ_k w[c, k] · in[i − (K − 1) + k, c], where the
     * inputs before this batch come from {@code convState}, which is then left holding the last
     * K − 1 inputs.
     */
    private float[] causalConv(float[] x, int t, float[] convState, Scratch scratch) {
        int history = convWidth - 1;
        // [K − 1 + t, E]: the carried inputs followed by this batch's.
        float[] padded = scratch.floats("mixer.convInputs", (history + t) * inner);
        System.arraycopy(convState, 0, padded, 0, history * inner);
        System.arraycopy(x, 0, padded, history * inner, t * inner);

        float[] out = convBias == null ? scratch.zeroed("mixer.convolved", t * inner)
                : scratch.floats("mixer.convolved", t * inner); // every row starts as a copy of the bias
        // Channels are independent: a prefill splits them over the threads (each output's sum is
        // the same whichever thread computes it); a decode step's one token runs inline.
        Parallel.forRange(inner, Math.max(1, CONV_GRAIN / Math.max(1, t * convWidth)), (c0, c1) -> {
            for (int i = 0; i < t; i++) {
                int row = i * inner;
                if (convBias != null) {
                    System.arraycopy(convBias, c0, out, row + c0, c1 - c0);
                }
                for (int k = 0; k < convWidth; k++) {
                    int in = (i + k) * inner;
                    int tap = k * inner;
                    for (int c = c0; c < c1; c++) {
                        out[row + c] += convTaps[tap + c] * padded[in + c];
                    }
                }
            }
        });
        System.arraycopy(padded, t * inner, convState, 0, history * inner);
        return out;
    }

    private void normaliseRows(float[] m, int t, int width) {
        for (int i = 0; i < t; i++) {
            Kernels.get().rmsNorm(m, i * width, null, 0f, ssmInputNormEps, m, i * width, width);
        }
    }

    private static void addBias(float[] m, int t, float[] bias, int biasOffset, int width) {
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < width; j++) {
                m[i * width + j] += bias[biasOffset + j];
            }
        }
    }
}
