package dev.recall.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.recall.runtime.RecallException;

class KvCacheTest {

    @Test
    void unboundedCacheGrowsAndKeepsEveryRow() {
        int kvDim = 3;
        KvCache cache = new KvCache(kvDim, 0);
        int total = 0;
        for (int t : new int[] {1, 63, 1, 200, 7}) {
            float[] k = new float[t * kvDim];
            float[] v = new float[t * kvDim];
            for (int i = 0; i < k.length; i++) {
                k[i] = total * kvDim + i;
                v[i] = -k[i];
            }
            cache.appendAll(k, v, t);
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
