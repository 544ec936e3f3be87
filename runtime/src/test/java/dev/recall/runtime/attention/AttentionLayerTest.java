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
                            if (d < l.dMax()) {
                                qUsed = qi;
                                kj = rotated(rope, k, j * kvDim, KV_HEADS, headDim, j);
                            } else if (j < l.nGlobal()) {
                                qUsed = rotated(rope, q, i * qDim, HEADS, headDim, l.dMax());
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
