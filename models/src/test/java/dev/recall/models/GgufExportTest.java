package dev.recall.models;

import dev.recall.runtime.api.Recall;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each family Recall writes as GGUF, read back: a golden checkpoint written by {@code recall
 * quantize} as F32 computes the safetensors model's logits to 1e-4 (prefill and step by step), and
 * as Q8_0 and Q4_K_M it loads and stays close (the weights are rounded, so only loosely).
 */
class GgufExportTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-rope", "qwen2", "mamba", "falcon-mamba", "rwkv6"})
    void f32FileComputesTheCheckpointsLogits(String goldenCase) {
        Path dir = SharedData.resource("golden/" + goldenCase);
        checkF32(dir, goldenCase, 1e-4f);
    }

    /**
     * An RWKV-6 checkpoint with rescale_every: the GGUF file holds its output and FFN value weights
     * divided by 2^(block / n) and the model halves the residual every n blocks, as llama.cpp does;
     * the logits equal the unscaled checkpoint's but for the layer norms' epsilon, which does not
     * scale with the residual (about 1e-5 relative here).
     */
    @org.junit.jupiter.api.Test
    void rwkv6RescaledWeightsGiveTheSameLogits() throws Exception {
        Path golden = SharedData.resource("golden/rwkv6");
        Path dir = tmp.resolve("rwkv6-rescaled");
        java.nio.file.Files.createDirectories(dir);
        for (String f : new String[] {"model.safetensors", "golden.safetensors"}) {
            java.nio.file.Files.copy(golden.resolve(f), dir.resolve(f));
        }
        String config = java.nio.file.Files.readString(golden.resolve("config.json"));
        java.nio.file.Files.writeString(dir.resolve("config.json"), config.replace("\"rescale_every\": 0", "\"rescale_every\": 1"));
        assertTrue(java.nio.file.Files.readString(dir.resolve("config.json")).contains("\"rescale_every\": 1"), "config rewritten");
        checkF32(dir, "rwkv6 rescale_every 1", 1e-3f);
        try (GgufFile f = GgufFile.open(tmp.resolve("rwkv6 rescale_every 1.gguf"));
             GgufFile plain = GgufFile.open(tmp.resolve("rwkv6.gguf"))) {
            assertEquals(1L, f.integer("rwkv6.rescale_every_n_layers"));
            // Block 1's output weights are halved in the file: 2^(1 / 1).
            float[] scaled = f.tensors().get("blk.1.time_mix_output.weight").toFloats();
            float[] unscaled = plain.tensors().get("blk.1.time_mix_output.weight").toFloats();
            for (int i = 0; i < scaled.length; i++) {
                assertEquals(unscaled[i] / 2, scaled[i], "element " + i);
            }
        }
    }

    private void checkF32(Path dir, String goldenCase, float tolerance) {
        int[] ids = GoldenCheck.inputIds(dir);
        Path gguf = tmp.resolve(goldenCase + ".gguf");
        Recall.quantize(dir, GgufQuantizer.FileType.F32, gguf, (done, total, unit) -> { });
        if (goldenCase.startsWith("rwkv6 ")) {
            Recall.quantize(SharedData.resource("golden/rwkv6"), GgufQuantizer.FileType.F32, tmp.resolve("rwkv6.gguf"),
                    (done, total, unit) -> { });
        }
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(0L, f.integer("general.file_type"));
        }
        try (LanguageModel hf = ModelLoader.load(dir); LanguageModel fromGguf = ModelLoader.load(gguf)) {
            int vocab = hf.info().vocabSize();
            assertEquals(vocab, fromGguf.info().vocabSize());
            float[] want = hf.prefill(hf.newState(), ids, 0, ids.length, true);
            float[] got = fromGguf.prefill(fromGguf.newState(), ids, 0, ids.length, true);
            GoldenCheck.assertClose(goldenCase + " prefill", want, got, tolerance, vocab);
            ModelState a = hf.newState();
            ModelState b = fromGguf.newState();
            hf.prefill(a, ids, 0, 8, false);
            fromGguf.prefill(b, ids, 0, 8, false);
            for (int i = 8; i < 16; i++) {
                GoldenCheck.assertClose(goldenCase + " step " + i, hf.step(a, ids[i]), fromGguf.step(b, ids[i]), tolerance, vocab);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mamba", "falcon-mamba", "rwkv6"})
    void quantizedFilesLoadAndStayClose(String goldenCase) {
        Path dir = SharedData.resource("golden/" + goldenCase);
        int[] ids = GoldenCheck.inputIds(dir);
        for (GgufQuantizer.FileType type : new GgufQuantizer.FileType[] {GgufQuantizer.FileType.Q8_0, GgufQuantizer.FileType.Q4_K_M}) {
            Path gguf = tmp.resolve(goldenCase + "-" + type + ".gguf");
            Recall.quantize(dir, type, gguf, (done, total, unit) -> { });
            try (LanguageModel hf = ModelLoader.load(dir); LanguageModel q = ModelLoader.load(gguf)) {
                float[] want = hf.prefill(hf.newState(), ids, 0, ids.length, true);
                float[] got = q.prefill(q.newState(), ids, 0, ids.length, true);
                double num = 0;
                double den = 0;
                for (int i = 0; i < want.length; i++) {
                    num += (want[i] - got[i]) * (double) (want[i] - got[i]);
                    den += want[i] * (double) want[i];
                }
                double relative = Math.sqrt(num / den);
                // 8-bit weights move the logits by about 1 %, 4-bit ones by several: a wrong layout by 100 %.
                assertTrue(relative < (type == GgufQuantizer.FileType.Q8_0 ? 0.03 : 0.3),
                        goldenCase + " " + type + ": relative RMS difference " + relative);
            }
        }
    }
}
