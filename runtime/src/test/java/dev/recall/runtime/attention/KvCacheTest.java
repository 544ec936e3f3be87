package dev.recall.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.recall.runtime.RecallException;

class KvCacheTest {

    /**
     * Appends t rows whose keys number every float from the cache's length on (position p holds
     * p · kvDim, p · kvDim + 1, …) and whose values are the keys negated.
     */
    private static void appendNumbered(KvCache cache, int t) {
        int kvDim = cache.kvDim;
        float[] k = new float[t * kvDim];
        float[] v = new float[t * kvDim];
        for (int i = 0; i < k.length; i++) {
            k[i] = cache.length() * kvDim + i;
            v[i] = -k[i];
        }
        cache.appendAll(k, v, t);
    }

    @Test
    void unboundedCacheGrowsAndKeepsEveryRow() {
        int kvDim = 3;
        KvCache cache = new KvCache(kvDim, 0);
        int total = 0;
        for (int t : new int[] {1, 63, 1, 200, 7}) {
            appendNumbered(cache, t);
            total += t;
        }
        assertEquals(total, cache.length());
        float[] expected = new float[total * kvDim];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = i;
        }
        assertArrayEquals(expected, Arrays.copyOf(cache.keys, expected.length));
        assertEquals(-expected[expected.length - 1], cache.values[expected.length - 1]);
    }

    @Test
    void aReservedPromptFillsTheCacheWithoutGrowingItAgain() {
        int kvDim = 3;
        KvCache cache = new KvCache(kvDim, 0);
        cache.appendAll(new float[kvDim], new float[kvDim], 1);
        cache.reserve(1000);
        assertEquals(KvCache.reservedCapacity(1, 1000, 64, kvDim) * kvDim, cache.keys.length);
        assertEquals(1001 + 1001 / 8, KvCache.reservedCapacity(1, 1000, 64, kvDim));
        float[] keys = cache.keys;
        float[] values = cache.values;
        int total = 1;
        for (int t : new int[] {512, 488, 120}) { // the prompt in pieces, then decoded tokens
            appendNumbered(cache, t);
            total += t;
        }
        assertTrue(keys == cache.keys && values == cache.values, "no piece grew the reserved cache");
        assertEquals(total, cache.length());
        for (int i = kvDim; i < total * kvDim; i++) {
            assertEquals(i, cache.keys[i]);
            assertEquals(-i, cache.values[i]);
        }
        int capacity = cache.keys.length / kvDim;
        cache.reserve(capacity - total); // exactly the room left: nothing changes
        assertTrue(keys == cache.keys);
        cache.appendAll(new float[(capacity - total) * kvDim], new float[(capacity - total) * kvDim], capacity - total);
        cache.reserve(1); // a decode step on a full cache doubles it, not an eighth more
        assertEquals(2 * capacity * kvDim, cache.keys.length);
    }

    /** A ring wider than the context so far grows with it, keeps every slot, and wraps once full. */
    @Test
    void aRingGrowsToItsWindowOnlyAsTokensArrive() {
        int kvDim = 2;
        int window = 100;
        KvCache ring = new KvCache(kvDim, window);
        assertEquals(64 * kvDim, ring.keys.length, "a new ring starts small");
        int total = 0;
        for (int t : new int[] {1, 63, 10, 30, 50, 7}) {
            appendNumbered(ring, t);
            total += t;
            // 64 slots, then doubling, capped at the window: 64, then 100.
            assertEquals((total <= 64 ? 64 : window) * kvDim, ring.keys.length, "after " + total + " tokens");
            for (int p = Math.max(0, total - window); p < total; p++) {
                int s = ring.slot(p) * kvDim;
                assertEquals(p * kvDim, ring.keys[s], "position " + p + " after " + total + " tokens");
                assertEquals(-(p * kvDim + 1f), ring.values[s + 1]);
            }
        }
    }

    /** LM-Infinite with n_global and d_max far beyond the prompt costs what the prompt holds. */
    @Test
    void aLambdaCacheSizedForBillionsHoldsOnlyWhatItSaw() {
        int kvDim = 8;
        KvCache cache = KvCache.lambda(kvDim, 2_000_000_000, 2_000_000_000);
        for (int t : new int[] {3, 5}) {
            float[] k = new float[t * kvDim];
            float[] v = new float[t * kvDim];
            Arrays.fill(k, cache.length() + 1);
            cache.keepGlobal(k, v, t);
            cache.appendAll(k, v, t);
        }
        assertEquals(8, cache.length());
        assertTrue(cache.sizeBytes() <= 2L * (64 + 8) * kvDim * Float.BYTES, cache.sizeBytes() + " bytes");
        assertEquals(1f, cache.globalKeys[0]);
        assertEquals(4f, cache.globalKeys[7 * kvDim], "positions 3.. came with the second batch");
    }

    /**
     * A cache from a pool reuses a released cache's arrays, stale rows and all, and still holds
     * exactly what it was given: a grown cache copies only the rows it has seen.
     */
    @Test
    void aCacheReusingReleasedArraysHoldsOnlyItsOwnRows() {
        int kvDim = 3;
        KvArrayPool pool = new KvArrayPool();
        KvCache first = new KvCache(kvDim, 0, pool);
        first.reserve(500);
        appendNumbered(first, 500);
        float[] firstKeys = first.keys;
        first.release();
        assertEquals(0, first.sizeBytes());

        KvCache second = new KvCache(kvDim, 0, pool);
        float[] initial = second.keys;
        second.reserve(500);
        assertTrue(second.keys == firstKeys || second.values == firstKeys, "the released arrays are reused");
        float[] k = new float[300 * kvDim];
        float[] v = new float[300 * kvDim];
        Arrays.fill(k, 7f);
        Arrays.fill(v, -7f);
        second.appendAll(k, v, 300);
        for (int i = 0; i < 300 * kvDim; i++) {
            assertEquals(7f, second.keys[i]);
            assertEquals(-7f, second.values[i]);
        }
        assertTrue(initial != second.keys, "the first arrays went back when the cache grew");
        assertEquals(300, second.length());
        KvCache copy = second.copy();
        assertEquals(7f, copy.keys[299 * kvDim + 2]);
        assertEquals(-7f, copy.values[0]);
    }

    @Test
    void aReleasedCacheRefusesToBeUsedAndReleasingAgainDoesNothing() {
        KvArrayPool pool = new KvArrayPool();
        KvCache cache = new KvCache(4, 0, pool);
        appendNumbered(cache, 10);
        cache.release();
        long idle = pool.idleFloats();
        cache.release();
        assertEquals(idle, pool.idleFloats(), "released once");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.reserve(10));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, cache::copy);
        assertEquals(10, cache.length());
    }

    @Test
    void aRingIgnoresReserve() {
        KvCache ring = new KvCache(4, 16);
        float[] keys = ring.keys;
        ring.reserve(100_000);
        assertTrue(keys == ring.keys);
        assertEquals(16 * 4, ring.keys.length);
    }

    @Test
    void reserveAboveTheLargestArrayIsTheSameClearError() {
        KvCache cache = new KvCache(1024, 0);
        RecallException e = assertThrows(RecallException.class, () -> cache.reserve(3_000_000));
        assertTrue(e.getMessage().contains("lm-infinite"), e.getMessage());
        int limit = KvCache.MAX_ARRAY_FLOATS / 1024;
        assertEquals(limit, KvCache.reservedCapacity(0, limit - 1, 64, 1024));
    }

    @Test
    void capacityDoublesAndStopsAtTheLargestArray() {
        assertEquals(128, KvCache.grownCapacity(64, 1, 64, 512));
        assertEquals(1000, KvCache.grownCapacity(64, 936, 64, 512));
        int limit = KvCache.MAX_ARRAY_FLOATS / 1024;
        assertEquals(limit, KvCache.grownCapacity(limit - 10, 10, limit - 10, 1024));
    }

    @Test
    void aContextBeyondWhatOneArrayHoldsIsAClearErrorNotAnOverflow() {
        int kvDim = 1024; // (length + t) · kvDim overflows int well before the tokens run out
        RecallException e = assertThrows(RecallException.class,
                () -> KvCache.grownCapacity(2_097_000, 1_000, 2_097_000, kvDim));
        assertTrue(e.getMessage().contains("lm-infinite"), e.getMessage());
        assertTrue(e.getMessage().contains("2098000 tokens"), e.getMessage());
    }
}
