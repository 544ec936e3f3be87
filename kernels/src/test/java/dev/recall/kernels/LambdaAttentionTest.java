package dev.recall.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LambdaAttentionTest {

    private static float[] random(Random rnd, int n, float amp) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * amp);
        }
        return x;
    }

    /** softmax(scale·q·K) · V over the given rows, in double, two passes: what the kernel must equal. */
    private static float[] reference(float[][] qs, float scale, float[] keys, float[] values, int[][] rowOffsets, int d) {
        int total = 0;
        for (int[] rows : rowOffsets) {
            total += rows.length;
        }
        double[] s = new double[total];
        int[] at = new int[total];
        int n = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < rowOffsets.length; p++) {
            for (int ko : rowOffsets[p]) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += (double) qs[p][i] * keys[ko + i];
                }
                s[n] = dot * scale;
                at[n++] = ko;
                max = Math.max(max, dot * scale);
            }
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) {
            double o = 0;
            for (int j = 0; j < n; j++) {
                o += s[j] * values[at[j] + i];
            }
            out[i] = (float) (o / z);
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1,1", "7,5", "16,31", "33,32", "64,33", "67,100", "64,257", "129,70"})
    void vectorMatchesScalarAndReferenceOnOneRun(int d, int rows) {
        Random rnd = new Random(d * 1000L + rows);
        int stride = d * 3 + 1;
        int off = 5;
        float[] keys = random(rnd, off + rows * stride + d, 2f);
        float[] values = random(rnd, off + rows * stride + d, 1f);
        float[] q = random(rnd, d + 3, 2f);
        float scale = (float) (1 / Math.sqrt(d));
        int[] rowOffsets = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowOffsets[r] = off + r * stride;
        }
        float[] qCopy = java.util.Arrays.copyOfRange(q, 3, 3 + d);
        float[] expected = reference(new float[][]{qCopy}, scale, keys, values, new int[][]{rowOffsets}, d);
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            LambdaAttention.Accumulator acc = new LambdaAttention.Accumulator(d);
            impl.fold(q, 3, scale, keys, values, off, stride, rows, acc);
            float[] out = new float[d + 2];
            impl.finish(acc, out, 2);
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(out, 2, 2 + d), 1e-5f, impl.getClass().getSimpleName());
        }
    }

    /**
     * Top-k selection, vector and scalar, against a sort of double-precision scores: the same rows
     * in the same order, at head dimensions and row counts that are not multiples of the vector
     * width or the tile, including k = count.
     */
    @ParameterizedTest
    @CsvSource({"1,1,1", "7,5,3", "16,31,5", "33,32,32", "64,33,1", "67,100,7", "129,70,12", "64,257,64"})
    void topKMatchesASortOfTheScores(int d, int rows, int k) {
        Random rnd = new Random(d * 77L + rows + k);
        int stride = d + 5, off = 3;
        float[] keys = random(rnd, off + rows * stride + d, 2f);
        float[] q = random(rnd, d + 2, 2f);
        float scale = (float) (1 / Math.sqrt(d));
        Integer[] order = new Integer[rows];
        double[] score = new double[rows];
        for (int r = 0; r < rows; r++) {
            order[r] = r;
            for (int i = 0; i < d; i++) {
                score[r] += (double) q[2 + i] * keys[off + r * stride + i];
            }
        }
        java.util.Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : a - b);
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            int[] got = new int[k];
            float[] gotScores = new float[k];
            impl.topK(q, 2, d, scale, keys, off, stride, rows, k, got, gotScores);
            for (int j = 0; j < k; j++) {
                assertEquals(order[j], got[j], impl.getClass().getSimpleName() + " rank " + j);
                assertEquals(score[order[j]] * scale, gotScores[j], 1e-4, impl.getClass().getSimpleName() + " score " + j);
            }
        }
    }

    /** Equal scores go to the earlier row, whichever tile they fall in; NaN scores are never chosen. */
    @Test
    void topKTiesGoToTheEarlierRowAndNanNeverWins() {
        int d = 5, rows = 70;
        float[] keys = new float[rows * d];
        java.util.Arrays.fill(keys, 1f);
        for (int i = 0; i < d; i++) {
            keys[40 * d + i] = 2f;       // the single best row
            keys[10 * d + i] = Float.NaN;
        }
        float[] q = {1, 1, 1, 1, 1};
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            int[] got = new int[4];
            impl.topK(q, 0, d, 1f, keys, 0, d, rows, 4, got, new float[4]);
            assertArrayEquals(new int[]{40, 0, 1, 2}, got, impl.getClass().getSimpleName());
            int[] late = new int[3];
            impl.topK(q, 0, d, 1f, keys, 35 * d, d, 30, 3, late, new float[3]);
            assertArrayEquals(new int[]{5, 0, 1}, late, "rows counted from the offset");
        }
    }

    @ParameterizedTest
    @CsvSource({"9,13,4,3", "64,256,10,100", "31,37,5,36", "17,50,7,0"})
    void twoScorePathsShareOneSoftmaxAcrossAWrappedRing(int d, int ringRows, int globalRows, int firstSlot) {
        Random rnd = new Random(ringRows * 31L + d);
        int count = ringRows - 1;
        float[] ringK = random(rnd, ringRows * d, 3f);
        float[] ringV = random(rnd, ringRows * d, 1f);
        float[] globK = random(rnd, globalRows * d, 3f);
        float[] globV = random(rnd, globalRows * d, 1f);
        float[] qLocal = random(rnd, d, 1f);
        float[] qGlobal = random(rnd, d, 1f);
        float scale = 0.25f;
        // One buffer for the reference so both paths can be addressed by offset.
        float[] keys = new float[(ringRows + globalRows) * d];
        float[] values = new float[(ringRows + globalRows) * d];
        System.arraycopy(ringK, 0, keys, 0, ringK.length);
        System.arraycopy(ringV, 0, values, 0, ringV.length);
        System.arraycopy(globK, 0, keys, ringK.length, globK.length);
        System.arraycopy(globV, 0, values, ringV.length, globV.length);
        int[] local = new int[count];
        for (int r = 0; r < count; r++) {
            local[r] = ((firstSlot + r) % ringRows) * d;
        }
        int[] global = new int[globalRows];
        for (int r = 0; r < globalRows; r++) {
            global[r] = ringK.length + r * d;
        }
        float[] expected = reference(new float[][]{qLocal, qGlobal}, scale, keys, values, new int[][]{local, global}, d);
        float[][] outs = new float[2][];
        int which = 0;
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            LambdaAttention.Accumulator acc = new LambdaAttention.Accumulator(d);
            impl.foldRing(qLocal, new int[]{0}, 0, 1, scale, ringK, ringV, 0, d, ringRows, firstSlot, count,
                    new LambdaAttention.Accumulator[]{acc});
            impl.fold(qGlobal, 0, scale, globK, globV, 0, d, globalRows, acc);
            float[] out = new float[d];
            impl.finish(acc, out, 0);
            assertArrayEquals(expected, out, 1e-5f, impl.getClass().getSimpleName());
            outs[which++] = out;
        }
        assertArrayEquals(outs[0], outs[1], 1e-5f, "vector vs scalar");
    }

    @ParameterizedTest
    @CsvSource({"64,300,5", "9,45,3", "33,31,8"})
    void manyQueriesOverSharedTilesEqualOneAtATime(int d, int rows, int nq) {
        Random rnd = new Random(d + 17L * rows);
        int stride = 2 * d + 3;
        float[] keys = random(rnd, rows * stride + d, 2f);
        float[] values = random(rnd, rows * stride + d, 1f);
        float[] q = random(rnd, nq * (d + 5), 1.5f);
        int[] offsets = new int[nq + 1];
        for (int j = 0; j < nq; j++) {
            offsets[j + 1] = (nq - 1 - j) * (d + 5) + 2; // out of order, not contiguous
        }
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            LambdaAttention.Accumulator[] accs = new LambdaAttention.Accumulator[nq + 1];
            for (int j = 0; j <= nq; j++) {
                accs[j] = new LambdaAttention.Accumulator(d);
            }
            impl.fold(q, offsets, 1, nq + 1, 0.3f, keys, values, 3, stride, rows, accs);
            for (int j = 1; j <= nq; j++) {
                LambdaAttention.Accumulator one = new LambdaAttention.Accumulator(d);
                impl.fold(q, offsets[j], 0.3f, keys, values, 3, stride, rows, one);
                float[] a = new float[d], b = new float[d];
                impl.finish(accs[j], a, 0);
                impl.finish(one, b, 0);
                assertArrayEquals(b, a, 0f, "query " + j + " grouped vs alone");
            }
            float[] untouched = new float[d];
            impl.finish(accs[0], untouched, 0);
            assertArrayEquals(new float[d], untouched, "accumulators outside [qFrom, qTo) are left alone");
        }
    }

    @Test
    void accumulatorResetsAndEmptyFoldGivesZeros() {
        LambdaAttention impl = new LambdaAttentionVector();
        LambdaAttention.Accumulator acc = new LambdaAttention.Accumulator(4);
        float[] out = {9, 9, 9, 9};
        impl.finish(acc, out, 0);
        assertArrayEquals(new float[4], out);
        impl.fold(new float[]{1, 0, 0, 0}, 0, 1f, new float[]{5, 0, 0, 0}, new float[]{1, 2, 3, 4}, 0, 4, 1, acc);
        impl.finish(acc, out, 0);
        assertArrayEquals(new float[]{1, 2, 3, 4}, out, 1e-6f);
        acc.reset();
        impl.fold(new float[]{1, 0, 0, 0}, 0, 1f, new float[]{5, 0, 0, 0}, new float[]{4, 3, 2, 1}, 0, 4, 1, acc);
        impl.finish(acc, out, 0);
        assertArrayEquals(new float[]{4, 3, 2, 1}, out, 1e-6f);
        assertEquals(4, acc.headDim());
    }

    @Test
    void largeScoresDoNotOverflow() {
        // Scores of ±500 would overflow exp without the running maximum.
        int d = 8;
        float[] q = {100, 0, 0, 0, 0, 0, 0, 0};
        float[] keys = new float[3 * d];
        float[] values = new float[3 * d];
        keys[0] = -5f;
        keys[d] = 5f;
        keys[2 * d] = 4.99f;
        values[0] = 1f;
        values[d + 1] = 1f;
        values[2 * d + 2] = 1f;
        for (LambdaAttention impl : new LambdaAttention[]{new LambdaAttentionScalar(), new LambdaAttentionVector()}) {
            LambdaAttention.Accumulator acc = new LambdaAttention.Accumulator(d);
            impl.fold(q, 0, 1f, keys, values, 0, d, 3, acc);
            float[] out = new float[d];
            impl.finish(acc, out, 0);
            double e = Math.exp(-1.0);
            assertEquals(0f, out[0], 1e-6f);
            assertEquals(1 / (1 + e), out[1], 1e-5f);
            assertEquals(e / (1 + e), out[2], 1e-5f);
        }
    }
}
