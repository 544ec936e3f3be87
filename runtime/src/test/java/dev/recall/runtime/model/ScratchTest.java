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

    @Test
    void aNewLengthReplacesTheBuffer() {
        Scratch s = new Scratch();
        float[] a = s.floats("x", 8);
        float[] shorter = s.floats("x", 5);
        assertNotSame(a, shorter);
        assertEquals(5, shorter.length);
        assertEquals(5, s.heldFloats(), "the replaced buffer is no longer held");
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
