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
}
