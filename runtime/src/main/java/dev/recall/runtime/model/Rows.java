package dev.recall.runtime.model;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;

/**
 * Where the pieces of a forward pass sit in its activation rows, and how their weight products
 * run. Piece p (in the order given) owns rows [start(p), start(p) + length(p)). The pieces of fewer
 * than {@link Kernels#matmulMinRows()} rows (decode steps) come first and go through one
 * {@link Kernels#matvecs}; the others follow and go through one {@link Kernels#matmul}. Each piece
 * so gets the bits its rows would get in a product of its own, whatever shares the pass.
 */
public final class Rows {

    private final int[] start;
    private final int[] length;
    private final int count;
    private final int vectorRows;

    private Rows(int[] start, int[] length, int count, int vectorRows) {
        this.start = start;
        this.length = length;
        this.count = count;
        this.vectorRows = vectorRows;
    }

    /** The layout of pieces of the given lengths (each ≥ 0) for kernels that switch at {@code matmulMinRows}. */
    public static Rows of(int[] lengths, int matmulMinRows) {
        int[] start = new int[lengths.length];
        int row = 0;
        for (int p = 0; p < lengths.length; p++) {
            if (lengths[p] < matmulMinRows) {
                start[p] = row;
                row += lengths[p];
            }
        }
        int vectorRows = row;
        for (int p = 0; p < lengths.length; p++) {
            if (lengths[p] >= matmulMinRows) {
                start[p] = row;
                row += lengths[p];
            }
        }
        return new Rows(start, lengths.clone(), row, vectorRows);
    }

    /** One piece of t rows. */
    public static Rows single(int t, int matmulMinRows) {
        return of(new int[] {t}, matmulMinRows);
    }

    /** Rows in all. */
    public int count() {
        return count;
    }

    public int pieces() {
        return length.length;
    }

    public int start(int piece) {
        return start[piece];
    }

    public int length(int piece) {
        return length[piece];
    }

    /** y = x·Wᵀ over every row ({@code x} [count, w.cols], {@code y} [count, w.rows]). */
    public void linear(Kernels kernels, WeightMatrix w, float[] x, float[] y) {
        if (vectorRows > 0) {
            kernels.matvecs(w, x, 0, vectorRows, y, 0);
        }
        if (count > vectorRows) {
            kernels.matmul(w, x, vectorRows * w.cols(), count - vectorRows, y, vectorRows * w.rows());
        }
    }
}
