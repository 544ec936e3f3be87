package dev.recall.models.mamba;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.SelectiveScan;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.layers.CausalConv1d;
import dev.recall.runtime.model.Rows;
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

    private final WeightMatrix inProjX;
    private final WeightMatrix inProjGate;
    private final float[] inProjBias;
    private final CausalConv1d conv;
    /** [rank + 2N, E]: the rows of dt_r, then B, then C. */
    private final WeightMatrix xProj;
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
    private final Kernels kernels;

    MambaMixer(Weights weights, int layer, MambaDimensions dims, boolean normaliseSsmInputs, float ssmInputNormEps,
               Kernels kernels) {
        this.kernels = kernels;
        String p = MambaDimensions.layerPrefix(layer) + "mixer.";
        hidden = dims.hidden();
        inner = dims.inner();
        states = dims.states();
        rank = dims.rank();
        this.normaliseSsmInputs = normaliseSsmInputs;
        this.ssmInputNormEps = ssmInputNormEps;

        WeightMatrix inProj = weights.get(p + "in_proj.weight").expectShape(2L * inner, hidden).matrix();
        inProjX = inProj.rows(0, inner);
        inProjGate = inProj.rows(inner, 2 * inner);
        inProjBias = optionalVector(weights, p + "in_proj.bias", 2L * inner);

        conv = CausalConv1d.load(weights.get(p + "conv1d.weight").expectShape(inner, 1, dims.convWidth()),
                weights.has(p + "conv1d.bias") ? weights.get(p + "conv1d.bias") : null, kernels);

        xProj = weights.get(p + "x_proj.weight").expectShape(rank + 2L * states, inner).matrix();

        dtProj = weights.get(p + "dt_proj.weight").expectShape(inner, rank).matrix();
        dtBias = optionalVector(weights, p + "dt_proj.bias", inner);

        if (weights.has(p + MambaGguf.DECAY)) {
            // A GGUF file stores A = −exp(A_log) itself, as llama.cpp's converter computed it.
            decayRates = weights.get(p + MambaGguf.DECAY).expectShape(inner, states).toFloats();
        } else {
            decayRates = weights.get(p + "A_log").expectShape(inner, states).toFloats();
            for (int i = 0; i < decayRates.length; i++) {
                decayRates[i] = (float) -Math.exp(decayRates[i]);
            }
        }
        skip = weights.get(p + "D").expectShape(inner).toFloats();

        outProj = weights.get(p + "out_proj.weight").expectShape(hidden, inner).matrix();
        outProjBias = optionalVector(weights, p + "out_proj.bias", hidden);
    }

    private static float[] optionalVector(Weights weights, String name, long length) {
        return weights.has(name) ? weights.get(name).expectShape(length).toFloats() : null;
    }

    /**
     * Mixes the rows u of a pass ([rows, D], already normalised) and returns the block output
     * [rows, D]; piece p's conv inputs ([K − 1, E]) and SSM state ([E, N]) are convStates[p] and
     * ssmStates[p], carried over and updated in place. The products take every row at once; the
     * conv and the scan run piece by piece. The output and every intermediate are buffers of
     * {@code scratch}, valid until the next call.
     */
    float[] forward(float[] u, Rows rows, float[][] convStates, float[][] ssmStates, Scratch scratch) {
        int t = rows.count();
        float[] x = scratch.floats("mixer.x", t * inner);
        float[] gate = scratch.floats("mixer.gate", t * inner);
        rows.linear(kernels, inProjX, u, x);
        rows.linear(kernels, inProjGate, u, gate);
        if (inProjBias != null) {
            addBias(x, t, inProjBias, 0, inner);
            addBias(gate, t, inProjBias, inner, inner);
        }

        float[] convolved = scratch.floats("mixer.convolved", t * inner);
        for (int p = 0; p < rows.pieces(); p++) {
            conv.forward(x, rows.start(p), rows.length(p), convStates[p], convolved, scratch);
        }
        kernels.silu(convolved, 0, t * inner);

        // One product for dt_r, B and C (one matrix wide enough to share out), then split.
        int projected = rank + 2 * states;
        float[] ssmInputs = scratch.floats("mixer.ssmInputs", t * projected);
        rows.linear(kernels, xProj, convolved, ssmInputs);
        float[] stepLowRank = scratch.floats("mixer.stepLowRank", t * rank);
        float[] b = scratch.floats("mixer.b", t * states);
        float[] c = scratch.floats("mixer.c", t * states);
        for (int i = 0; i < t; i++) {
            int row = i * projected;
            System.arraycopy(ssmInputs, row, stepLowRank, i * rank, rank);
            System.arraycopy(ssmInputs, row + rank, b, i * states, states);
            System.arraycopy(ssmInputs, row + rank + states, c, i * states, states);
        }
        if (normaliseSsmInputs) {
            normaliseRows(stepLowRank, t, rank);
            normaliseRows(b, t, states);
            normaliseRows(c, t, states);
        }

        float[] step = scratch.floats("mixer.step", t * inner);
        rows.linear(kernels, dtProj, stepLowRank, step);
        float[] y = scratch.floats("mixer.y", t * inner);
        if (rows.pieces() == 1) {
            scan(0, t, convolved, step, b, c, ssmStates[0], y, true, scratch);
        } else {
            scanPieces(rows, convolved, step, b, c, ssmStates, y, scratch);
        }

        kernels.siluMul(gate, y, t * inner); // gate = silu(gate) ⊙ y
        float[] out = scratch.floats("mixer.out", t * hidden);
        rows.linear(kernels, outProj, gate, out);
        if (outProjBias != null) {
            addBias(out, t, outProjBias, 0, hidden);
        }
        return out;
    }

    /**
     * The step sizes and the selective scan of one piece, rows [r0, r0 + t), with the scan a
     * sequence of t tokens gets alone. The piece's rows are copied into buffers of their own unless
     * it is the pass's only piece.
     */
    private void scan(int r0, int t, float[] convolved, float[] step, float[] b, float[] c, float[] ssmState,
                      float[] y, boolean only, Scratch scratch) {
        SelectiveScan scan = kernels.selectiveScan(t, inner);
        float[] px = only ? convolved : slice(scratch, "mixer.piece.x", convolved, r0, t, inner);
        float[] pStep = only ? step : slice(scratch, "mixer.piece.step", step, r0, t, inner);
        float[] pb = only ? b : slice(scratch, "mixer.piece.b", b, r0, t, states);
        float[] pc = only ? c : slice(scratch, "mixer.piece.c", c, r0, t, states);
        float[] py = only ? y : scratch.floats("mixer.piece.y", t * inner);
        scan.softplusSteps(pStep, dtBias, t, inner);
        scan.scan(new SelectiveScan.Inputs(t, inner, states, px, pStep, decayRates, pb, pc, skip), ssmState, py);
        if (!only) {
            System.arraycopy(py, 0, y, r0 * inner, t * inner);
        }
    }

    /**
     * The scans of several pieces (sequences of a batch) as one parallel job over the pieces. A
     * decode step's piece is one token, whose scan is far too small to split over channels: eight
     * pieces scanned one after another were eight fork-joins per layer, with a core idle a quarter
     * of the time. Each piece's scan runs inline on one worker and computes what it computes alone.
     * Buffers are taken here, on the calling thread (the scratch is not thread-safe).
     */
    private void scanPieces(Rows rows, float[] convolved, float[] step, float[] b, float[] c, float[][] ssmStates,
                            float[] y, Scratch scratch) {
        int n = rows.pieces();
        float[][] px = new float[n][], pStep = new float[n][], pb = new float[n][], pc = new float[n][], py = new float[n][];
        for (int p = 0; p < n; p++) {
            int r0 = rows.start(p), t = rows.length(p);
            px[p] = slice(scratch, pieceName(0, p), convolved, r0, t, inner);
            pStep[p] = slice(scratch, pieceName(1, p), step, r0, t, inner);
            pb[p] = slice(scratch, pieceName(2, p), b, r0, t, states);
            pc[p] = slice(scratch, pieceName(3, p), c, r0, t, states);
            py[p] = scratch.floats(pieceName(4, p), t * inner);
        }
        Parallel.forRange(n, 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                int t = rows.length(p);
                SelectiveScan scan = kernels.selectiveScan(t, inner);
                scan.softplusSteps(pStep[p], dtBias, t, inner);
                scan.scan(new SelectiveScan.Inputs(t, inner, states, px[p], pStep[p], decayRates, pb[p], pc[p], skip),
                        ssmStates[p], py[p]);
            }
        });
        for (int p = 0; p < n; p++) {
            System.arraycopy(py[p], 0, y, rows.start(p) * inner, rows.length(p) * inner);
        }
    }

    /** The pieces' scratch buffers, and their names for the first pieces (made once, not per step). */
    private static final String[] PIECE_BUFFERS = {"x", "step", "b", "c", "y"};
    private static final int NAMED_PIECES = 64;
    private static final String[][] PIECE_NAMES = new String[PIECE_BUFFERS.length][NAMED_PIECES];

    static {
        for (int i = 0; i < PIECE_BUFFERS.length; i++) {
            for (int p = 0; p < NAMED_PIECES; p++) {
                PIECE_NAMES[i][p] = "mixer.piece." + PIECE_BUFFERS[i] + "." + p;
            }
        }
    }

    private static String pieceName(int buffer, int piece) {
        return piece < NAMED_PIECES ? PIECE_NAMES[buffer][piece] : "mixer.piece." + PIECE_BUFFERS[buffer] + "." + piece;
    }

    /** Rows [r0, r0 + t) of a [·, width] array, copied into the scratch buffer called name. */
    private static float[] slice(Scratch scratch, String name, float[] from, int r0, int t, int width) {
        float[] piece = scratch.floats(name, t * width);
        System.arraycopy(from, r0 * width, piece, 0, t * width);
        return piece;
    }

    private void normaliseRows(float[] m, int t, int width) {
        for (int i = 0; i < t; i++) {
            kernels.rmsNorm(m, i * width, null, 0f, ssmInputNormEps, m, i * width, width);
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
