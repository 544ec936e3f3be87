package dev.recall.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KvArrayPoolTest {

    @Test
    void aHandedBackArrayGoesToTheNextRequestOfItsSize() {
        KvArrayPool pool = new KvArrayPool();
        float[] a = pool.take(1000);
        assertEquals(1000, a.length, "a miss allocates exactly what was asked");
        assertEquals(1000, pool.inUseFloats());
        pool.give(a);
        assertEquals(0, pool.inUseFloats());
        assertEquals(1000, pool.idleFloats());
        assertSame(a, pool.take(1000));
        assertEquals(0, pool.idleFloats());
    }

    @Test
    void anIdleArrayServesOnlyRequestsOfAtLeastHalfItsLength() {
        KvArrayPool pool = new KvArrayPool();
        float[] big = pool.take(1000);
        pool.give(big);
        float[] small = pool.take(499);
        assertNotSame(big, small, "a short request does not take a long cache's array");
        assertEquals(499, small.length);
        assertSame(big, pool.take(500));
        float[] larger = pool.take(1001);
        assertEquals(1001, larger.length, "nor does a request it is too short for");
    }

    @Test
    void theBestFittingIdleArrayIsTaken() {
        KvArrayPool pool = new KvArrayPool();
        float[] a = pool.take(900);
        float[] b = pool.take(600);
        float[] c = pool.take(1100);
        pool.give(a);
        pool.give(b);
        pool.give(c);
        assertSame(b, pool.take(550));
        assertSame(a, pool.take(550));
        assertSame(c, pool.take(550));
    }

    /**
     * Idle and in-use arrays together never exceed the most that was ever in use at once: a
     * request that missed (here, ever longer prompts) pushes the oldest idle arrays out.
     */
    @Test
    void theIdleArraysStayWithinThePeakInUse() {
        KvArrayPool pool = new KvArrayPool();
        long peak = 0;
        for (int length = 1000; length <= 8000; length += 1000) {
            float[] k = pool.take(length);
            float[] v = pool.take(length);
            peak = Math.max(peak, pool.inUseFloats());
            pool.give(k);
            pool.give(v);
            assertTrue(pool.idleFloats() + pool.inUseFloats() <= peak,
                    pool.idleFloats() + " idle floats after a peak of " + peak);
        }
        assertEquals(16_000, pool.idleFloats(), "the last request's arrays are what is kept");
    }

    @Test
    void arraysNeverHandedBackOnlyLowerWhatIsKept() {
        KvArrayPool pool = new KvArrayPool();
        pool.take(1000); // a state dropped without close: collected, but counted as in use
        float[] a = pool.take(1000);
        pool.give(a);
        assertEquals(1000, pool.idleFloats());
        assertEquals(1000, pool.inUseFloats());
        assertSame(a, pool.take(1000));
    }
}
