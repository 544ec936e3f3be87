package dev.recall.models.llama;

import dev.recall.runtime.api.Recall;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code recall quantize} against llama.cpp's converter and quantizer: the Hugging Face directory
 * of each {@code ../shared/gguf} case, and its F32 GGUF file, quantized here to each type there,
 * give every tensor llama.cpp's file has, in the same type, with the same bytes (q/k permutation,
 * type mix and reference quantizers alike).
 */
class QuantizeCrossCheckTest {

    private static final ProgressListener QUIET = (done, total, unit) -> { };

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> quantizedFilesHaveLlamaCppsTensors() throws IOException {
        Path root = SharedData.shared().resolve("gguf");
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(root)) {
            for (Path dir : cases.filter(d -> Files.isDirectory(d.resolve("hf"))).sorted().toList()) {
                for (GgufQuantizer.FileType type : GgufQuantizer.FileType.values()) {
                    Path theirs = dir.resolve("model-" + type + ".gguf");
                    if (!Files.isRegularFile(theirs)) {
                        continue;
                    }
                    tests.add(DynamicTest.dynamicTest(dir.getFileName() + " hf → " + type, () -> {
                        Path mine = tmp.resolve(dir.getFileName() + "-hf-" + type + ".gguf");
                        Recall.quantize(dir.resolve("hf"), type, mine, QUIET);
                        assertSameTensors(theirs, mine);
                    }));
                    tests.add(DynamicTest.dynamicTest(dir.getFileName() + " F32 GGUF → " + type, () -> {
                        Path mine = tmp.resolve(dir.getFileName() + "-gguf-" + type + ".gguf");
                        Recall.quantize(dir.resolve("model-F32.gguf"), type, mine, QUIET);
                        assertSameTensors(theirs, mine);
                    }));
                }
            }
        }
        assertTrue(!tests.isEmpty(), "no cases in " + root);
        return tests.stream();
    }

    private static void assertSameTensors(Path theirs, Path mine) {
        try (GgufFile a = GgufFile.open(theirs); GgufFile b = GgufFile.open(mine)) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet(), "tensor names");
            for (Tensor t : a.tensors().values()) {
                Tensor m = b.tensors().get(t.name());
                assertNotNull(m, t.name());
                assertEquals(t.typeName(), m.typeName(), t.name() + " type");
                assertArrayEquals(t.shape(), m.shape(), t.name() + " shape");
                byte[] x = t.data().toArray(ValueLayout.JAVA_BYTE);
                byte[] y = m.data().toArray(ValueLayout.JAVA_BYTE);
                assertTrue(Arrays.equals(x, y), t.name() + " (" + t.typeName() + ") bytes differ from llama.cpp's");
            }
            assertEquals(a.integer("general.file_type"), b.integer("general.file_type"), "general.file_type");
        }
    }
}
