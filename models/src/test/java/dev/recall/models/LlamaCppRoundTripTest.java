package dev.recall.models;

import dev.recall.runtime.api.Recall;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files Recall writes, read by llama.cpp itself (its {@code llama-logits}, built by
 * {@code ../shared/llama.cpp/build.sh}): llama.cpp loads them, and its logits and Recall's on the
 * same file are within twice the distance between llama.cpp's logits on that file and on the F32
 * file (its activation rounding; at least 1e-3). Skipped, saying so, where llama.cpp is not built;
 * {@code bin/roundtrip-llamacpp} runs the same check over every type, and docs/gguf.md shows its output.
 */
class LlamaCppRoundTripTest {

    @TempDir
    Path tmp;

    private static Path llamaLogits() {
        String dir = System.getenv("LLAMA_CPP_BIN");
        Path bin = dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache/recall/llama.cpp/build/bin");
        Path exe = bin.resolve("llama-logits");
        Assumptions.assumeTrue(Files.isExecutable(exe), "llama.cpp is not built (no " + exe
                + "; run ../shared/llama.cpp/build.sh or set LLAMA_CPP_BIN): skipping the llama.cpp round trip");
        return exe;
    }

    @ParameterizedTest
    @CsvSource({"llama, Q8_0", "llama, Q4_K_M", "mamba, Q8_0", "mamba, Q4_K_M", "mamba, BF16", "rwkv6, Q8_0", "rwkv6, Q4_K_M"})
    void llamaCppReadsWhatRecallWrites(String model, String type) throws Exception {
        Path exe = llamaLogits();
        Path source = SharedData.zoo().resolve(model);
        int[] ids = IntStream.rangeClosed(1, 48).toArray();
        Path idsFile = tmp.resolve("ids.txt");
        Files.writeString(idsFile, IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));

        Path f32 = tmp.resolve(model + "-F32.gguf");
        Path file = tmp.resolve(model + "-" + type + ".gguf");
        Recall.quantize(source, GgufQuantizer.FileType.F32, f32, (d, t, u) -> { });
        Recall.quantize(source, GgufQuantizer.FileType.parse(type), file, (d, t, u) -> { });
        float[] reference = run(exe, f32, idsFile, tmp.resolve("f32"));
        float[] theirs = run(exe, file, idsFile, tmp.resolve("q"));
        float[] mine;
        try (LanguageModel m = ModelLoader.load(file)) {
            mine = m.prefill(m.newState(), ids, 0, ids.length, true);
        }
        assertEquals(theirs.length, mine.length, "logits shape");
        double tolerance = Math.max(1e-3, 2 * maxDistance(theirs, reference));
        double d = maxDistance(mine, theirs);
        assertTrue(d <= tolerance, model + " " + type + ": max |Recall − llama.cpp| = " + d + " > " + tolerance);
    }

    private static float[] run(Path exe, Path gguf, Path ids, Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(exe.toString(), gguf.toString(), ids.toString(), out.toString(), "0", "2"))
                .redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "llama-logits timed out");
        assertEquals(0, p.exitValue(), "llama.cpp refused " + gguf.getFileName() + ": "
                + Files.readString(out.resolveSibling(out.getFileName() + ".log")).lines().reduce((a, b) -> b).orElse(""));
        return MemorySegment.ofArray(Files.readAllBytes(Path.of(out + ".prefill.f32")))
                .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private static double maxDistance(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}
