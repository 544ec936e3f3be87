package dev.recall.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ScratchTest {

    @Test
    void aNameKeepsItsArrayWhileTheLengthStaysTheSame() {
        Scratch s = new Scratch();
        float[] a = s.floats("x", 8);
        a[3] = 7f;
        float[] again = s.floats("x", 8);
        assertSame(a, again);
        assertEquals(7f, again[3], "floats() leaves the contents as they were");
        assertNotSame(a, s.floats("y", 8), "different names are different buffers");
        assertEquals(16, s.heldFloats());
    }

    /**
     * A name keeps a buffer for each of its last three lengths (prompt piece, last piece, decode
     * step), so a request after another finds all of them; a fourth length drops the one used
     * longest ago.
     */
    @Test
    void aNameKeepsItsLastThreeLengths() {
        Scratch s = new Scratch();
        float[] piece = s.floats("x", 512);
        float[] last = s.floats("x", 100);
        float[] step = s.floats("x", 1);
        assertEquals(100, last.length);
        assertEquals(613, s.heldFloats());
        // The next request: pieces, a last piece of another length, steps.
        assertSame(piece, s.floats("x", 512));
        float[] otherLast = s.floats("x", 200);
        assertNotSame(last, otherLast);
        assertEquals(713, s.heldFloats(), "the length used longest ago (100) is dropped");
        assertSame(step, s.floats("x", 1));
        assertSame(piece, s.floats("x", 512), "the piece outlived the decode steps");
        assertNotSame(last, s.floats("x", 100));
    }

    @Test
    void aPooledScratchComesBackWithItsBuffersAfterClose() {
        Scratch.Pool pool = new Scratch.Pool();
        Scratch first = pool.take();
        float[] a = first.floats("x", 8);
        first.close();
        assertEquals(1, pool.idleCount());
        try (Scratch again = pool.take()) {
            assertSame(first, again, "the next call reuses the idle scratch");
            assertSame(a, again.floats("x", 8), "and its buffers");
            assertEquals(0, pool.idleCount());
        }
        assertEquals(1, pool.idleCount());
    }

    @Test
    void callsThatOverlapTakeDifferentScratches() {
        Scratch.Pool pool = new Scratch.Pool();
        Scratch a = pool.take();
        Scratch b = pool.take();
        assertNotSame(a, b, "a scratch in use is never handed out twice");
        a.close();
        b.close();
        assertEquals(2, pool.idleCount(), "the pool keeps as many as ran at once");
        Scratch c = pool.take();
        Scratch d = pool.take();
        assertNotSame(c, d);
        assertEquals(0, pool.idleCount(), "and makes no new one while they suffice");
    }

    @Test
    void aScratchOfItsOwnIsNotPooled() {
        Scratch s = new Scratch();
        float[] a = s.floats("x", 4);
        s.close();
        assertSame(a, s.floats("x", 4), "closing an unpooled scratch changes nothing");
    }
}
