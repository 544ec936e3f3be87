package dev.recall.models.synth;

import dev.recall.kernels.ElementType;
import dev.recall.runtime.io.DType;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StreamingSafeTensorsWriterTest {

    @Test
    void writesWhatTheRuntimeReadsBackAcrossBufferBoundaries(@TempDir Path dir) {
        int big = (1 << 20) * 2 + 3; // more than two write buffers
        Path file = dir.resolve("t.safetensors");
        List<StreamingSafeTensorsWriter.Entry> entries = List.of(
                new StreamingSafeTensorsWriter.Entry("a", DType.F32, new long[]{3, 5}),
                new StreamingSafeTensorsWriter.Entry("big", DType.BF16, new long[]{big}),
                new StreamingSafeTensorsWriter.Entry("c", DType.F32, new long[]{1}));
        try (StreamingSafeTensorsWriter w = new StreamingSafeTensorsWriter(file, entries)) {
            w.write((first, out, n) -> fill(first, out, n, 0.5f));
            w.write((first, out, n) -> fill(first, out, n, 1e-3f));
            w.write((first, out, n) -> out[0] = -7.25f);
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Tensor a = f.tensors().get("a");
            assertArrayEquals(new long[]{3, 5}, a.shape());
            float[] expectedA = new float[15];
            fill(0, expectedA, 15, 0.5f);
            assertArrayEquals(expectedA, a.toFloats());
            Tensor b = f.tensors().get("big");
            assertEquals("BF16", b.typeName());
            float[] values = b.toFloats();
            float[] expected = new float[big];
            fill(0, expected, big, 1e-3f);
            for (int i = 0; i < big; i++) {
                assertEquals(ElementType.roundToBf16(expected[i]), values[i], "big[" + i + "]");
            }
            assertEquals(-7.25f, f.tensors().get("c").toFloats()[0]);
        }
    }

    @Test
    void closingBeforeEveryTensorIsWrittenFails(@TempDir Path dir) {
        StreamingSafeTensorsWriter w = new StreamingSafeTensorsWriter(dir.resolve("t.safetensors"),
                List.of(new StreamingSafeTensorsWriter.Entry("a", DType.F32, new long[]{2})));
        assertThrows(IllegalStateException.class, w::close);
    }

    /** Values that depend on the flat index, so misplaced blocks show. */
    private static void fill(long first, float[] out, int n, float scale) {
        for (int i = 0; i < n; i++) {
            out[i] = (float) Math.sin(first + i) * scale * (1 + (first + i) % 7);
        }
    }
}
