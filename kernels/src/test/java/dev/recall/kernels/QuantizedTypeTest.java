package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ggml's block types: the scalar decoding against gguf-py's NumPy dequantizers (reference files
 * made by {@code src/test/resources/quant/make_reference.py}), bit for bit; the vector decoding
 * against the scalar one, bit for bit; the fused vector products against the scalar ones.
 */
class QuantizedTypeTest {

    private final ScalarKernels scalar = new ScalarKernels();
    private final VectorKernels vector = new VectorKernels();

    /** The reference blocks of a type in native memory, as a mapped file's would be. */
    private static MemorySegment blocks(QuantizedType type) {
        byte[] bytes = resource(type.name() + ".blocks");
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return seg;
    }

    private static float[] expected(QuantizedType type) {
        byte[] bytes = resource(type.name() + ".f32");
        return MemorySegment.ofArray(bytes).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private static byte[] resource(String name) {
        try (InputStream in = QuantizedTypeTest.class.getResourceAsStream("/quant/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource quant/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertSameBits(float[] want, float[] got, int n, String what) {
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": weight " + i + " expected " + want[i] + " got " + got[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantizedType.class)
    void scalarDecodingEqualsGgufPyBitForBit(QuantizedType type) {
        MemorySegment data = blocks(type);
        float[] want = expected(type);
        assertEquals(data.byteSize() / type.blockBytes() * type.blockElements(), want.length, "reference size");
        float[] got = new float[want.length];
        type.toFloat(data, 0, got, 0, got.length);
        assertSameBits(want, got, want.length, type + " rows");
        for (int i : new int[] {0, 1, 31, 32, 255, 256, want.length - 1}) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(type.toFloat(data, i)), type + " weight " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(QuantizedType.class)
    void vectorDecodingEqualsScalarBitForBitFromAnyRunOf32(QuantizedType type) {
        MemorySegment data = blocks(type);
        float[] want = expected(type);
        for (int first = 0; first < 512; first += 32) {
            for (int n : new int[] {32, 64, 128, 224}) {
                float[] got = new float[n + 3];
                VectorQuantKernels.decode(type, data, first, n, got, 3);
                float[] ref = new float[n];
                System.arraycopy(want, first, ref, 0, n);
                float[] shifted = new float[n];
                System.arraycopy(got, 3, shifted, 0, n);
                assertSameBits(ref, shifted, n, type + " from " + first + " n " + n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantizedType.class)
    void geometryIsGgmls(QuantizedType type) {
        int[] sizes = switch (type) {
            case Q4_0 -> new int[] {32, 18};
            case Q4_1 -> new int[] {32, 20};
            case Q5_0 -> new int[] {32, 22};
            case Q5_1 -> new int[] {32, 24};
            case Q8_0 -> new int[] {32, 34};
            case Q4_K -> new int[] {256, 144};
            case Q5_K -> new int[] {256, 176};
            case Q6_K -> new int[] {256, 210};
        };
        assertEquals(sizes[0], type.blockElements());
        assertEquals(sizes[1], type.blockBytes());
        assertEquals(3L * sizes[1], type.rowBytes(3L * sizes[0]));
        assertThrows(IllegalArgumentException.class, () -> type.rowBytes(sizes[0] + 1));
        assertThrows(IllegalArgumentException.class, () -> type.toFloat(MemorySegment.ofArray(new byte[sizes[1] * 2]), 1, new float[sizes[0]], 0, sizes[0]));
    }

    /** Products of the reference blocks read as matrices of several shapes, with random activations. */
    @ParameterizedTest
    @EnumSource(QuantizedType.class)
    void vectorProductsMatchScalarProducts(QuantizedType type) {
        MemorySegment data = blocks(type);
        float[] decoded = expected(type);
        Random rnd = new Random(type.ordinal());
        int total = decoded.length;
        for (int cols : new int[] {256, 512, 1024, 4096}) {
            int rows = total / cols;
            WeightMatrix w = new WeightMatrix(data, type, rows, cols);
            for (int n : new int[] {1, 2, 3, 4, 5, 9, 13}) {
                float[] x = TestMatrices.gaussian(rnd, n * cols, 1.0);
                float[] ys = new float[n * rows];
                float[] yv = new float[n * rows];
                float[] ym = new float[n * rows];
                scalar.matvecs(w, x, 0, n, ys, 0);
                vector.matvecs(w, x, 0, n, yv, 0);
                vector.matmul(w, x, 0, n, ym, 0);
                for (int j = 0; j < n; j++) {
                    for (int r = 0; r < rows; r++) {
                        double bound = 0;
                        for (int c = 0; c < cols; c++) {
                            bound += Math.abs((double) decoded[r * cols + c] * x[j * cols + c]);
                        }
                        double tol = 2e-6 * bound + 1e-6;
                        String at = type + " [" + rows + "x" + cols + "] token " + j + "/" + n + " row " + r;
                        float s = ys[j * rows + r];
                        assertTrue(Math.abs(yv[j * rows + r] - s) <= tol, at + " matvecs " + yv[j * rows + r] + " vs " + s);
                        assertTrue(Math.abs(ym[j * rows + r] - s) <= tol, at + " matmul " + ym[j * rows + r] + " vs " + s);
                    }
                }
                // Every token's products are matvec's bits whatever else shares the call.
                float[] alone = new float[rows];
                for (int j = 0; j < n; j++) {
                    vector.matvec(w, x, j * cols, alone, 0);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(Float.floatToRawIntBits(alone[r]), Float.floatToRawIntBits(yv[j * rows + r]),
                                type + " matvecs vs matvec, token " + j + "/" + n + " row " + r);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantizedType.class)
    void matrixRowsAndElementsDecodeTheReference(QuantizedType type) {
        MemorySegment data = blocks(type);
        float[] decoded = expected(type);
        WeightMatrix w = new WeightMatrix(data, type, 8, decoded.length / 8);
        float[] row = new float[w.cols()];
        w.row(5, row, 0);
        for (int c = 0; c < w.cols(); c++) {
            assertEquals(decoded[5 * w.cols() + c], row[c]);
        }
        assertEquals(decoded[3 * w.cols() + 7], w.get(3, 7));
        assertTrue(vector.supports(type) && scalar.supports(type));
    }
}
