package dev.recall.models.griffin;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.ScalarKernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.layers.CausalConv1d;
import dev.recall.runtime.layers.Linear;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;

/**
 * Griffin's recurrent temporal block. Two branches of the normalised input u:
 * {@code y = gelu_tanh(linear_y(u))} and {@code x = conv1d(linear_x(u))} fed through the RG-LRU;
 * the output is {@code linear_out(h ⊙ y)}.
 */
final class RecurrentBlock implements TemporalBlock {

    /** What the block remembers between batches: the conv's last K−1 inputs and the LRU state, fp32. */
    static final class Memory {
        final float[] convHistory;
        final float[] h;

        Memory(int convHistoryLength, int width) {
            this.convHistory = new float[convHistoryLength];
            this.h = new float[width];
        }

        private Memory(Memory other) {
            this.convHistory = other.convHistory.clone();
            this.h = other.h.clone();
        }

        Memory copy() {
            return new Memory(this);
        }

        long sizeBytes() {
            return (long) (convHistory.length + h.length) * Float.BYTES;
        }
    }

    private final Linear linearX;
    private final Linear linearY;
    private final Linear linearOut;
    private final CausalConv1d conv;
    private final BlockDiagonalLinear inputGate;
    private final BlockDiagonalLinear recurrenceGate;
    /** softplus(Λ) per channel: the recurrence's decay rate before the gate scales it. */
    private final float[] softplusParam;
    private final int width;
    private final Kernels kernels;

    private RecurrentBlock(Linear linearX, Linear linearY, Linear linearOut, CausalConv1d conv,
                           BlockDiagonalLinear inputGate, BlockDiagonalLinear recurrenceGate, float[] softplusParam,
                           Kernels kernels) {
        this.kernels = kernels;
        this.linearX = linearX;
        this.linearY = linearY;
        this.linearOut = linearOut;
        this.conv = conv;
        this.inputGate = inputGate;
        this.recurrenceGate = recurrenceGate;
        this.softplusParam = softplusParam;
        this.width = linearX.out();
    }

    /** Loads the tensors under {@code prefix} (e.g. {@code model.layers.0.temporal_block.}). */
    static RecurrentBlock load(Kernels kernels, Weights weights, String prefix, int hidden) {
        int width = weights.get(prefix + "linear_x.weight").dim(0); // the LRU width: only the tensors tell
        Linear linearX = Linear.loadWithBias(kernels, weights, prefix + "linear_x", width, hidden);
        Linear linearY = Linear.loadWithBias(kernels, weights, prefix + "linear_y", width, hidden);
        Linear linearOut = Linear.loadWithBias(kernels, weights, prefix + "linear_out", hidden, width);
        CausalConv1d conv = CausalConv1d.load(weights.get(prefix + "conv_1d.weight"), weights.get(prefix + "conv_1d.bias"), kernels);
        String lru = prefix + "rg_lru.";
        BlockDiagonalLinear inputGate = BlockDiagonalLinear.load(
                weights.get(lru + "input_gate_weight"), weights.get(lru + "input_gate_bias"), width, kernels);
        BlockDiagonalLinear recurrenceGate = BlockDiagonalLinear.load(
                weights.get(lru + "recurrent_gate_weight"), weights.get(lru + "recurrent_gate_bias"), width, kernels);
        float[] softplusParam = weights.get(lru + "recurrent_param").expectShape(width).toFloats();
        for (int c = 0; c < width; c++) {
            softplusParam[c] = ScalarKernels.softplus(softplusParam[c]);
        }
        if (conv.width() != width || inputGate.width() != width || recurrenceGate.width() != width) {
            throw new RecallException(prefix + "conv_1d / rg_lru gate widths do not match the LRU width " + width);
        }
        return new RecurrentBlock(linearX, linearY, linearOut, conv, inputGate, recurrenceGate, softplusParam, kernels);
    }

    Memory newMemory() {
        return new Memory(conv.historyLength(), width);
    }

    /**
     * u is the normalised input [rows, hidden]; out receives [rows, hidden]; piece p carries
     * memories[p].
     *
     * @param startsSequence per piece: its first row is the token at absolute position 0, where the
     *                       RG-LRU resets
     */
    void forward(Memory[] memories, boolean[] startsSequence, float[] u, Rows rows, float[] out, Scratch scratch) {
        int t = rows.count();
        int n = t * width;
        // Every buffer below is written in full before it is read. The recurrence's own state
        // (memory.h) is carried between batches; h here is only its per-token copy, so scratch.
        float[] y = scratch.floats("recurrent.y", n);
        linearY.forward(u, rows, y);
        kernels.geluTanh(y, 0, n);

        float[] projected = scratch.floats("recurrent.projected", n);
        linearX.forward(u, rows, projected);
        float[] x = scratch.floats("recurrent.x", n);
        for (int p = 0; p < rows.pieces(); p++) {
            conv.forward(projected, rows.start(p), rows.length(p), memories[p].convHistory, x, scratch);
        }

        float[] inputGatePre = scratch.floats("recurrent.inputGate", n);
        float[] recurrenceGatePre = scratch.floats("recurrent.recurrenceGate", n);
        inputGate.forward(x, rows, inputGatePre, scratch);
        recurrenceGate.forward(x, rows, recurrenceGatePre, scratch);
        float[] h = scratch.floats("recurrent.h", n);
        for (int p = 0; p < rows.pieces(); p++) {
            scanPiece(rows.start(p), rows.length(p), rows.pieces() == 1, x, inputGatePre, recurrenceGatePre,
                    memories[p].h, startsSequence[p], h, scratch);
        }

        for (int i = 0; i < n; i++) {
            h[i] *= y[i];
        }
        linearOut.forward(h, rows, out);
    }

    /**
     * The RG-LRU of one piece, rows [r0, r0 + t), from its carried state; its rows are copied into
     * buffers of their own unless it is the pass's only piece.
     */
    private void scanPiece(int r0, int t, boolean only, float[] x, float[] inputGatePre, float[] recurrenceGatePre,
                           float[] state, boolean startsSequence, float[] h, Scratch scratch) {
        int n = t * width;
        if (only) {
            kernels.rgLru().scan(x, inputGatePre, recurrenceGatePre, softplusParam, state, width, t, startsSequence, h);
            return;
        }
        float[] px = scratch.floats("recurrent.piece.x", n);
        float[] pInput = scratch.floats("recurrent.piece.inputGate", n);
        float[] pRecurrence = scratch.floats("recurrent.piece.recurrenceGate", n);
        float[] ph = scratch.floats("recurrent.piece.h", n);
        System.arraycopy(x, r0 * width, px, 0, n);
        System.arraycopy(inputGatePre, r0 * width, pInput, 0, n);
        System.arraycopy(recurrenceGatePre, r0 * width, pRecurrence, 0, n);
        kernels.rgLru().scan(px, pInput, pRecurrence, softplusParam, state, width, t, startsSequence, ph);
        System.arraycopy(ph, 0, h, r0 * width, n);
    }
}
