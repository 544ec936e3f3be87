package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The weight-type table's geometry and reference decoding, and the matrices built on it. */
class WeightTypeTest {

    @Test
    void elementTypesAreBlocksOfOneWeightWithTheirStoredSize() {
        assertEquals(4, ElementType.F32.blockBytes());
        assertEquals(2, ElementType.BF16.blockBytes());
        assertEquals(2, ElementType.F16.blockBytes());
        for (ElementType type : ElementType.values()) {
            assertEquals(1, type.blockElements(), type.name());
            assertEquals(7L * type.blockBytes(), type.rowBytes(7), type.name());
            assertEquals(3L * 7 * type.blockBytes(), type.matrixBytes(3, 7), type.name());
        }
    }

    @Test
    void rangeDecodingEqualsElementDecodingAtAnyOffset() {
        Random rnd = new Random(4);
        for (ElementType type : ElementType.values()) {
            WeightMatrix w = TestMatrices.random(type, 3, 37, rnd);
            for (int first : new int[] {0, 1, 17, 36, 40}) {
                int n = 111 - first;
                float[] range = new float[n + 2];
                type.toFloat(w.data(), first, range, 1, n);
                float[] one = new float[n + 2];
                for (int i = 0; i < n; i++) {
                    one[1 + i] = type.toFloat(w.data(), first + i);
                }
                assertArrayEquals(one, range, type + " from " + first);
            }
        }
    }

    @Test
    void decodingIsExactForHandPickedBits() {
        MemorySegment halfs = MemorySegment.ofArray(new short[] {(short) 0x3f80, (short) 0xc000, (short) 0x3c00, (short) 0x0001});
        assertEquals(1f, ElementType.BF16.toFloat(halfs, 0));
        assertEquals(-2f, ElementType.BF16.toFloat(halfs, 1));
        assertEquals(1f, ElementType.F16.toFloat(halfs, 2));
        assertEquals(0x1p-24f, ElementType.F16.toFloat(halfs, 3), "the smallest F16 subnormal");
        MemorySegment floats = MemorySegment.ofArray(new float[] {1.5f, -0f});
        assertEquals(1.5f, ElementType.F32.toFloat(floats, 0));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ElementType.F32.toFloat(floats, 1)));
    }

    @Test
    void matricesRefuseTooLittleMemoryAndNegativeShapes() {
        MemorySegment seg = MemorySegment.ofArray(new byte[4 * 6]);
        var e = assertThrows(IllegalArgumentException.class, () -> new WeightMatrix(seg, ElementType.F32, 2, 4));
        assertTrue(e.getMessage().contains("needs 32 bytes, segment has 24"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WeightMatrix(seg, ElementType.F32, -1, 4));
        assertThrows(NullPointerException.class, () -> new WeightMatrix(seg, null, 1, 1));
        assertEquals(12, new WeightMatrix(seg, ElementType.BF16, 2, 6).rows(1, 2).byteSize());
    }

    @Test
    void aRowViewReadsTheSameWeightsAsTheWholeMatrix() {
        Random rnd = new Random(9);
        for (ElementType type : ElementType.values()) {
            WeightMatrix w = TestMatrices.random(type, 5, 13, rnd);
            WeightMatrix view = w.rows(2, 4);
            float[] whole = new float[13];
            float[] part = new float[13];
            for (int r = 0; r < 2; r++) {
                w.row(2 + r, whole, 0);
                view.row(r, part, 0);
                assertArrayEquals(whole, part, type + " row " + r);
                assertEquals(w.get(2 + r, 7), view.get(r, 7));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> w.rows(4, 6));
        }
    }

    @Test
    void bothKernelsComputeWithEveryType() {
        Kernels vector = new VectorKernels();
        Kernels scalar = new ScalarKernels();
        for (ElementType type : ElementType.values()) {
            assertTrue(vector.supports(type), type.name());
            assertTrue(scalar.supports(type), type.name());
        }
    }
}
