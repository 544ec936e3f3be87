package dev.recall.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.kernels.ScalarKernels;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every GGUF file of {@code ../shared/gguf} (Llama and Qwen2 models written by llama.cpp's
 * converter and quantizer, F32 to Q4_K_M) against what llama.cpp and an fp32 NumPy forward
 * computed on the same file. Any case directory there is checked, including ones not seen here.
 *
 * <p>Recall keeps activations in fp32 inside quantized products, so its logits must equal the
 * NumPy forward over gguf-py's dequantized weights to fp32 rounding ({@link #FP32_TOLERANCE}, as
 * the safetensors goldens). llama.cpp rounds activations to 8 bits (Q8_0 or Q8_K) inside quantized
 * products and to bf16 for BF16 weights, so its logits sit {@code llamacpp_vs_numpy_fp32_dequant}
 * away from NumPy's (meta.json); Recall's must be within twice that distance of llama.cpp's (at least
 * 1e-3), and its greedy tokens must be llama.cpp's wherever llama.cpp's own smallest top-1/top-2 gap
 * exceeds that tolerance (below it, the 8-bit rounding may legitimately pick the other token).
 */
class GgufCrossCheckTest {

    /** fp32 forward passes that differ only in summation order agree to this (the goldens' bound is 1e-3). */
    static final float FP32_TOLERANCE = 1e-4f;

    @TestFactory
    Stream<DynamicTest> everySharedGgufFileAgreesWithLlamaCppAndNumpy() throws IOException {
        Path root = SharedData.shared().resolve("gguf");
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(root)) {
            for (Path dir : cases.filter(d -> Files.isRegularFile(d.resolve("meta.json"))).sorted().toList()) {
                JsonNode meta = new ObjectMapper().readTree(dir.resolve("meta.json").toFile());
                int[] ids = Arrays.stream(Files.readString(dir.resolve("input_ids.txt")).trim().split("\\s+"))
                        .mapToInt(Integer::parseInt).toArray();
                int vocab = meta.get("vocab").asInt();
                meta.get("files").fields().forEachRemaining(e -> tests.add(DynamicTest.dynamicTest(
                        dir.getFileName() + " " + e.getKey(), () -> check(dir, e.getKey(), e.getValue(), ids, vocab))));
                tests.add(DynamicTest.dynamicTest(dir.getFileName() + " scalar kernels on every file",
                        () -> scalarKernelsAgree(dir, meta, ids, vocab)));
                if (Files.isDirectory(dir.resolve("hf"))) {
                    tests.add(DynamicTest.dynamicTest(dir.getFileName() + " F32 GGUF equals safetensors",
                            () -> ggufEqualsSafetensors(dir, meta, ids, vocab)));
                }
            }
        }
        assertTrue(!tests.isEmpty(), "no GGUF cases in " + root);
        return tests.stream();
    }

    private static void check(Path dir, String type, JsonNode file, int[] ids, int vocab) throws IOException {
        float[] logits;
        int[] greedy;
        int[] expectedGreedy = Arrays.stream(Files.readString(dir.resolve("llamacpp-" + type + ".gen.ids")).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        try (LanguageModel model = ModelLoader.load(dir.resolve(file.get("gguf").asText()))) {
            // A _M file is a mix whose bulk is the type it is named after (llama.cpp's naming).
            assertEquals(type.replace("_M", ""), model.info().weightDtype(), type + ": the dominant weight type");
            logits = model.prefill(model.newState(), ids, 0, ids.length, true);
            greedy = greedy(model, Arrays.copyOf(ids, 12), expectedGreedy.length);
        }
        float[] numpy = floats(dir.resolve("numpy-" + type + ".prefill.f32"));
        float[] llamaCpp = floats(dir.resolve("llamacpp-" + type + ".prefill.f32"));
        assertTrue(logits.length == ids.length * vocab && numpy.length == logits.length, "logits shape");
        double toNumpy = maxDistance(logits, numpy);
        assertTrue(toNumpy <= FP32_TOLERANCE, type + ": max |Recall − NumPy fp32| = " + toNumpy);
        double tolerance = Math.max(1e-3, 2 * file.get("llamacpp_vs_numpy_fp32_dequant").asDouble());
        double toLlamaCpp = maxDistance(logits, llamaCpp);
        assertTrue(toLlamaCpp <= tolerance, type + ": max |Recall − llama.cpp| = " + toLlamaCpp + " > " + tolerance);
        if (file.get("min_greedy_gap").asDouble() > tolerance) {
            assertArrayEquals(expectedGreedy, greedy, type + ": greedy tokens differ from llama.cpp's");
        }
    }

    private static void ggufEqualsSafetensors(Path dir, JsonNode meta, int[] ids, int vocab) {
        String f32 = meta.get("files").get("F32").get("gguf").asText();
        float[] gguf;
        float[] hf;
        try (LanguageModel model = ModelLoader.load(dir.resolve(f32))) {
            gguf = model.prefill(model.newState(), ids, 0, ids.length, true);
        }
        try (LanguageModel model = ModelLoader.load(dir.resolve("hf"))) {
            hf = model.prefill(model.newState(), ids, 0, ids.length, true);
        }
        double d = maxDistance(gguf, hf);
        assertTrue(d <= FP32_TOLERANCE, "F32 GGUF vs safetensors: max |d| = " + d);
    }

    /** The scalar reference kernels give the NumPy logits too (the vector kernels are tested against them). */
    private static void scalarKernelsAgree(Path dir, JsonNode meta, int[] ids, int vocab) throws IOException {
        var files = meta.get("files").fields();
        while (files.hasNext()) {
            var e = files.next();
            float[] logits;
            try (LanguageModel model = ModelLoader.load(dir.resolve(e.getValue().get("gguf").asText()), new ScalarKernels())) {
                logits = model.prefill(model.newState(), ids, 0, 16, true);
            }
            float[] numpy = Arrays.copyOf(floats(dir.resolve("numpy-" + e.getKey() + ".prefill.f32")), 16 * vocab);
            double d = maxDistance(logits, numpy);
            assertTrue(d <= FP32_TOLERANCE, e.getKey() + " with scalar kernels: max |Recall − NumPy fp32| = " + d);
        }
    }

    /** Greedy tokens after the prompt, one decode step at a time, as llama-logits made them. */
    private static int[] greedy(LanguageModel model, int[] prompt, int n) {
        ModelState state = model.newState();
        float[] logits = model.prefill(state, prompt, 0, prompt.length, false);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            out[i] = best;
            if (i + 1 < n) {
                logits = model.step(state, best);
            }
        }
        return out;
    }

    private static double maxDistance(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    private static float[] floats(Path file) throws IOException {
        return MemorySegment.ofArray(Files.readAllBytes(file))
                .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }
}
