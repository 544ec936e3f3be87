package dev.recall.kernels;

/**
 * Attention of one query head over rows of keys and values with an online (streaming) softmax:
 * the building block of every attention shape the runtime has. Keys are consumed in tiles of
 * {@link #TILE} rows: the tile's scores, one rescale of the running sums when the maximum grows,
 * the exponentials, and the probability-weighted sum of the value rows.
 *
 * <p>Full and sliding-window attention fold one run of rows (two when a ring buffer wraps).
 * LM-Infinite's Λ shape has two score paths that share one softmax: its local rows are folded with
 * the query rotated at its true position (ordinary RoPE at the true distance) and its global rows
 * with the query rotated at the distance limit (the clamped distance); {@link #finish} then divides
 * by the one shared sum. Nothing here knows about positions: callers pass whichever query a path
 * needs.
 *
 * <p>Two implementations: {@link LambdaAttentionScalar} (plain loops, the reference) and
 * {@link LambdaAttentionVector} (Vector API), reached through {@link Kernels#attention()}; tests
 * compare them on random inputs.
 */
public abstract class LambdaAttention {

    /** Key rows per tile: scores of a tile live in the accumulator's scratch. */
    public static final int TILE = 32;

    /**
     * Running softmax state of one query head: the largest score so far, Σ exp(score − max), and
     * Σ exp(score − max)·value. One per thread; {@link #reset()} before each query.
     */
    public static final class Accumulator {
        final int headDim;
        final float[] weighted;
        final float[] scores = new float[TILE];
        float max;
        float sum;

        public Accumulator(int headDim) {
            this.headDim = headDim;
            this.weighted = new float[headDim];
            reset();
        }

        public void reset() {
            java.util.Arrays.fill(weighted, 0f);
            max = Float.NEGATIVE_INFINITY;
            sum = 0f;
        }

        public int headDim() {
            return headDim;
        }
    }

    /**
     * Folds {@code rows} key/value rows into one query's accumulator; row r's key is
     * keys[off + r·stride, + headDim) (its value at the same offset of values) and its score is
     * scale · (q[qo, + headDim) · key).
     */
    public final void fold(float[] q, int qo, float scale, float[] keys, float[] values, int off, int stride, int rows,
                           Accumulator acc) {
        for (int t0 = 0; t0 < rows; t0 += TILE) {
            foldTile(q, qo, scale, keys, values, off + t0 * stride, stride, Math.min(TILE, rows - t0), acc);
        }
    }

    /**
     * Folds the same rows into several queries: query j (j in [qFrom, qTo)) starts at
     * q[qOffsets[j]] and owns accs[j]. Tiles are the outer loop, so each tile of keys and values is
     * read from memory once and reused by every query while it is in cache (prefill hands a block
     * of positions times the query heads that share a KV head). Each query sees exactly the tile
     * sequence of the single-query {@link #fold}, so the result does not depend on the grouping.
     */
    public final void fold(float[] q, int[] qOffsets, int qFrom, int qTo, float scale, float[] keys, float[] values,
                           int off, int stride, int rows, Accumulator[] accs) {
        for (int t0 = 0; t0 < rows; t0 += TILE) {
            int n = Math.min(TILE, rows - t0);
            for (int j = qFrom; j < qTo; j++) {
                foldTile(q, qOffsets[j], scale, keys, values, off + t0 * stride, stride, n, accs[j]);
            }
        }
    }

    /** One tile (n ≤ {@link #TILE} rows starting at off) into one accumulator. */
    protected abstract void foldTile(float[] q, int qo, float scale, float[] keys, float[] values, int off, int stride,
                                     int n, Accumulator acc);

    /**
     * Folds {@code count} rows of a ring buffer of {@code ringRows} rows starting at slot
     * {@code firstSlot} (wrapping to slot 0) into several queries; headOff is the head's offset
     * inside a row.
     */
    public final void foldRing(float[] q, int[] qOffsets, int qFrom, int qTo, float scale, float[] keys,
                               float[] values, int headOff, int stride, int ringRows, int firstSlot, int count,
                               Accumulator[] accs) {
        int head = Math.min(count, ringRows - firstSlot);
        fold(q, qOffsets, qFrom, qTo, scale, keys, values, headOff + firstSlot * stride, stride, head, accs);
        if (count > head) {
            fold(q, qOffsets, qFrom, qTo, scale, keys, values, headOff, stride, count - head, accs);
        }
    }

    /**
     * The k rows whose keys score highest against the query (score = scale · q·key, row r's key at
     * keys[off + r·stride]): their row numbers into rows[0, k) in descending order of score (equal
     * scores: the lower row first), their scores into scores[0, k). LM-Infinite's top-k attention
     * picks the middle tokens the last query sees with it. k must not exceed {@code count}.
     */
    public final void topK(float[] q, int qo, int headDim, float scale, float[] keys, int off, int stride, int count,
                           int k, int[] rows, float[] scores) {
        if (k > count || k > rows.length || k > scores.length) {
            throw new IllegalArgumentException("top-" + k + " of " + count + " rows");
        }
        float[] tile = new float[TILE];
        int kept = 0;
        for (int t0 = 0; t0 < count; t0 += TILE) {
            int n = Math.min(TILE, count - t0);
            scoreTile(q, qo, headDim, scale, keys, off + t0 * stride, stride, n, tile);
            for (int r = 0; r < n; r++) {
                float s = tile[r];
                // Insertion into the kept list, sorted by score descending; a later row with an
                // equal score goes after the earlier one, and NaN never enters.
                if (!(kept < k || s > scores[kept - 1])) {
                    continue;
                }
                int at = Math.min(kept, k - 1);
                while (at > 0 && s > scores[at - 1]) {
                    scores[at] = scores[at - 1];
                    rows[at] = rows[at - 1];
                    at--;
                }
                scores[at] = s;
                rows[at] = t0 + r;
                kept = Math.min(k, kept + 1);
            }
        }
        if (kept < k) {
            throw new IllegalArgumentException("top-" + k + ": only " + kept + " rows have a score that is a number");
        }
    }

    /** scores[r] = scale · q[qo, + d)·keys[off + r·stride, + d) for r in [0, n). */
    protected abstract void scoreTile(float[] q, int qo, int d, float scale, float[] keys, int off, int stride, int n,
                                      float[] scores);

    /** out[oo, + headDim) = the softmax-weighted value sum (zeros when no row was folded). */
    public final void finish(Accumulator acc, float[] out, int oo) {
        float inv = acc.sum > 0f ? 1f / acc.sum : 0f;
        for (int i = 0; i < acc.headDim; i++) {
            out[oo + i] = acc.weighted[i] * inv;
        }
    }

    /**
     * Moves the running maximum to tileMax (when larger), rescaling the sums so they stay
     * relative to it. Shared by both implementations so they agree on the bookkeeping.
     */
    static void raiseMax(Accumulator acc, float tileMax) {
        if (tileMax > acc.max) {
            if (acc.sum > 0f) {
                float f = (float) Math.exp(acc.max - tileMax);
                acc.sum *= f;
                // A product per element, the same bits as either implementation's scale.
                for (int i = 0; i < acc.headDim; i++) {
                    acc.weighted[i] *= f;
                }
            }
            acc.max = tileMax;
        }
    }
}
