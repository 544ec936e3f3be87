package dev.recall.models.mamba;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.SafeTensorsWriter;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MambaModelTest {

    private static final Path MAMBA = SharedData.resource("golden/mamba");

    /** Copies a checkpoint to dir with fp32 weights, renaming one tensor (old name → new name). */
    private static void copyRenamed(Path source, Path dir, String from, String to) throws IOException {
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (SafeTensorsFile weights = SafeTensorsFile.open(source.resolve("model.safetensors"))) {
            for (Tensor t : weights.tensors().values()) {
                writer.f32(t.name().equals(from) ? to : t.name(), t.toFloats(), t.shape());
            }
        }
        writer.write(dir.resolve("model.safetensors"));
    }

    @Test
    void oldEmbeddingNameLoadsAndGivesIdenticalLogits(@TempDir Path dir) throws IOException {
        copyRenamed(MAMBA, dir, "backbone.embeddings.weight", "backbone.embedding.weight");
        int[] ids = GoldenCheck.inputIds(MAMBA);
        try (LanguageModel current = ModelLoader.load(MAMBA); LanguageModel old = ModelLoader.load(dir)) {
            float[] expected = current.prefill(current.newState(), ids, 0, ids.length, true);
            float[] actual = old.prefill(old.newState(), ids, 0, ids.length, true);
            assertArrayEquals(expected, actual);
        }
    }

    /**
     * A saved lm_head.weight is used only when the config unties it, as in transformers: with
     * tie_word_embeddings true (Mamba's default) the head is the embedding table whatever was saved.
     */
    @Test
    void aSavedHeadIsIgnoredWhileTheConfigTiesIt(@TempDir Path dir) throws IOException {
        Path tied = Files.createDirectory(dir.resolve("tied"));
        Path untied = Files.createDirectory(dir.resolve("untied"));
        for (Path d : new Path[] {tied, untied}) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            try (SafeTensorsFile weights = SafeTensorsFile.open(MAMBA.resolve("model.safetensors"))) {
                for (Tensor t : weights.tensors().values()) {
                    writer.f32(t.name(), t.toFloats(), t.shape());
                }
                Tensor embedding = weights.tensors().get("backbone.embeddings.weight");
                float[] head = embedding.toFloats();
                for (int i = 0; i < head.length; i++) {
                    head[i] = -head[i]; // a different head: the negated embeddings
                }
                writer.f32("lm_head.weight", head, embedding.shape());
            }
            writer.write(d.resolve("model.safetensors"));
        }
        String config = Files.readString(MAMBA.resolve("config.json"));
        assertTrue(config.contains("\"tie_word_embeddings\": true"), "the golden config ties the head");
        Files.writeString(tied.resolve("config.json"), config);
        Files.writeString(untied.resolve("config.json"), config.replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));

        int[] ids = GoldenCheck.inputIds(MAMBA);
        try (LanguageModel original = ModelLoader.load(MAMBA); LanguageModel withTiedCopy = ModelLoader.load(tied);
             LanguageModel withOwnHead = ModelLoader.load(untied)) {
            float[] expected = original.prefill(original.newState(), ids, 0, ids.length, false);
            assertArrayEquals(expected, withTiedCopy.prefill(withTiedCopy.newState(), ids, 0, ids.length, false));
            float[] own = withOwnHead.prefill(withOwnHead.newState(), ids, 0, ids.length, false);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(-expected[i], own[i], 1e-5f * (1 + Math.abs(expected[i])), "logit " + i);
            }
            assertEquals(0, withTiedCopy.info().lookupOnlyBytes());
            assertTrue(withOwnHead.info().lookupOnlyBytes() > 0);
        }
    }

    @Test
    void infoDescribesTheGoldenModel() {
        try (LanguageModel model = ModelLoader.load(MAMBA)) {
            ModelInfo info = model.info();
            assertInstanceOf(MambaModel.class, model);
            assertEquals("mamba", info.family());
            assertEquals("MambaForCausalLM", info.architecture());
            assertEquals(512, info.vocabSize());
            assertEquals(64, info.hiddenSize());
            assertEquals(2, info.layers());
            assertEquals(0, info.attentionLayers());
            assertEquals(0, info.trainingLength());
            assertEquals("F32", info.weightDtype());
        }
        try (LanguageModel falcon = ModelLoader.load(SharedData.resource("golden/falcon-mamba"))) {
            assertEquals("mamba", falcon.info().family());
            assertEquals(3, falcon.info().layers());
        }
    }

    @Test
    void stateSizeIsConstantAndCopiesAreIndependent() {
        int[] ids = GoldenCheck.inputIds(MAMBA);
        try (LanguageModel model = ModelLoader.load(MAMBA)) {
            ModelState state = model.newState();
            long empty = state.sizeBytes();
            // 2 layers × ((K − 1)·E + E·N) floats = 2 × (3·128 + 128·16) × 4 bytes.
            assertEquals(2L * (3 * 128 + 128 * 16) * 4, empty);
            model.prefill(state, ids, 0, 20, false);
            assertEquals(empty, state.sizeBytes());
            assertEquals(20, state.position());

            ModelState copy = state.copy();
            float[] fromOriginal = model.prefill(state, ids, 20, ids.length, false);
            assertEquals(ids.length, state.position());
            assertEquals(20, copy.position());
            float[] fromCopy = model.prefill(copy, ids, 20, ids.length, false);
            assertArrayEquals(fromOriginal, fromCopy);

            // Stepping token by token equals one batched prefill.
            ModelState stepped = model.newState();
            float[] last = null;
            for (int i = 0; i < 20; i++) {
                last = model.step(stepped, ids[i]);
            }
            float[] batched = model.prefill(model.newState(), ids, 0, 20, false);
            for (int v = 0; v < batched.length; v++) {
                assertEquals(batched[v], last[v], 1e-4f);
            }
        }
    }

    @Test
    void rejectsTokensOutsideTheVocabularyAndForeignStates() {
        try (LanguageModel model = ModelLoader.load(MAMBA)) {
            ModelState state = model.newState();
            var e = assertThrows(RecallException.class, () -> model.prefill(state, new int[]{1, 512}));
            assertTrue(e.getMessage().contains("512"), e.getMessage());
            ModelState foreign = new ModelState() {
                public int position() {
                    return 0;
                }

                public ModelState copy() {
                    return this;
                }

                public long sizeBytes() {
                    return 0;
                }

                public void close() {
                }

                public boolean isClosed() {
                    return false;
                }
            };
            assertThrows(IllegalArgumentException.class, () -> model.prefill(foreign, new int[]{1}));
        }
    }

    @Test
    void configThatContradictsTheWeightsIsRefused(@TempDir Path dir) throws IOException {
        Files.copy(MAMBA.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String config = Files.readString(MAMBA.resolve("config.json")).replace("\"state_size\": 16", "\"state_size\": 8");
        assertFalse(config.contains("\"state_size\": 16"));
        Files.writeString(dir.resolve("config.json"), config);
        var e = assertThrows(RecallException.class, () -> ModelLoader.load(dir).close());
        assertTrue(e.getMessage().contains("state_size"), e.getMessage());
        assertTrue(Arrays.asList(e.getMessage().split(" ")).contains("16"), e.getMessage());
    }
}
