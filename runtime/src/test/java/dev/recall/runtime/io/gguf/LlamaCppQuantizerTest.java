package dev.recall.runtime.io.gguf;

import dev.recall.kernels.WeightType;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Recall's reference encoders against llama.cpp's quantizer itself: every tensor of every file
 * {@code llama-quantize} made from {@code model-F32.gguf} in {@code ../shared/gguf} (Q8_0, Q4_0,
 * Q4_K, Q5_K, Q6_K, BF16, F16 blocks) is re-encoded here from the F32 file and must be the same
 * bytes.
 */
class LlamaCppQuantizerTest {

    @TestFactory
    Stream<DynamicTest> everyBlockEqualsLlamaQuantizes() throws IOException {
        Path root = SharedData.shared().resolve("gguf");
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(root)) {
            for (Path dir : cases.filter(d -> Files.isRegularFile(d.resolve("model-F32.gguf"))).sorted().toList()) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(p -> p.getFileName().toString().matches("model-.*\\.gguf")
                            && !p.getFileName().toString().equals("model-F32.gguf")).sorted().toList()) {
                        tests.add(DynamicTest.dynamicTest(dir.getFileName() + "/" + f.getFileName(),
                                () -> check(dir.resolve("model-F32.gguf"), f)));
                    }
                }
            }
        }
        assertTrue(!tests.isEmpty(), "no GGUF files in " + root);
        return tests.stream();
    }

    private static void check(Path f32File, Path quantizedFile) {
        int compared = 0;
        try (GgufFile f32 = GgufFile.open(f32File); GgufFile quantized = GgufFile.open(quantizedFile)) {
            for (Tensor q : quantized.tensors().values()) {
                Tensor source = f32.tensors().get(q.name());
                WeightType type = q.type();
                if (source == null || type == null || q.typeName().equals("F32")) {
                    continue;
                }
                float[] values = source.toFloats();
                byte[] mine = new byte[(int) q.data().byteSize()];
                type.fromFloat(values, 0, values.length, mine, 0);
                byte[] theirs = q.data().toArray(ValueLayout.JAVA_BYTE);
                for (int i = 0; i < mine.length; i++) {
                    if (mine[i] != theirs[i]) {
                        int block = i / type.blockBytes();
                        fail(quantizedFile.getFileName() + " tensor " + q.name() + " (" + q.typeName() + "): block " + block
                                + " byte " + (i % type.blockBytes()) + " is " + (theirs[i] & 0xFF) + " in llama.cpp's file, "
                                + (mine[i] & 0xFF) + " here");
                    }
                }
                compared++;
            }
        }
        assertTrue(compared > 0, "no quantized tensors compared in " + quantizedFile);
    }
}
