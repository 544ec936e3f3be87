package dev.recall.models.synth;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {

    /**
     * Every real-size preset, shallow: it loads through the ordinary loader with the real width and
     * vocabulary, and a prefill and a decode step give finite logits. Recurrent-gemma keeps three
     * layers so its attention block is included.
     */
    @ParameterizedTest
    @CsvSource({
            "mamba,           mamba-130m,        1,  768, 50280,  false",
            "llama,           llama-1b,          1, 2048, 128256, false",
            "rwkv6,           rwkv6-1b6,         1, 2048, 65536,  true",
            "recurrent-gemma, recurrentgemma-2b, 3, 2560, 256000, false"})
    void realSizePresetLoadsAndRunsWithFiniteLogits(String family, String presetId, int layers, int hidden, int vocab,
                                                   boolean untiedEmbedding, @TempDir Path dir) {
        Preset preset = SyntheticModel.preset(presetId, family);
        SyntheticModel.Written written = SyntheticModel.write(preset, dir, 1, layers);
        assertEquals(layers, written.layers());
        try (LanguageModel model = ModelLoader.load(dir)) {
            ModelInfo info = model.info();
            assertEquals(family, info.family());
            assertEquals(hidden, info.hiddenSize());
            assertEquals(vocab, info.vocabSize());
            assertEquals(layers, info.layers());
            assertEquals("BF16", info.weightDtype());
            assertEquals(written.parameters(), info.parameterCount());
            // Decode streams everything but an untied input embedding, of which it reads one row.
            long embeddingBytes = 2L * vocab * hidden; // BF16
            assertEquals(untiedEmbedding ? embeddingBytes : 0, info.lookupOnlyBytes());
            assertEquals(info.weightBytes() - info.lookupOnlyBytes(), info.streamedBytesPerToken());

            ModelState state = model.newState();
            int[] prompt = new Random(3).ints(5, 0, vocab).toArray();
            assertFinite(model.prefill(state, prompt), "prefill logits");
            assertFinite(model.step(state, 7), "step logits");
            assertEquals(6, state.position());
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights(@TempDir Path dir) throws IOException {
        Preset preset = SyntheticModel.preset("zoo-mamba", null);
        SyntheticModel.write(preset, dir.resolve("a"), 42, 1);
        SyntheticModel.write(preset, dir.resolve("b"), 42, 1);
        SyntheticModel.write(preset, dir.resolve("c"), 43, 1);
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b/model.safetensors")));
        byte[] c = Files.readAllBytes(dir.resolve("c/model.safetensors"));
        assertEquals(a.length, c.length);
        assertFalse(java.util.Arrays.equals(a, c), "a different seed gives different weights");
    }

    @Test
    void zooPresetsMatchTheZooShapes(@TempDir Path dir) {
        for (String id : new String[]{"zoo-llama", "zoo-mamba", "zoo-rwkv6", "zoo-recurrent-gemma"}) {
            Preset preset = SyntheticModel.preset(id, null);
            SyntheticModel.write(preset, dir.resolve(id), 5, 0);
            try (LanguageModel model = ModelLoader.load(dir.resolve(id))) {
                assertEquals(4096, model.info().vocabSize(), id);
                assertEquals(256, model.info().hiddenSize(), id);
                assertFinite(model.prefill(model.newState(), new int[]{1, 2, 3}), id);
            }
        }
    }

    @Test
    void familyAloneMeansItsRealSizeDefault() {
        assertEquals(Preset.MAMBA_130M, SyntheticModel.preset(null, "mamba"));
        assertEquals(Preset.RECURRENTGEMMA_2B, SyntheticModel.preset(null, "recurrent-gemma"));
        assertEquals(Preset.LLAMA_1B, SyntheticModel.preset("llama-1b", "LLAMA"));
    }

    @Test
    void badNamesAreClearErrors() {
        RecallException unknownPreset = assertThrows(RecallException.class, () -> SyntheticModel.preset("gpt-5", null));
        assertTrue(unknownPreset.getMessage().contains("mamba-130m"), unknownPreset.getMessage());
        RecallException unknownFamily = assertThrows(RecallException.class, () -> SyntheticModel.preset(null, "bert"));
        assertTrue(unknownFamily.getMessage().contains("recurrent-gemma"), unknownFamily.getMessage());
        RecallException mismatch = assertThrows(RecallException.class, () -> SyntheticModel.preset("llama-1b", "mamba"));
        assertTrue(mismatch.getMessage().contains("mamba-1.4b"), mismatch.getMessage());
        assertThrows(RecallException.class, () -> SyntheticModel.preset(null, null));
    }

    private static void assertFinite(float[] logits, String what) {
        for (int i = 0; i < logits.length; i++) {
            assertTrue(Float.isFinite(logits[i]), what + "[" + i + "] = " + logits[i]);
        }
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            min = Math.min(min, l);
            max = Math.max(max, l);
        }
        assertTrue(max > min, what + ": logits are not all equal");
    }
}
