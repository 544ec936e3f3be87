package dev.recall.runtime.attention;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.runtime.config.RopeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AttentionLayer against a brute-force reference: the full n × n score matrix with the policy's
 * mask and (for Λ) clamped distances computed naïvely, one softmax per row in double.
 */
class AttentionLayerTest {

    private static final Kernels KERNELS = KernelProvider.get();

    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;

    private static Rope rope(int headDim, double partial) {
        return new Rope(new RopeConfig(10000.0, "default", 1, 1, 4, 0, partial), headDim, KERNELS);
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static float[] rotated(Rope rope, float[] x, int off, int heads, int headDim, int pos) {
        float[] r = Arrays.copyOfRange(x, off, off + heads * headDim);
        if (rope != null) {
            rope.rotate(r, 0, heads, pos);
        }
        return r;
    }

    /** The naïve reference: every (i, j) pair classified on its own. */
    private static float[] bruteForce(AttentionPolicy policy, Rope rope, float[] q, float[] k, float[] v, int n, int headDim) {
        int qDim = HEADS * headDim, kvDim = KV_HEADS * headDim;
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] out = new float[n * qDim];
        for (int i = 0; i < n; i++) {
            float[] qi = rotated(rope, q, i * qDim, HEADS, headDim, i);
            for (int h = 0; h < HEADS; h++) {
                int g = h / (HEADS / KV_HEADS);
                double[] s = new double[i + 1];
                boolean[] visible = new boolean[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    float[] qUsed;
                    float[] kj;
                    int d = i - j;
                    switch (policy) {
                        case AttentionPolicy.Full f -> {
                            qUsed = qi;
                            kj = rotated(rope, k, j * kvDim, KV_HEADS, headDim, j);
                        }
                        case AttentionPolicy.SlidingWindow w -> {
                            if (d >= w.window()) {
                                continue;
                            }
                            qUsed = qi;
                            kj = rotated(rope, k, j * kvDim, KV_HEADS, headDim, j);
                        }
                        case AttentionPolicy.Lambda l -> {
                            if (d < l.window()) {
                                qUsed = qi;
                                kj = rotated(rope, k, j * kvDim, KV_HEADS, headDim, j);
                            } else if (j < l.nGlobal()) {
                                qUsed = rotated(rope, q, i * qDim, HEADS, headDim, Math.min(l.dMax(), i));
                                kj = Arrays.copyOfRange(k, j * kvDim, (j + 1) * kvDim);
                            } else if (topKRows(l, rope, q, k, i, h, headDim).contains(j)) {
                                qUsed = rotated(rope, q, i * qDim, HEADS, headDim, l.topKInsertAt());
                                kj = Arrays.copyOfRange(k, j * kvDim, (j + 1) * kvDim);
                            } else {
                                continue;
                            }
                        }
                    }
                    double dot = 0;
                    for (int x = 0; x < headDim; x++) {
                        dot += (double) qUsed[h * headDim + x] * kj[g * headDim + x];
                    }
                    s[j] = dot * scale;
                    visible[j] = true;
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                double[] o = new double[headDim];
                for (int j = 0; j <= i; j++) {
                    if (visible[j]) {
                        double p = Math.exp(s[j] - max);
                        z += p;
                        for (int x = 0; x < headDim; x++) {
                            o[x] += p * v[j * kvDim + g * headDim + x];
                        }
                    }
                }
                for (int x = 0; x < headDim; x++) {
                    out[i * qDim + h * headDim + x] = (float) (o[x] / z);
                }
            }
        }
        return out;
    }

    /**
     * LM-Infinite's top-k middle tokens for query i and head h, as the reference's {@code
     * detailed_lambda_attention} picks them: only for a query at or after topKFrom, among keys
     * nGlobal ≤ j ≤ i − window, and only when there are at least topK of them; scored in double
     * with the query rotated to topKInsertAt against the unrotated key; equal scores: lower j first.
     */
    private static List<Integer> topKRows(AttentionPolicy.Lambda l, Rope rope, float[] q, float[] k, int i, int h,
                                          int headDim) {
        int middleEnd = i - l.window() + 1;
        if (l.topK() == 0 || i < l.topKFrom() || middleEnd - l.nGlobal() < l.topK()) {
            return List.of();
        }
        int qDim = HEADS * headDim, kvDim = KV_HEADS * headDim, g = h / (HEADS / KV_HEADS);
        float[] near = rotated(rope, q, i * qDim, HEADS, headDim, l.topKInsertAt());
        List<double[]> scored = new java.util.ArrayList<>();
        for (int j = l.nGlobal(); j < middleEnd; j++) {
            double dot = 0;
            for (int x = 0; x < headDim; x++) {
                dot += (double) near[h * headDim + x] * k[j * kvDim + g * headDim + x];
            }
            scored.add(new double[]{dot, j});
        }
        scored.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0]) : Double.compare(a[1], b[1]));
        return scored.subList(0, l.topK()).stream().map(e -> (int) e[1]).toList();
    }

    /** Runs the layer over n tokens fed in pieces of the given sizes (cycled). */
    private static float[] run(AttentionLayer layer, KvCache cache, float[] q, float[] k, float[] v, int n, int headDim,
                               int... pieces) {
        int qDim = HEADS * headDim, kvDim = KV_HEADS * headDim;
        float[] out = new float[n * qDim];
        int pos = 0;
        for (int p = 0; pos < n; p++) {
            int t = Math.min(pieces[p % pieces.length], n - pos);
            float[] qb = Arrays.copyOfRange(q, pos * qDim, (pos + t) * qDim);
            float[] kb = Arrays.copyOfRange(k, pos * kvDim, (pos + t) * kvDim);
            float[] vb = Arrays.copyOfRange(v, pos * kvDim, (pos + t) * kvDim);
            float[] ob = new float[t * qDim];
            layer.forward(cache, qb, kb, vb, t, ob);
            System.arraycopy(ob, 0, out, pos * qDim, t * qDim);
            pos += t;
            assertEquals(pos, cache.length());
        }
        return out;
    }

    private static void check(AttentionPolicy policy, int n, int headDim, double partialRotary, int... pieces) {
        Random rnd = new Random(n * 131L + headDim);
        float[] q = random(rnd, n * HEADS * headDim);
        float[] k = random(rnd, n * KV_HEADS * headDim);
        float[] v = random(rnd, n * KV_HEADS * headDim);
        Rope rope = rope(headDim, partialRotary);
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, headDim, rope, (float) (1 / Math.sqrt(headDim)), KERNELS);
        float[] expected = bruteForce(policy, rope, q, k, v, n, headDim);
        float[] got = run(layer, layer.newCache(policy), q, k, v, n, headDim, pieces);
        assertArrayEquals(expected, got, 2e-5f, policy + " in pieces " + Arrays.toString(pieces));
    }

    @ParameterizedTest
    @CsvSource({"10,37,64", "10,37,1", "4,16,5", "0,20,7", "12,8,3", "3,2,17", "1,1,4"})
    void lambdaMatchesBruteForceInOnePrefillAndTokenByToken(int nGlobal, int dMax, int firstPiece) {
        AttentionPolicy policy = new AttentionPolicy.Lambda(nGlobal, dMax);
        int n = 3 * dMax + 11;
        check(policy, n, 10, 1.0, n);            // one prefill
        check(policy, n, 10, 1.0, 1);            // token by token
        check(policy, n, 9, 0.5, firstPiece, 1, dMax + 2, 3); // mixed pieces, odd head dim, partial rotary
    }

    /** The reference's local branch and distance limit apart: global keys at distance min(d_max, i). */
    @ParameterizedTest
    @CsvSource({"4,16,8", "4,8,16", "10,37,20", "3,5,40", "0,9,3", "12,8,64"})
    void lambdaWithItsOwnWindowAndDistanceLimitMatchesBruteForce(int nGlobal, int window, int dMax) {
        AttentionPolicy policy = new AttentionPolicy.Lambda(nGlobal, window, dMax, 0, 0, 0, 0);
        int n = 3 * Math.max(window, dMax) + 11;
        check(policy, n, 10, 1.0, n);
        check(policy, n, 10, 1.0, 1);
        check(policy, n, 9, 0.5, 5, 1, window + 2, 3);
    }

    /**
     * Top-k middle-token attention against the reference's selection: in one prefill (only rows
     * from topKFrom get it), token by token, and in pieces.
     */
    @ParameterizedTest
    @CsvSource({"4,16,16,3,0,16", "2,8,12,5,40,6", "10,20,20,1,0,20", "1,4,4,7,30,2", "3,12,12,50,0,12"})
    void lambdaTopKMatchesBruteForce(int nGlobal, int window, int dMax, int topK, int topKFrom, int insertAt) {
        AttentionPolicy policy = new AttentionPolicy.Lambda(nGlobal, window, dMax, topK, 0, insertAt, topKFrom);
        int n = 4 * window + 13;
        check(policy, n, 10, 1.0, n);
        check(policy, n, 10, 1.0, 1);
        check(policy, n, 9, 0.5, 7, 1, window + 3);
    }

    /** Equal scores: the earlier middle token is chosen (keys equal, values apart, so the choice shows). */
    @Test
    void topKTiesGoToTheEarlierToken() {
        int hd = 8, n = 40, nGlobal = 2, window = 4, topK = 3;
        Random rnd = new Random(5);
        float[] q = random(rnd, n * HEADS * hd);
        float[] k = new float[n * KV_HEADS * hd];
        Arrays.fill(k, 0.25f);
        float[] v = random(rnd, n * KV_HEADS * hd);
        AttentionPolicy.Lambda policy = new AttentionPolicy.Lambda(nGlobal, window, window, topK, 0, window, n - 1);
        Rope rope = rope(hd, 1);
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope, (float) (1 / Math.sqrt(hd)), KERNELS);
        float[] got = run(layer, layer.newCache(policy), q.clone(), k.clone(), v, n, hd, n);
        assertEquals(List.of(2, 3, 4), topKRows(policy, rope, q, k, n - 1, 0, hd), "the reference picks the earliest");
        float[] expected = bruteForce(policy, rope, q, k, v, n, hd);
        assertArrayEquals(expected, got, 2e-5f);
        // Another choice (the latest three) would differ: the values are apart.
        AttentionPolicy.Lambda none = new AttentionPolicy.Lambda(nGlobal, window, window, 0, 0, 0, 0);
        float[] without = run(layer, layer.newCache(none), q.clone(), k.clone(), v, n, hd, n);
        int last = (n - 1) * HEADS * hd;
        assertTrue(Math.abs(without[last] - got[last]) > 1e-4f, "top-k changed the last query");
        assertArrayEquals(Arrays.copyOf(without, last), Arrays.copyOf(got, last), "only the last query has top-k");
    }

    /** A top-k cache keeps every key unrotated; written and read back, it continues bit for bit. */
    @Test
    void aTopKCacheRoundTripsThroughAStateFile() {
        int hd = 8, n = 60;
        AttentionPolicy.Lambda policy = new AttentionPolicy.Lambda(3, 10, 12, 4, 0, 12, 30);
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope(hd, 1), 0.3f, KERNELS);
        Random rnd = new Random(17);
        float[] q = random(rnd, n * HEADS * hd), k = random(rnd, n * KV_HEADS * hd), v = random(rnd, n * KV_HEADS * hd);
        KvCache cache = layer.newCache(policy);
        run(layer, cache, q, k, v, 40, hd, 40);
        assertEquals((long) (2 * 10 + 2 * 40) * KV_HEADS * hd * Float.BYTES, cache.sizeBytes(), "ring + every key unrotated");
        dev.recall.runtime.model.StateOut out = new dev.recall.runtime.model.StateOut();
        cache.write(out);
        KvCache read = KvCache.read(new dev.recall.runtime.model.StateIn(out.toByteArray()), KV_HEADS * hd, new KvArrayPool());
        float[] tail = Arrays.copyOfRange(q, 40 * HEADS * hd, n * HEADS * hd);
        float[] kt = Arrays.copyOfRange(k, 40 * KV_HEADS * hd, n * KV_HEADS * hd);
        float[] vt = Arrays.copyOfRange(v, 40 * KV_HEADS * hd, n * KV_HEADS * hd);
        float[] a = new float[20 * HEADS * hd], b = new float[20 * HEADS * hd];
        layer.forward(cache, tail.clone(), kt.clone(), vt, 20, a);
        layer.forward(read, tail.clone(), kt.clone(), vt, 20, b);
        assertArrayEquals(a, b);
        assertEquals(12, read.dMax());
    }

    @Test
    void topKStartsAtItsLayer() {
        AttentionPolicy.Lambda l = new AttentionPolicy.Lambda(4, 16, 16, 5, 2, 16, 0);
        assertEquals(0, ((AttentionPolicy.Lambda) l.forLayer(1)).topK());
        assertEquals(l, l.forLayer(2));
        assertEquals(l, l.forLayer(30));
        assertEquals(AttentionPolicy.full(), AttentionPolicy.full().forLayer(0));
    }

    @Test
    void fullAndSlidingWindowMatchBruteForce() {
        check(AttentionPolicy.full(), 150, 10, 1.0, 150);
        check(AttentionPolicy.full(), 150, 7, 0.5, 1);
        check(AttentionPolicy.full(), 150, 16, 1.0, 33, 1, 70);
        check(new AttentionPolicy.SlidingWindow(16), 100, 10, 1.0, 100);
        check(new AttentionPolicy.SlidingWindow(16), 100, 10, 1.0, 1);
        check(new AttentionPolicy.SlidingWindow(29), 120, 9, 0.5, 40, 1, 17);
        // Windows shorter than a query block: no key is common to the whole block.
        check(new AttentionPolicy.SlidingWindow(5), 90, 8, 1.0, 90);
        check(new AttentionPolicy.SlidingWindow(1), 40, 8, 1.0, 40, 1);
    }

    @Test
    void lambdaWithDistanceLimitBeyondTheSequenceIsFullAttention() {
        int n = 50, hd = 8;
        Random rnd = new Random(7);
        float[] q = random(rnd, n * HEADS * hd), k = random(rnd, n * KV_HEADS * hd), v = random(rnd, n * KV_HEADS * hd);
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope(hd, 1), 0.3f, KERNELS);
        float[] full = run(layer, layer.newCache(AttentionPolicy.full()), q.clone(), k.clone(), v, n, hd, n);
        float[] lambda = run(layer, layer.newCache(new AttentionPolicy.Lambda(10, 64)), q.clone(), k.clone(), v, n, hd, n);
        assertArrayEquals(full, lambda, 1e-6f);
    }

    @Test
    void lambdaCacheIsBoundedAndCopiesAreIndependent() {
        int hd = 8, dMax = 16, nGlobal = 4;
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope(hd, 1), 0.3f, KERNELS);
        KvCache cache = layer.newCache(new AttentionPolicy.Lambda(nGlobal, dMax));
        Random rnd = new Random(3);
        int n = 40;
        float[] q = random(rnd, n * HEADS * hd), k = random(rnd, n * KV_HEADS * hd), v = random(rnd, n * KV_HEADS * hd);
        run(layer, cache, q, k, v, 20, hd, 20);
        long bytes = cache.sizeBytes();
        assertEquals((long) (2 * dMax + 2 * nGlobal) * KV_HEADS * hd * Float.BYTES, bytes);
        KvCache fork = cache.copy();
        float[] tail = Arrays.copyOfRange(q, 20 * HEADS * hd, n * HEADS * hd);
        float[] kt = Arrays.copyOfRange(k, 20 * KV_HEADS * hd, n * KV_HEADS * hd);
        float[] vt = Arrays.copyOfRange(v, 20 * KV_HEADS * hd, n * KV_HEADS * hd);
        float[] a = new float[20 * HEADS * hd], b = new float[20 * HEADS * hd];
        layer.forward(cache, tail.clone(), kt.clone(), vt, 20, a);
        assertEquals(bytes, cache.sizeBytes(), "the Λ cache does not grow");
        assertEquals(20, fork.length(), "the copy did not advance");
        layer.forward(fork, tail.clone(), kt.clone(), vt, 20, b);
        assertArrayEquals(a, b);
        assertTrue(cache.nGlobal() == nGlobal && cache.window() == dMax);
    }

    /**
     * A cache built on arrays a longer, different sequence left behind gives bit for bit what a
     * fresh cache gives: no stale row is ever read, under every policy and however the tokens come.
     */
    @Test
    void aCacheOnReusedArraysAttendsExactlyAsAFreshOne() {
        int hd = 8;
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope(hd, 1), 0.3f, KERNELS);
        Random rnd = new Random(11);
        int n = 150;
        float[] q = random(rnd, n * HEADS * hd), k = random(rnd, n * KV_HEADS * hd), v = random(rnd, n * KV_HEADS * hd);
        for (AttentionPolicy policy : List.of(AttentionPolicy.full(), new AttentionPolicy.SlidingWindow(40),
                new AttentionPolicy.Lambda(4, 30))) {
            for (int[] pieces : new int[][] {{n}, {1}, {70, 1, 13}}) {
                KvArrayPool pool = new KvArrayPool();
                Random other = new Random(99);
                int m = 2 * n;
                KvCache earlier = layer.newCache(policy, pool);
                earlier.reserve(m);
                run(layer, earlier, random(other, m * HEADS * hd), random(other, m * KV_HEADS * hd),
                        random(other, m * KV_HEADS * hd), m, hd, 64, 1);
                earlier.release();
                long idle = pool.idleFloats();
                KvCache reused = layer.newCache(policy, pool);
                assertTrue(pool.idleFloats() < idle || idle == 0, "the new cache took released arrays");
                float[] fresh = run(layer, layer.newCache(policy), q.clone(), k.clone(), v, n, hd, pieces);
                float[] got = run(layer, reused, q.clone(), k.clone(), v, n, hd, pieces);
                assertArrayEquals(fresh, got, 0f, policy + " in pieces " + Arrays.toString(pieces));
            }
        }
    }

    @Test
    void aReleasedCacheIsRefusedNotReadFrom() {
        int hd = 8;
        AttentionLayer layer = new AttentionLayer(HEADS, KV_HEADS, hd, rope(hd, 1), 0.3f, KERNELS);
        KvCache cache = layer.newCache(AttentionPolicy.full());
        Random rnd = new Random(5);
        run(layer, cache, random(rnd, 3 * HEADS * hd), random(rnd, 3 * KV_HEADS * hd), random(rnd, 3 * KV_HEADS * hd), 3, hd, 3);
        cache.release();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(cache,
                new float[HEADS * hd], new float[KV_HEADS * hd], new float[KV_HEADS * hd], 1, new float[HEADS * hd]));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
